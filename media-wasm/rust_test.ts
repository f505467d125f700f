/**
 * Runs the crate's Rust unit tests (`cargo test` with Debian's toolchain),
 * so that `deno task test` covers them too.
 *
 * @module
 */

const RUSTC = "/usr/bin/rustc";
const CARGO = "/usr/bin/cargo";

Deno.test({
  name: "the media-wasm crate's Rust unit tests pass",
  ignore: !(await Deno.stat(CARGO).then(() => true, () => false)),
  async fn() {
    const crate = new URL(".", import.meta.url).pathname;
    const out = await new Deno.Command(CARGO, {
      args: ["test", "--quiet", "--release"],
      cwd: crate,
      env: { RUSTC },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) +
      new TextDecoder().decode(out.stderr);
    const summary = text.split("\n").filter((l) => l.startsWith("test result"));
    console.log(summary.join("\n"));
    if (!out.success) {
      throw new Error(`cargo test failed:\n${text.slice(-4000)}`);
    }
  },
});
