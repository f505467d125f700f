import { assertEquals } from "../../../tests/support/assert.ts";
import { HandshakeOrder } from "./dtls_retransmission.ts";

const m = (seq: number) => ({ message_seq: seq });
const seqs = (r: { ready: { message_seq: number }[] }) =>
  r.ready.map((x) => x.message_seq);

Deno.test("handshake messages are handed on once each, in order", () => {
  const order = new HandshakeOrder();
  assertEquals(seqs(order.take([m(0)])), [0]);
  assertEquals(seqs(order.take([m(1), m(2)])), [1, 2]);
  const again = order.take([m(1), m(2)]);
  assertEquals([seqs(again), again.repeated], [[], true]);
});

Deno.test("a message after a gap waits for the missing one, which a retransmitted flight brings", () => {
  const order = new HandshakeOrder();
  order.take([m(0), m(1)]);
  const gap = order.take([m(3), m(4)]);
  assertEquals([seqs(gap), gap.repeated], [[], false]);
  const filled = order.take([m(2), m(3), m(4), m(5)]);
  assertEquals([seqs(filled), filled.repeated], [[2, 3, 4, 5], false]);
});

Deno.test("a retransmission that also brings a new message hands on the new one", () => {
  const order = new HandshakeOrder();
  order.take([m(0)]);
  const r = order.take([m(0), m(1)]);
  assertEquals([seqs(r), r.repeated], [[1], true]);
});

Deno.test("messages far ahead are not kept", () => {
  const order = new HandshakeOrder();
  assertEquals(seqs(order.take([m(500), m(60000)])), []);
  assertEquals(seqs(order.take([m(0)])), [0]);
});
