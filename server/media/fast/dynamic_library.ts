/**
 * Loading a system library for FFI from the first path that works.
 *
 * @module
 */

/** Where libc is looked for. */
export const LIBC_PATHS: readonly string[] = [
  "libc.so.6",
  "/lib/x86_64-linux-gnu/libc.so.6",
  "/lib/aarch64-linux-gnu/libc.so.6",
];

/**
 * Opens the library at the first of `paths` that loads, or returns null when
 * none does (library absent, FFI not permitted), so that callers fall back.
 */
export function openFirst<S extends Deno.ForeignLibraryInterface>(
  paths: readonly string[],
  symbols: S,
): Deno.DynamicLibrary<S> | null {
  for (const path of paths) {
    try {
      return Deno.dlopen(path, symbols);
    } catch {
      // Absent or unloadable: try the next path.
    }
  }
  return null;
}
