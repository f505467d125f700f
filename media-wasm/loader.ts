/**
 * Loads `media_wasm.wasm` and checks that it speaks the ABI its wrapper
 * speaks: the one place both wrappers (`mod.ts` for forwarding,
 * `recording.ts` for recording, each with its own instance) get their
 * instance from.
 *
 * @example
 * ```ts
 * const exports = await loadMediaWasm({
 *   versionExport: "abi_version",
 *   version: 1,
 *   name: "ABI",
 * });
 * ```
 *
 * @module
 */

/** The module beside this file. */
export const MEDIA_WASM_URL: URL = new URL(
  "./media_wasm.wasm",
  import.meta.url,
);

/** The ABI a wrapper speaks: the export that tells its version, and the version. */
export interface AbiCheck {
  /** The exported function returning the version (`abi_version`, `rec_abi_version`). */
  versionExport: string;
  version: number;
  /** What to call it in an error: `ABI`, `recording ABI`. */
  name: string;
}

/**
 * Instantiates the module at `path` (a file, or fetched) and checks its ABI.
 * @throws {Error} when the module does not speak `abi`
 */
export async function loadMediaWasm(
  abi: AbiCheck,
  path: URL = MEDIA_WASM_URL,
): Promise<WebAssembly.Exports> {
  const bytes = path.protocol === "file:"
    ? await Deno.readFile(path)
    : new Uint8Array(await (await fetch(path)).arrayBuffer());
  const { instance } = await WebAssembly.instantiate(bytes, {});
  return checked(instance.exports, abi, path);
}

/**
 * {@link loadMediaWasm} for a local file, synchronously (for constructors
 * that cannot await).
 * @throws {Error} when the module does not speak `abi`
 */
export function loadMediaWasmSync(
  abi: AbiCheck,
  path: URL = MEDIA_WASM_URL,
): WebAssembly.Exports {
  const module = new WebAssembly.Module(Deno.readFileSync(path));
  return checked(new WebAssembly.Instance(module, {}).exports, abi, path);
}

function checked(
  exports: WebAssembly.Exports,
  abi: AbiCheck,
  path: URL,
): WebAssembly.Exports {
  const versionOf = exports[abi.versionExport];
  if (typeof versionOf !== "function") {
    throw new Error(
      `Cannot load media wasm "${path.href}": it has no ${abi.name}`,
    );
  }
  const version = versionOf();
  if (version !== abi.version) {
    throw new Error(
      `Cannot load media wasm "${path.href}": ${abi.name} version ${version}, this wrapper needs ${abi.version}`,
    );
  }
  return exports;
}
