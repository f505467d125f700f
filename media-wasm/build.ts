/**
 * Builds `media_wasm.wasm` from the Rust crate with Debian's toolchain and
 * records its SHA-256 beside it.
 *
 * ```sh
 * deno run -A media-wasm/build.ts          # rebuild and replace the checked-in file
 * deno run -A media-wasm/build.ts --check  # rebuild; exit 1 if it differs from the checked-in file
 * ```
 *
 * Exit codes: 0 success, 1 the rebuilt bytes differ (`--check`) or the build
 * failed, 2 the toolchain is missing.
 *
 * The build is reproducible: absolute paths are remapped, and lto with one
 * codegen unit gives the same bytes wherever the crate is checked out.
 *
 * @module
 */

/** Debian's compiler; the rustup toolchain has no wasm32 standard library. */
const RUSTC = "/usr/bin/rustc";
const CARGO = "/usr/bin/cargo";
const WASM_STD = "/usr/lib/rustlib/wasm32-unknown-unknown";
const TARGET = "wasm32-unknown-unknown";
const ARTEFACT = "media_wasm.wasm";

/** Paths the build uses, relative to this file's folder. */
export interface BuildPaths {
  /** The crate folder. */
  crate: string;
  /** Where the checked-in wasm lives. */
  wasm: string;
  /** Its sha256sum-format companion. */
  sha256: string;
}

/** Returns the paths of the crate this script sits in. */
export function buildPaths(): BuildPaths {
  const crate = new URL(".", import.meta.url).pathname.replace(/\/$/, "");
  return {
    crate,
    wasm: `${crate}/${ARTEFACT}`,
    sha256: `${crate}/${ARTEFACT}.sha256`,
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Names what is missing from the toolchain, or returns an empty list. */
export async function missingToolchain(): Promise<string[]> {
  const missing: string[] = [];
  if (!(await exists(RUSTC))) missing.push("rustc");
  if (!(await exists(CARGO))) missing.push("cargo");
  if (!(await exists(WASM_STD))) missing.push("libstd-rust-dev-wasm32");
  return missing;
}

/**
 * Compiles the crate in `crate` and returns the wasm bytes.
 * @throws {Error} when cargo fails
 */
export async function compile(crate: string): Promise<Uint8Array<ArrayBuffer>> {
  const command = new Deno.Command(CARGO, {
    args: ["build", "--release", "--target", TARGET, "--quiet"],
    cwd: crate,
    env: {
      RUSTC,
      CARGO_INCREMENTAL: "0",
      // Keep the checkout's location out of the binary.
      RUSTFLAGS: `--remap-path-prefix=${crate}=media-wasm`,
    },
    stdout: "inherit",
    stderr: "inherit",
  });
  const { code } = await command.output();
  if (code !== 0) {
    throw new Error(
      `Cannot build media-wasm in "${crate}": cargo exited with ${code}`,
    );
  }
  return await Deno.readFile(`${crate}/target/${TARGET}/release/${ARTEFACT}`);
}

/** Hex SHA-256 of `bytes`. */
export async function sha256Hex(
  bytes: Uint8Array<ArrayBuffer>,
): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

async function main(args: string[]): Promise<number> {
  const check = args.includes("--check");
  const missing = await missingToolchain();
  if (missing.length > 0) {
    console.error(
      `Cannot build media-wasm: missing ${missing.join(", ")}. ` +
        "Install the Debian packages with: apt-get install rustc cargo libstd-rust-dev-wasm32",
    );
    return 2;
  }
  const paths = buildPaths();
  const built = await compile(paths.crate);
  const hex = await sha256Hex(built);
  if (check) {
    const current = await Deno.readFile(paths.wasm).catch(() =>
      new Uint8Array()
    );
    const recorded = await Deno.readTextFile(paths.sha256).catch(() => "");
    if (!sameBytes(built, current) || recorded !== `${hex}  ${ARTEFACT}\n`) {
      console.error(
        `${ARTEFACT} is out of date: rebuilt sha256 ${hex}; run deno run -A media-wasm/build.ts`,
      );
      return 1;
    }
    console.log(
      `${ARTEFACT} is up to date (sha256 ${hex}, ${built.length} bytes)`,
    );
    return 0;
  }
  await Deno.writeFile(paths.wasm, built);
  await Deno.writeTextFile(paths.sha256, `${hex}  ${ARTEFACT}\n`);
  console.log(`Wrote ${ARTEFACT} (sha256 ${hex}, ${built.length} bytes)`);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
