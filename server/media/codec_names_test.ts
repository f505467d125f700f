import assert from "node:assert/strict";
import {
  CODEC_NAMES,
  DEFAULT_CODECS,
  isCodecName,
  parseCodecNames,
} from "./codec_names.ts";

Deno.test("parseCodecNames() defaults to vp8 and opus when absent or empty", () => {
  assert.deepEqual(parseCodecNames(undefined, "w"), ["vp8", "opus"]);
  assert.deepEqual(parseCodecNames([], "w"), [...DEFAULT_CODECS]);
});

Deno.test("parseCodecNames() accepts every known codec in any case, keeping order", () => {
  assert.deepEqual(
    parseCodecNames(CODEC_NAMES.map((c) => c.toUpperCase()), "w"),
    [...CODEC_NAMES],
  );
});

Deno.test("parseCodecNames() names the unknown codec", () => {
  assert.throws(() => parseCodecNames(["vp8", "h265"], `f: "codecs"`), {
    name: "TypeError",
    message: /^f: "codecs" contains unknown codec "h265"/,
  });
});

Deno.test("isCodecName() accepts the lower-case names only", () => {
  for (const c of CODEC_NAMES) assert.equal(isCodecName(c), true);
  for (const v of ["VP8", "h265", "", undefined, 8]) {
    assert.equal(isCodecName(v), false);
  }
});
