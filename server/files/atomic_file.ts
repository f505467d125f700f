/**
 * Replacing a file so that readers see either the old or the new content,
 * never a half-written file, even across a crash.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";

/** Options of {@link writeFileAtomically}. */
export interface AtomicWriteOptions {
  /**
   * Mode of a new file; an existing file keeps its own unless
   * `replaceMode`. Default `0o600`.
   */
  mode?: number;
  /**
   * Give the file `mode` even when it exists with another (for secrets,
   * which must stay readable by the server's user only). Default `false`.
   */
  replaceMode?: boolean;
  /** Mode of directories created on the way. Default `0o700`. */
  dirMode?: number;
}

/**
 * Writes `data` to `file`: a temporary file in the same directory (rename
 * is atomic only within one file system), fsynced before the rename, then
 * the directory fsynced so that the rename itself survives a crash.
 * Missing directories are created with `dirMode`.
 *
 * @example
 * ```ts
 * await writeFileAtomically("groups/a.json", new TextEncoder().encode("{}\n"));
 * ```
 * @throws {Deno.errors.PermissionDenied} And other I/O errors; the
 * temporary file is removed and `file` is left as it was.
 */
export async function writeFileAtomically(
  file: string,
  data: Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(file);
  await Deno.mkdir(dir, { recursive: true, mode: options.dirMode ?? 0o700 });
  const mode = (options.replaceMode ? undefined : await existingMode(file)) ??
    options.mode ?? 0o600;
  const suffix = crypto.randomUUID().slice(0, 8);
  // A leading dot keeps the temporary file out of group listings.
  const temp = join(dir, `.${basename(file)}.${suffix}.tmp`);
  try {
    const handle = await Deno.open(temp, {
      write: true,
      createNew: true,
      mode,
    });
    try {
      for (let done = 0; done < data.length;) {
        done += await handle.write(data.subarray(done));
      }
      await handle.sync();
    } finally {
      handle.close();
    }
    // The umask may have narrowed the mode; an existing file's mode wins.
    if (Deno.build.os !== "windows") await Deno.chmod(temp, mode);
    await Deno.rename(temp, file);
  } catch (error) {
    // The write already failed; that error is the one worth reporting.
    await Deno.remove(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dir);
}

/**
 * Removes `file` and fsyncs its directory.
 *
 * @throws {Deno.errors.NotFound} When there is no such file.
 */
export async function removeFileDurably(file: string): Promise<void> {
  await Deno.remove(file);
  await syncDirectory(dirname(file));
}

async function existingMode(file: string): Promise<number | undefined> {
  try {
    const mode = (await Deno.stat(file)).mode;
    return mode === null ? undefined : mode & 0o777;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}
