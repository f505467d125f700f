import { assert, assertEquals } from "./test_assert.ts";
import { createTsPipelines, KEYFRAME, seqDiff } from "./packet_pipeline.ts";
import { vp8Packet } from "./test_peers.ts";

function down(layer = 0) {
  return createTsPipelines().down({
    ssrc: 42,
    payloadType: 96,
    clockRate: 90000,
    layer,
  });
}

Deno.test("seqDiff() measures distances across the 16-bit wrap", () => {
  assertEquals(seqDiff(2, 65534), 4);
  assertEquals(seqDiff(65534, 2), -4);
  assertEquals(seqDiff(7, 7), 0);
});

Deno.test("forward() rewrites SSRC and PT, clears extensions and leaves the input untouched", () => {
  const p = down();
  const input = vp8Packet({ seq: 10, timestamp: 1000, key: false });
  input.header.extensions = [{ id: 2, payload: Buffer.from([1, 2, 3]) }];
  const out = p.forward(input, 0, 0, 0)!;
  assertEquals([
    out.header.ssrc,
    out.header.payloadType,
    out.header.extensions.length,
  ], [42, 96, 0]);
  assertEquals([
    input.header.ssrc,
    input.header.payloadType,
    input.header.extensions.length,
  ], [1234, 120, 1]);
  assert(out.payload === input.payload, "the payload is shared, not copied");
});

Deno.test("forward() drops other layers and switches at a keyframe with contiguous seq and later timestamp", () => {
  const p = down(0);
  let last = p.forward(
    vp8Packet({ seq: 100, timestamp: 9000, key: false }),
    0,
    0,
    0,
  )!;
  assertEquals(
    p.forward(
      vp8Packet({ seq: 5000, timestamp: 777, key: false, ssrc: 2 }),
      1,
      0,
      10,
    ),
    null,
  );
  p.select(1);
  assertEquals(p.pendingLayer, 1);
  assertEquals(
    down().pendingLayer,
    -1,
    "nothing waits before the first packet",
  );
  // Not a keyframe yet: keep forwarding layer 0, drop layer 1.
  assertEquals(
    p.forward(
      vp8Packet({ seq: 5001, timestamp: 777, key: false, ssrc: 2 }),
      1,
      0,
      20,
    ),
    null,
  );
  last = p.forward(
    vp8Packet({ seq: 101, timestamp: 9000, key: false }),
    0,
    0,
    20,
  )!;
  const switched = p.forward(
    vp8Packet({ seq: 5002, timestamp: 3777, key: true, ssrc: 2 }),
    1,
    KEYFRAME,
    53,
  )!;
  assertEquals(p.pendingLayer, -1);
  assertEquals(
    switched.header.sequenceNumber,
    (last.header.sequenceNumber + 1) & 0xffff,
  );
  // 33 ms later at 90 kHz: 2970 ticks after the last outgoing timestamp.
  assertEquals(switched.header.timestamp, (last.header.timestamp + 2970) >>> 0);
  const next = p.forward(
    vp8Packet({ seq: 5003, timestamp: 3777, key: false, ssrc: 2 }),
    1,
    0,
    54,
  )!;
  assertEquals(
    next.header.sequenceNumber,
    (switched.header.sequenceNumber + 1) & 0xffff,
  );
  assertEquals(next.header.timestamp, switched.header.timestamp);
  // Old layer and late packets of the new layer from before the switch are dropped.
  assertEquals(
    p.forward(vp8Packet({ seq: 102, timestamp: 9000, key: false }), 0, 0, 55),
    null,
  );
  assertEquals(
    p.forward(
      vp8Packet({ seq: 5001, timestamp: 777, key: false, ssrc: 2 }),
      1,
      0,
      55,
    ),
    null,
  );
});

Deno.test("forward() keeps sequence numbers contiguous across the 65535 wrap after a switch", () => {
  const p = down(0);
  p.forward(vp8Packet({ seq: 65534, timestamp: 0, key: false }), 0, 0, 0);
  p.select(1);
  const a = p.forward(
    vp8Packet({ seq: 10, timestamp: 5, key: true }),
    1,
    KEYFRAME,
    1,
  )!;
  const b = p.forward(
    vp8Packet({ seq: 11, timestamp: 5, key: false }),
    1,
    0,
    1,
  )!;
  assertEquals([a.header.sequenceNumber, b.header.sequenceNumber], [65535, 0]);
});

Deno.test("retransmit() returns the packet sent with that sequence number, and null once evicted", () => {
  const p = down();
  for (let i = 0; i < 600; i++) {
    p.forward(vp8Packet({ seq: i, timestamp: i, key: false }), 0, 0, i);
  }
  assertEquals(p.retransmit(599)?.header.sequenceNumber, 599);
  assertEquals(p.retransmit(10), null);
  assertEquals(p.retransmit(1000), null);
  assertEquals(p.packets, 600);
});

Deno.test("the up pipeline flags keyframes and measures bitrate and loss per second", () => {
  const up = createTsPipelines().up({ codec: "vp8", clockRate: 90000 });
  assertEquals(
    up.ingest(vp8Packet({ seq: 0, timestamp: 0, key: true }), 0),
    KEYFRAME,
  );
  for (let i = 1; i < 100; i++) {
    if (i % 10 === 0) continue; // 10 % loss
    assertEquals(
      up.ingest(vp8Packet({ seq: i, timestamp: i * 900, key: false }), i * 10),
      0,
    );
  }
  up.ingest(vp8Packet({ seq: 100, timestamp: 90000, key: false }), 1000);
  const figures = up.figures(1000);
  assert(Math.abs(figures.loss - 0.09) < 0.011, `loss ${figures.loss}`);
  assertEquals(figures.bitrate, Math.round(91 * 212 * 8));
  assert(figures.jitter < 0.001, `jitter ${figures.jitter}`);
});
