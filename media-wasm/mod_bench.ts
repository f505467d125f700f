import { MediaWasm, type Slot } from "./mod.ts";

// The per-packet hot path through the real module: one 1200-byte VP8 packet
// cached, then rewritten for each subscriber. Sequence numbers advance so
// that every iteration stores a new packet.
const wasm = await MediaWasm.load();
const PACKET_BYTES = 1200;

function packet(): Uint8Array {
  const p = new Uint8Array(PACKET_BYTES).fill(0x5a);
  p.set([0x80, 96, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78]);
  p.set([0x90, 0xe0, 0x80, 0x01, 0x01, 0x00, 0x00], 12);
  return p;
}

function setup(subscribers: number) {
  const up = wasm.createUp({ codec: "vp8", clockRate: 90000, capacity: 512 });
  const downs = Array.from(
    { length: subscribers },
    (_, i) =>
      wasm.createDown({
        ssrc: 0x1000 + i,
        payloadType: 96,
        codec: "vp8",
        clockRate: 90000,
      }),
  );
  const p = packet();
  const view = new DataView(p.buffer);
  let seq = 0;
  return function step(): void {
    seq++;
    view.setUint16(2, seq & 0xffff);
    view.setUint32(4, seq * 3000);
    const slot = wasm.ingest(up, p, seq) as Slot;
    for (const d of downs) wasm.forward(d, up, slot, 0, seq);
  };
}

const one = setup(1);
Deno.bench("ingest + forward, 1200-byte packet, 1 subscriber", {
  baseline: true,
}, one);
const ten = setup(10);
Deno.bench("ingest + forward, 1200-byte packet, 10 subscribers", ten);

const upOnly = wasm.createUp({ codec: "vp8", clockRate: 90000, capacity: 512 });
const p = packet();
const v = new DataView(p.buffer);
let s = 0;
Deno.bench("ingest only, 1200-byte packet", () => {
  s++;
  v.setUint16(2, s & 0xffff);
  wasm.ingest(upOnly, p, s);
});

// The SVC layer decision on the same path: a VP8 L1T3 stream (one packet
// per frame, temporal layers 0 2 1 2) to one subscriber taking every layer
// and to one capped to the base layer, whose filter drops three packets in
// four and renumbers the rest.
function svcSetup(capBps: number) {
  const up = wasm.createUp({ codec: "vp8", clockRate: 90000, capacity: 512 });
  const down = wasm.createDown({
    ssrc: 0x2000,
    payloadType: 96,
    codec: "vp8",
    clockRate: 90000,
  });
  const p = packet();
  const view = new DataView(p.buffer);
  let seq = 0;
  return function step(): void {
    seq++;
    const tid = [0, 2, 1, 2][seq & 3]!;
    view.setUint16(2, seq & 0xffff);
    view.setUint32(4, seq * 3000);
    p[14] = 0x80 | ((seq >> 8) & 0x7f);
    p[15] = seq & 0xff;
    p[16] = (seq >> 2) & 0xff;
    p[17] = (tid << 6) | ((seq & 3) === 1 || (seq & 3) === 2 ? 0x20 : 0);
    p[18] = seq === 1 ? 0 : 1;
    const slot = wasm.ingest(up, p, seq) as Slot;
    wasm.forward(down, up, slot, 0, seq);
    if ((seq & 1023) === 0) {
      wasm.svcAdjust(down, { nowMs: seq, maxSpatial: 7, capBps });
    }
  };
}

Deno.bench(
  "ingest + forward, VP8 L1T3, 1 subscriber taking every layer",
  { group: "svc", baseline: true },
  svcSetup(0),
);
Deno.bench(
  "ingest + forward, VP8 L1T3, 1 subscriber capped to the base layer",
  { group: "svc" },
  svcSetup(1),
);
