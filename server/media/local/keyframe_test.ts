import { assertEquals } from "../../../tests/support/assert.ts";
import { startsKeyframe } from "./keyframe.ts";

Deno.test("VP8 keyframes are recognised with and without the extended descriptor", () => {
  assertEquals(startsKeyframe("vp8", new Uint8Array([0x10, 0x00])), true);
  assertEquals(startsKeyframe("vp8", new Uint8Array([0x10, 0x01])), false);
  // X=1, I=1 with a 15-bit picture id, then the VP8 header.
  assertEquals(
    startsKeyframe("vp8", new Uint8Array([0x90, 0x80, 0x81, 0x23, 0x00])),
    true,
  );
  assertEquals(
    startsKeyframe("vp8", new Uint8Array([0x00, 0x00])),
    false,
    "not a partition start",
  );
});

Deno.test("H.264 keyframes are recognised in single NALs, STAP-A and FU-A", () => {
  assertEquals(startsKeyframe("h264", new Uint8Array([0x65])), true);
  assertEquals(startsKeyframe("h264", new Uint8Array([0x41])), false);
  assertEquals(
    startsKeyframe("h264", new Uint8Array([0x18, 0x00, 0x02, 0x67, 0x42])),
    true,
  );
  assertEquals(startsKeyframe("h264", new Uint8Array([0x7c, 0x85])), true);
  assertEquals(
    startsKeyframe("h264", new Uint8Array([0x7c, 0x05])),
    false,
    "FU-A continuation",
  );
});

Deno.test("VP9 and AV1 keyframes are recognised, unknown codecs answer undefined", () => {
  assertEquals(startsKeyframe("vp9", new Uint8Array([0x08])), true);
  assertEquals(startsKeyframe("vp9", new Uint8Array([0x48])), false);
  assertEquals(
    startsKeyframe("vp9", new Uint8Array([0xa8, 0x12, 0x02])),
    false,
    "spatial layer 1",
  );
  assertEquals(startsKeyframe("av1", new Uint8Array([0x18])), true);
  assertEquals(startsKeyframe("av1", new Uint8Array([0x98])), false);
  assertEquals(startsKeyframe("opus", new Uint8Array([1])), true);
  assertEquals(startsKeyframe("theora", new Uint8Array([1])), undefined);
});
