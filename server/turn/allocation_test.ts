import { Buffer } from "node:buffer";
import { assertEquals } from "../../tests/support/assert.ts";
import {
  errorOf,
  TurnAuth,
  TurnTestClient,
  udpPeer,
} from "../../tests/support/turn_client.ts";
import {
  startLoopbackTurn,
  testCredentials,
} from "../../tests/support/loopback_turn.ts";
import { waitFor } from "../../tests/support/wait_for.ts";
import { channelOf, writeChannelData } from "./channel_data.ts";
import { Attr, MessageClass, Method } from "./stun_constants.ts";

Deno.test("an allocation carries at most bytesPerSecond, both directions together: the excess is dropped, counted at the receivers", async () => {
  // A frozen clock: the budget refills only when the test moves it.
  let now = Date.now();
  const t = await startLoopbackTurn({
    now: () => now,
    limits: { bytesPerSecond: 10_000 },
  });
  const c = await TurnTestClient.udp(t.port);
  const peer = await udpPeer();
  try {
    const auth = new TurnAuth(c, testCredentials("alice", now));
    const a = await auth.call(
      Method.allocate,
      (w) => w.bytes(Attr.requestedTransport, new Uint8Array([17, 0, 0, 0])),
    );
    assertEquals(a.cls, MessageClass.success, `error ${errorOf(a)}`);
    const relay = a.xorAddress(Attr.xorRelayedAddress)!;
    const bound = await auth.call(Method.channelBind, (w) => {
      w.bytes(Attr.channelNumber, new Uint8Array([0x40, 0x00, 0, 0]));
      w.xorAddress(Attr.xorPeerAddress, {
        family: 4,
        address: "127.0.0.1",
        port: peer.port,
      });
    });
    assertEquals(bound.cls, MessageClass.success, `error ${errorOf(bound)}`);
    const allocation = t.server.allocation(`u127.0.0.1:${c.localPort}`)!;

    // 30 packets of 1000 bytes within one instant: one second's worth pass.
    const frame = new Uint8Array(1004);
    const n = writeChannelData(frame, 0x4000, new Uint8Array(1000), {
      pad: false,
    });
    for (let i = 0; i < 30; i++) c.send(frame.subarray(0, n));
    await waitFor("30 packets handled", () => {
      const { relayed, dropped } = allocation.stats;
      return relayed + dropped === 30;
    });
    await waitFor("10 packets at the peer", () => peer.count === 10);
    assertEquals(allocation.stats, { relayed: 10, dropped: 20 });

    // The peer's answers share the spent budget: all dropped…
    const reply = Buffer.alloc(1000);
    for (let i = 0; i < 5; i++) {
      peer.socket.send(reply, relay.port, "127.0.0.1");
    }
    await waitFor("5 more dropped", () => allocation.stats.dropped === 25);
    // …until half a second refills half of it.
    now += 500;
    for (let i = 0; i < 8; i++) {
      peer.socket.send(reply, relay.port, "127.0.0.1");
    }
    await waitFor("8 more handled", () => {
      const { relayed, dropped } = allocation.stats;
      return relayed + dropped === 43;
    });
    // 5 arrive at the client, and the server relayed no more than those.
    for (let i = 0; i < 5; i++) {
      await c.next((m) => channelOf(m) === 0x4000);
    }
    assertEquals(allocation.stats, { relayed: 15, dropped: 28 });
  } finally {
    c.close();
    peer.socket.close();
    await t.close();
  }
});
