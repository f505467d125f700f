import { estimateRtpIndex, ReplayWindow } from "./srtp_replay.ts";
import { deriveSrtpSessionKeys } from "./srtp_keys.ts";

function assertEquals(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: got ${a}, expected ${e}`);
}

function unhex(s: string): Uint8Array {
  return new Uint8Array(s.match(/../g)!.map((x) => parseInt(x, 16)));
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

Deno.test("estimateRtpIndex() takes the first packet's index as its sequence number", () => {
  assertEquals(estimateRtpIndex(65530, -1), 65530, "first");
});

Deno.test("estimateRtpIndex() moves to ROC+1 when the sequence number wraps past 65535", () => {
  assertEquals(estimateRtpIndex(0, 65535), 65536, "wrap");
  assertEquals(estimateRtpIndex(3, 65500), 65539, "wrap with a gap");
  assertEquals(
    estimateRtpIndex(65535, 65536 * 5 + 2),
    65536 * 4 + 65535,
    "late packet from before the wrap",
  );
  assertEquals(
    estimateRtpIndex(40000, 65536 * 5 + 30000),
    65536 * 5 + 40000,
    "forward within the half",
  );
});

Deno.test("estimateRtpIndex() never goes below ROC 0 for a late packet near the start", () => {
  assertEquals(estimateRtpIndex(65000, 10), 65000, "clamped");
});

Deno.test("ReplayWindow accepts new indices once and refuses duplicates and the too-old", () => {
  const w = new ReplayWindow(64);
  assertEquals(w.check(1000), true, "first");
  w.accept(1000);
  assertEquals(w.check(1000), false, "duplicate");
  assertEquals(w.check(999), true, "late but new");
  w.accept(999);
  assertEquals(w.check(999), false, "late duplicate");
  w.accept(1040);
  assertEquals([w.check(1000), w.check(999), w.check(1001)], [
    false,
    false,
    true,
  ], "after a 40-packet shift");
  assertEquals(w.check(1040 - 64), false, "exactly one window back is too old");
  w.accept(5000);
  assertEquals(
    [w.check(1040), w.check(4999), w.highest],
    [false, true, 5000],
    "after a jump",
  );
});

Deno.test("ReplayWindow rejects a size that is not a multiple of 32", () => {
  let message = "";
  try {
    new ReplayWindow(100);
  } catch (e) {
    message = (e as Error).message;
  }
  assertEquals(
    message,
    "Cannot create replay window of 100 packets: not a positive multiple of 32",
    "message",
  );
});

Deno.test("deriveSrtpSessionKeys() reproduces the RFC 3711 appendix B.3 test vectors", () => {
  const k = deriveSrtpSessionKeys(
    unhex("e1f97a0d3e018be0d64fa32c06de4139"),
    unhex("0ec675ad498afeebb6960b3aabe6"),
    { saltLength: 14 },
  );
  assertEquals(hex(k.rtpKey), "c61e7a93744f39ee10734afe3ff7a087", "cipher key");
  assertEquals(hex(k.rtpSalt), "30cbbc08863d8c85d49db34a9ae1", "cipher salt");
  assertEquals(
    hex(k.rtpAuthKey),
    "cebe321f6ff7716b6fd4ab49af256a156d38baa4",
    "auth key",
  );
});
