/**
 * Brings a fresh machine up to what the test suite needs: Debian packages
 * for the browser tests (chromium, and firefox-esr for the mixed-browser
 * ones), the recording checks (ffmpeg), the
 * WebAssembly build (rustc, cargo and the wasm32 standard library), the
 * cluster tests (redis-server, which each test starts on its own port), the
 * TURN server tests (coturn, for its independent client turnutils_uclient)
 * and the check that the server contacts nothing unasked (strace, and
 * iproute2 for its network namespace; util-linux's `unshare` is always
 * there). Installs what is missing with apt when it can, else names it and
 * fails.
 *
 * Then checks that the checked-in media-wasm binary is what its sources
 * build (when the toolchain is there).
 *
 * @module
 */

interface Requirement {
  /** Debian package. */
  pkg: string;
  /** A file whose presence shows the package is installed. */
  file: string;
}

const REQUIREMENTS: readonly Requirement[] = [
  { pkg: "chromium", file: "/usr/bin/chromium" },
  { pkg: "firefox-esr", file: "/usr/bin/firefox-esr" },
  { pkg: "ffmpeg", file: "/usr/bin/ffprobe" },
  { pkg: "rustc", file: "/usr/bin/rustc" },
  { pkg: "cargo", file: "/usr/bin/cargo" },
  {
    pkg: "libstd-rust-dev-wasm32",
    file: "/usr/lib/rustlib/wasm32-unknown-unknown",
  },
  { pkg: "redis-server", file: "/usr/bin/redis-server" },
  { pkg: "strace", file: "/usr/bin/strace" },
  { pkg: "iproute2", file: "/sbin/ip" },
  // turnutils_uclient: an independent TURN client for the TURN server tests.
  // The package's own turnserver is not started (no service is enabled in a
  // container, and the tests never use it).
  { pkg: "coturn", file: "/usr/bin/turnutils_uclient" },
];

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function run(cmd: string, args: string[]): Promise<boolean> {
  const p = new Deno.Command(cmd, {
    args,
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdout: "inherit",
    stderr: "inherit",
  });
  return (await p.output()).success;
}

async function missingPackages(): Promise<string[]> {
  const out: string[] = [];
  for (const r of REQUIREMENTS) if (!(await exists(r.file))) out.push(r.pkg);
  return out;
}

async function install(pkgs: string[]): Promise<boolean> {
  const isRoot = Deno.uid?.() === 0;
  if (!isRoot || !(await exists("/usr/bin/apt-get"))) return false;
  console.log(`setup: installing ${pkgs.join(" ")} with apt-get`);
  return await run("apt-get", ["update", "-qq"]) &&
    await run("apt-get", ["install", "-y", "-qq", ...pkgs]);
}

async function main(): Promise<number> {
  let missing = await missingPackages();
  if (missing.length > 0 && !(await install(missing))) {
    console.error(
      `setup: missing Debian packages: ${missing.join(" ")}\n` +
        `setup: install them with: sudo apt-get install ${missing.join(" ")}`,
    );
    return 1;
  }
  missing = await missingPackages();
  if (missing.length > 0) {
    console.error(`setup: still missing after apt-get: ${missing.join(" ")}`);
    return 1;
  }
  const build = new URL("../media-wasm/build.ts", import.meta.url);
  if (await exists(build.pathname)) {
    const ok = await run(Deno.execPath(), [
      "run",
      "-A",
      build.pathname,
      "--check",
    ]);
    if (!ok) {
      console.error(
        "setup: media-wasm/media_wasm.wasm differs from what its sources build: run `deno task wasm:build` and commit the result",
      );
      return 1;
    }
  }
  return 0;
}

Deno.exit(await main());
