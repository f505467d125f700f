import assert from "node:assert/strict";
import { type DownHandle, MediaWasm, type Slot, type UpHandle } from "./mod.ts";

const wasm = await MediaWasm.load();

interface RtpOptions {
  seq: number;
  ts: number;
  ssrc: number;
  payload: Uint8Array;
  pt?: number;
  marker?: boolean;
  /** Adds a one-byte header extension (abs-send-time, ID 2). */
  extension?: boolean;
}

/** A real-shaped RTP packet. */
function rtp(o: RtpOptions): Uint8Array {
  const ext = o.extension ? [0xbe, 0xde, 0, 1, 0x22, 1, 2, 3] : [];
  const p = new Uint8Array(12 + ext.length + o.payload.length);
  const v = new DataView(p.buffer);
  p[0] = 0x80 | (o.extension ? 0x10 : 0);
  p[1] = (o.marker ? 0x80 : 0) | (o.pt ?? 96);
  v.setUint16(2, o.seq & 0xffff);
  v.setUint32(4, o.ts >>> 0);
  v.setUint32(8, o.ssrc >>> 0);
  p.set(ext, 12);
  p.set(o.payload, 12 + ext.length);
  return p;
}

/** A VP8 payload with a 15-bit picture id, TL0PICIDX and TID, padded to `size`. */
function vp8(pic: number, keyframe: boolean, size = 100): Uint8Array {
  const p = new Uint8Array(size).fill(0x5a);
  p.set([
    0x90,
    0xe0,
    0x80 | ((pic >> 8) & 0x7f),
    pic & 0xff,
    pic & 0xff,
    0x00,
    keyframe ? 0x00 : 0x01,
  ]);
  return p;
}

/** Reads (seq, ts, ssrc, pt, picture id, tl0) of a forwarded VP8 packet. */
function fields(p: Uint8Array) {
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return {
    seq: v.getUint16(2),
    ts: v.getUint32(4),
    ssrc: v.getUint32(8),
    pt: p[1]! & 0x7f,
    pic: ((p[14]! & 0x7f) << 8) | p[15]!,
    tl0: p[16]!,
  };
}

function up(): UpHandle {
  return wasm.createUp({ codec: "vp8", clockRate: 90000, capacity: 256 });
}

function down(ssrc: number, payloadType = 96): DownHandle {
  return wasm.createDown({ ssrc, payloadType, codec: "vp8", clockRate: 90000 });
}

function slotOf(r: Slot | string): Slot {
  assert.equal(typeof r, "number", `ingest refused: ${r}`);
  return r as Slot;
}

Deno.test("load() refuses a module with another ABI version", async () => {
  // A minimal module whose only export is abi_version() returning 2.
  const bytes = new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    0x01,
    0x05,
    0x01,
    0x60,
    0x00,
    0x01,
    0x7f,
    0x03,
    0x02,
    0x01,
    0x00,
    0x07,
    0x0f,
    0x01,
    0x0b,
    ...new TextEncoder().encode("abi_version"),
    0x00,
    0x00,
    0x0a,
    0x06,
    0x01,
    0x04,
    0x00,
    0x41,
    0x02,
    0x0b,
  ]);
  const path = await Deno.makeTempFile({ suffix: ".wasm" });
  try {
    await Deno.writeFile(path, bytes);
    await assert.rejects(
      MediaWasm.load(new URL(`file://${path}`)),
      /ABI version 2, this wrapper needs 1/,
    );
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("one packet fans out to two subscribers with their own SSRC and payload type", () => {
  const u = up();
  const a = down(0xaaaa0001, 96);
  const b = down(0xbbbb0002, 120);
  const packet = rtp({
    seq: 1000,
    ts: 123456,
    ssrc: 0x11111111,
    payload: vp8(300, true),
    marker: true,
    extension: true,
  });
  const slot = slotOf(wasm.ingest(u, packet, 0));
  const info = wasm.slotInfo(u, slot);
  assert.deepEqual(info, {
    keyframe: "yes",
    frameStart: true,
    marker: true,
    tid: 0,
    sid: null,
    seq: 1000,
    timestamp: 123456,
    length: packet.length - 8,
  });
  const outA = wasm.forward(a, u, slot, 0, 0)!.slice();
  const outB = wasm.forward(b, u, slot, 0, 0)!.slice();
  assert.deepEqual(fields(outA), {
    seq: 1000,
    ts: 123456,
    ssrc: 0xaaaa0001,
    pt: 96,
    pic: 300,
    tl0: 300 & 0xff,
  });
  assert.deepEqual(fields(outB), {
    seq: 1000,
    ts: 123456,
    ssrc: 0xbbbb0002,
    pt: 120,
    pic: 300,
    tl0: 300 & 0xff,
  });
  // The extension is gone, the marker kept, the payload untouched.
  assert.equal(outA[0], 0x80);
  assert.equal(outA[1]! & 0x80, 0x80);
  assert.deepEqual(outA.subarray(12), vp8(300, true));
  assert.equal(wasm.ingest(u, packet, 1), "duplicate");
  wasm.freeDown(a);
  wasm.freeDown(b);
  wasm.freeUp(u);
});

Deno.test("a simulcast switch h → l → h happens only at keyframes and stays continuous", () => {
  const h = up();
  const l = up();
  const d = down(0xd0d0);
  wasm.setTarget(d, 1);
  const sent: ReturnType<typeof fields>[] = [];
  const offer = (
    u: UpHandle,
    layer: number,
    o: { seq: number; ts: number; pic: number; key: boolean; at: number },
  ) => {
    const slot = slotOf(
      wasm.ingest(
        u,
        rtp({ seq: o.seq, ts: o.ts, ssrc: u, payload: vp8(o.pic, o.key) }),
        o.at,
      ),
    );
    const out = wasm.forward(d, u, slot, layer, o.at);
    if (out) sent.push(fields(out));
    return out !== null;
  };
  assert.equal(
    offer(l, 0, { seq: 50, ts: 7000, pic: 9, key: true, at: 0 }),
    false,
  );
  assert.equal(
    offer(h, 1, { seq: 900, ts: 40000, pic: 100, key: true, at: 0 }),
    true,
  );
  assert.equal(
    offer(h, 1, { seq: 901, ts: 43000, pic: 101, key: false, at: 33 }),
    true,
  );
  assert.deepEqual(wasm.layers(d), { current: 1, target: 1, phase: "stable" });

  wasm.setTarget(d, 0);
  assert.equal(wasm.wantsKeyframe(d), 0);
  assert.equal(
    offer(l, 0, { seq: 51, ts: 10000, pic: 10, key: false, at: 40 }),
    false,
  );
  assert.equal(
    offer(h, 1, { seq: 902, ts: 46000, pic: 102, key: false, at: 66 }),
    true,
  );
  assert.equal(
    offer(l, 0, { seq: 52, ts: 13000, pic: 11, key: true, at: 76 }),
    true,
  );
  assert.equal(
    offer(h, 1, { seq: 903, ts: 49000, pic: 103, key: false, at: 99 }),
    false,
  );
  assert.equal(
    offer(l, 0, { seq: 53, ts: 16000, pic: 12, key: false, at: 109 }),
    true,
  );
  assert.equal(wasm.source(d), l);
  assert.equal(wasm.wantsKeyframe(d), null);

  wasm.setTarget(d, 1);
  assert.equal(
    offer(h, 1, { seq: 904, ts: 52000, pic: 104, key: false, at: 120 }),
    false,
  );
  assert.equal(
    offer(h, 1, { seq: 905, ts: 55000, pic: 105, key: true, at: 140 }),
    true,
  );
  assert.equal(
    offer(h, 1, { seq: 906, ts: 58000, pic: 106, key: false, at: 173 }),
    true,
  );

  const seqs = sent.map((s) => s.seq);
  const pics = sent.map((s) => s.pic);
  const tl0s = sent.map((s) => s.tl0);
  assert.deepEqual(seqs, [900, 901, 902, 903, 904, 905, 906]);
  assert.deepEqual(pics, [100, 101, 102, 103, 104, 105, 106]);
  assert.deepEqual(tl0s, [100, 101, 102, 103, 104, 105, 106]);
  // Timestamps: h's own until the switch, then +10 ms (900 units) from
  // the last one sent, l's own spacing, then +31 ms (2790 units).
  assert.deepEqual(sent.map((s) => s.ts), [
    40000,
    43000,
    46000,
    46900,
    49900,
    52690,
    55690,
  ]);
  assert(sent.every((s) => s.ssrc === 0xd0d0));
  [h, l].forEach((u) => wasm.freeUp(u));
  wasm.freeDown(d);
});

Deno.test("a NACKed packet is served from the cache exactly as first sent", () => {
  const u = up();
  const d = down(0x4e4e);
  const first: Uint8Array[] = [];
  for (let i = 0; i < 5; i++) {
    const slot = slotOf(
      wasm.ingest(
        u,
        rtp({ seq: 10 + i, ts: i * 3000, ssrc: 7, payload: vp8(i, i === 0) }),
        i,
      ),
    );
    first.push(wasm.forward(d, u, slot, 0, i)!.slice());
  }
  assert.deepEqual(wasm.retransmit(d, 12), first[2]);
  assert.equal(wasm.retransmit(d, 99), null);
  wasm.freeUp(u);
  assert.equal(wasm.retransmit(d, 12), null);
  wasm.freeDown(d);
});

Deno.test("keyframeRun() lists the slots from the newest keyframe, across the wrap, in one call", () => {
  const u = up();
  assert.equal(wasm.keyframeRun(u, 96), null);
  const slots: Slot[] = [];
  for (let i = 0; i < 5; i++) {
    slots.push(slotOf(
      wasm.ingest(
        u,
        rtp({
          seq: (65533 + i) & 0xffff,
          ts: i * 3000,
          ssrc: 7,
          payload: vp8(i, i === 1),
        }),
        i,
      ),
    ));
  }
  assert.deepEqual(wasm.keyframeRun(u, 96), slots.slice(1));
  assert.equal(wasm.keyframeRun(u, 3), null); // 4 packets: too many
  wasm.freeUp(u);
});

Deno.test("sequence numbers wrap at 65535 in the cache, the output and NACKs", () => {
  const u = up();
  const d = down(0x5151);
  const seqs: number[] = [];
  for (let i = 0; i < 6; i++) {
    const seq = (65533 + i) & 0xffff;
    const slot = slotOf(
      wasm.ingest(
        u,
        rtp({
          seq,
          ts: (0xffffffff + i * 3000) >>> 0,
          ssrc: 7,
          payload: vp8(32766 + i, i === 0),
        }),
        i,
      ),
    );
    seqs.push(fields(wasm.forward(d, u, slot, 0, i)!).seq);
  }
  assert.deepEqual(seqs, [65533, 65534, 65535, 0, 1, 2]);
  assert.equal(wasm.slotInfo(u, wasm.slotBySeq(u, 65535)!)!.seq, 65535);
  assert.equal(wasm.slotInfo(u, wasm.slotBySeq(u, 1)!)!.seq, 1);
  const again = fields(wasm.retransmit(d, 0)!);
  assert.equal(again.seq, 0);
  assert.equal(again.pic, 1); // 32769 wrapped to 15 bits
  wasm.freeUp(u);
  wasm.freeDown(d);
});

Deno.test("upstream holes produce a NACK, and RTCP round-trips through the parser", () => {
  const u = up();
  for (const seq of [1, 2, 6, 7]) {
    wasm.ingest(
      u,
      rtp({ seq, ts: seq * 3000, ssrc: 0x1234, payload: vp8(seq, false) }),
      0,
    );
  }
  const nack = wasm.nackDue(u, 99, 30)!;
  assert.deepEqual(wasm.parseRtcp(nack.slice()), [{
    type: "nack",
    sender: 99,
    media: 0x1234,
    seqs: [3, 4, 5],
  }]);
  assert.equal(wasm.nackDue(u, 99, 31), null);

  const rr = wasm.receiverReport([u], 99, 40).slice();
  const [report] = wasm.parseRtcp(rr);
  assert.equal(report?.type, "report");
  if (report?.type === "report") {
    assert.deepEqual([report.ssrc, report.cumulativeLost, report.highestSeq], [
      0x1234,
      3,
      7,
    ]);
  }
  const pli = wasm.pli(1, 0xfeedbeef).slice();
  const remb = wasm.remb(1, 1_500_000, [0xfeedbeef, 2]).slice();
  const compound = new Uint8Array([...pli, ...remb]);
  assert.deepEqual(wasm.parseRtcp(compound), [
    { type: "pli", sender: 1, media: 0xfeedbeef },
    { type: "remb", sender: 1, media: 0xfeedbeef, bitrate: 1_500_000 },
    { type: "remb", sender: 1, media: 2, bitrate: 1_500_000 },
  ]);
  const sdes = new Uint8Array([
    0x81,
    202,
    0,
    3,
    0,
    0,
    0,
    42,
    1,
    3,
    0x61,
    0x62,
    0x63,
    0,
    0,
    0,
  ]);
  assert.deepEqual(wasm.parseRtcp(sdes), [{
    type: "cname",
    ssrc: 42,
    cname: "abc",
  }]);
  assert.throws(() => wasm.parseRtcp(compound.subarray(0, 14)), SyntaxError);
  wasm.freeUp(u);
});

Deno.test("the bandwidth estimate moves the target layer", () => {
  const d = down(1);
  wasm.onRemb(d, 2_000_000, 0);
  assert.deepEqual(
    wasm.adjust(d, { nowMs: 0, rates: [100_000, 400_000], maxLayer: 2 }),
    { target: 1, reason: "raised" },
  );
  // A REMB above half of what is forwarded (nothing yet) bounds nothing;
  // heavy loss does.
  assert.equal(wasm.available(d, 0), 1_000_000_000);
  wasm.onLoss(d, 128, 10);
  assert.equal(wasm.available(d, 10), 9_600);
  assert.deepEqual(
    wasm.adjust(d, { nowMs: 10, rates: [100_000, 400_000], maxLayer: 2 }),
    { target: 0, reason: "lowered" },
  );
  wasm.freeDown(d);
});

Deno.test("bad handles give errors and frees are idempotent", () => {
  const u = up();
  const d = down(1);
  assert.equal(wasm.freeUp(u), true);
  assert.equal(wasm.freeUp(u), false);
  assert.equal(wasm.freeDown(d), true);
  assert.equal(wasm.freeDown(d), false);
  const packet = rtp({ seq: 1, ts: 1, ssrc: 1, payload: vp8(1, true) });
  assert.throws(() => wasm.ingest(u, packet, 0), RangeError);
  assert.throws(() => wasm.forward(d, u, 0 as Slot, 0, 0), RangeError);
  assert.throws(() => wasm.setTarget(d, 1), RangeError);
  const live = up();
  assert.throws(() => wasm.ingest(live, new Uint8Array(4096), 0), RangeError);
  assert.equal(wasm.ingest(live, new Uint8Array(5), 0), "malformed");
  assert.throws(
    () => wasm.createUp({ codec: "vp8", clockRate: 90000, capacity: 5000 }),
    RangeError,
  );
  assert.throws(
    () =>
      wasm.createDown({
        ssrc: 1,
        payloadType: 200,
        codec: "vp8",
        clockRate: 90000,
      }),
    RangeError,
  );
  wasm.freeUp(live);
});

Deno.test("views stay correct after the memory grows", () => {
  const u = up();
  const d = down(0x7777);
  const slot = slotOf(
    wasm.ingest(u, rtp({ seq: 5, ts: 5, ssrc: 5, payload: vp8(5, true) }), 0),
  );
  const big = Array.from(
    { length: 8 },
    () => wasm.createUp({ codec: "vp8", clockRate: 90000, capacity: 1024 }),
  );
  assert.equal(fields(wasm.forward(d, u, slot, 0, 0)!).ssrc, 0x7777);
  const s2 = slotOf(
    wasm.ingest(u, rtp({ seq: 6, ts: 6, ssrc: 5, payload: vp8(6, false) }), 1),
  );
  assert.equal(fields(wasm.forward(d, u, s2, 0, 1)!).seq, 6);
  big.forEach((b) => wasm.freeUp(b));
  wasm.freeUp(u);
  wasm.freeDown(d);
});
