import assert from "node:assert/strict";
import { loadMediaWasm, loadMediaWasmSync } from "./loader.ts";
import { RecordingWasm } from "./recording.ts";

const ABI = { versionExport: "abi_version", version: 1, name: "ABI" };

// A minimal module whose only export is `name()`, returning `value` (< 64).
function moduleReturning(name: string, value: number): Uint8Array {
  const n = new TextEncoder().encode(name);
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f], // type () -> i32
    ...[0x03, 0x02, 0x01, 0x00], // one function of that type
    ...[0x07, n.length + 4, 0x01, n.length, ...n, 0x00, 0x00], // its export
    ...[0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, value, 0x0b], // i32.const value
  ]);
}

async function withModule(
  bytes: Uint8Array,
  f: (url: URL) => Promise<void>,
): Promise<void> {
  const path = await Deno.makeTempFile({ suffix: ".wasm" });
  try {
    await Deno.writeFile(path, bytes);
    await f(new URL(`file://${path}`));
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("the real module speaks both ABIs", async () => {
  assert.equal(typeof loadMediaWasmSync(ABI).abi_version, "function");
  await RecordingWasm.load();
});

Deno.test("RecordingWasm.load() refuses another recording ABI version, naming the file", async () => {
  await withModule(moduleReturning("rec_abi_version", 2), async (url) => {
    await assert.rejects(RecordingWasm.load(url), {
      message: `Cannot load media wasm "${url.href}": ` +
        "recording ABI version 2, this wrapper needs 1",
    });
  });
});

Deno.test("a module without the version export is refused, and one with it passes", async () => {
  await withModule(moduleReturning("abi_version", 1), async (url) => {
    await assert.rejects(RecordingWasm.load(url), /it has no recording ABI/);
    assert.equal(
      (await loadMediaWasm(ABI, url)).abi_version instanceof Function,
      true,
    );
    assert.throws(
      () => loadMediaWasmSync({ ...ABI, version: 3 }, url),
      /ABI version 1, this wrapper needs 3/,
    );
  });
});
