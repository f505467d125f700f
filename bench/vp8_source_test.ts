import { MediaWasm, type Slot } from "../media-wasm/mod.ts";
import { LatencyRecorder, quantile } from "./latency_recorder.ts";
import { parseCpuSeconds } from "./proc_stats.ts";
import { PACKET_BYTES, readStamp, Vp8Source } from "./vp8_source.ts";

function assertEquals(actual: unknown, expected: unknown): void {
  if (actual !== expected) {
    throw new Error(`Expected ${String(expected)}, got ${String(actual)}`);
  }
}

const wasm = await MediaWasm.load();

// Whether each packet starts a keyframe, as the media node's cache sees it.
function keyframeStarts(packets: Uint8Array[]): boolean[] {
  const up = wasm.createUp({ codec: "vp8", clockRate: 90000, capacity: 64 });
  const starts = packets.map((p, i) => {
    const slot = wasm.ingest(up, p, i);
    if (typeof slot !== "number") throw new Error(`Refused: ${slot}`);
    return wasm.startsKeyframe(up, slot as Slot);
  });
  wasm.freeUp(up);
  return starts;
}

function packets(source: Vp8Source, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) out.push(source.next(i).slice());
  return out;
}

Deno.test("next() makes 1200-byte packets whose first keyframe packet Nereid recognises", () => {
  const source = new Vp8Source({ ssrc: 7, payloadType: 96, rate: 300 });
  const all = packets(source, 20);
  assertEquals(all[0]!.length, PACKET_BYTES);
  const starts = keyframeStarts(all);
  assertEquals(starts[0], true);
  // 10 packets a frame at 300 packets/s: the second frame is not a keyframe.
  assertEquals(starts[1], false);
  assertEquals(starts[10], false);
});

Deno.test("next() marks the last packet of a frame and steps seq and timestamp", () => {
  const source = new Vp8Source({ ssrc: 7, payloadType: 96, rate: 60 });
  const [a, b, c] = packets(source, 3) as [Uint8Array, Uint8Array, Uint8Array];
  const view = (p: Uint8Array) => new DataView(p.buffer);
  // 60 packets/s at 30 frames/s: two packets a frame, 3000 ticks apart.
  assertEquals(a[1]! & 0x80, 0);
  assertEquals(b[1]! & 0x80, 0x80);
  assertEquals((view(b).getUint16(2) - view(a).getUint16(2)) & 0xffff, 1);
  assertEquals(view(b).getUint32(4) - view(a).getUint32(4), 0);
  assertEquals((view(c).getUint32(4) - view(b).getUint32(4)) >>> 0, 3000);
});

Deno.test("setRate() starts the next packet with a keyframe", () => {
  const source = new Vp8Source({ ssrc: 7, payloadType: 96, rate: 300 });
  const before = packets(source, 45);
  source.setRate(3000);
  const starts = keyframeStarts([...before, source.next(45).slice()]);
  assertEquals(starts[44], false);
  assertEquals(starts[45], true);
});

Deno.test("readStamp() returns the send time written by next()", () => {
  const source = new Vp8Source({ ssrc: 7, payloadType: 96, rate: 100 });
  const packet = source.next(1234.5);
  assertEquals(readStamp(packet, packet.length), 1234.5);
  assertEquals(Number.isNaN(readStamp(new Uint8Array(100), 100)), true);
});

Deno.test("quantile() takes the nearest rank", () => {
  const values = Float64Array.from([5, 1, 4, 2, 3]);
  assertEquals(quantile(values, 0.5), 3);
  assertEquals(quantile(values, 0.99), 5);
  const recorder = new LatencyRecorder(2);
  for (const v of [1, 2, 3, 4]) recorder.add(v);
  assertEquals(recorder.count, 4);
  assertEquals(Number.isNaN(new LatencyRecorder().quantile(0.5)), true);
});

Deno.test("parseCpuSeconds() reads utime and stime after a command with spaces", () => {
  const stat = "42 (deno (x) y) S 1 2 3 4 5 6 7 8 9 10 150 50 0 0 20 0";
  assertEquals(parseCpuSeconds(stat), 2);
});
