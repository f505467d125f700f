import { Buffer } from "node:buffer";
import { assert, assertEquals } from "../../tests/support/assert.ts";
import {
  errorOf,
  tid,
  TurnAuth,
  TurnTestClient,
  udpPeer,
} from "../../tests/support/turn_client.ts";
import { waitFor } from "../../tests/support/wait_for.ts";
import {
  startLoopbackTurn,
  TEST_TURN_SECRET,
  testCredentials,
} from "../../tests/support/loopback_turn.ts";
import { channelOf, channelPayload, writeChannelData } from "./channel_data.ts";
import { Attr, MessageClass, Method } from "./stun_constants.ts";
import { decodeStun } from "./stun_message.ts";
import { StunWriter } from "./stun_writer.ts";
import { issueCredentials } from "./turn_credentials.ts";

const SECRET = TEST_TURN_SECRET;
const startTurn = startLoopbackTurn;
const credentials = testCredentials;

const udpTransport = (w: StunWriter) =>
  w.bytes(Attr.requestedTransport, new Uint8Array([17, 0, 0, 0]));

Deno.test("Binding answers with the client's address, unauthenticated", async () => {
  const t = await startTurn();
  const c = await TurnTestClient.udp(t.port);
  try {
    const r = await c.request(
      new StunWriter(Method.binding, MessageClass.request, tid()).finish(),
    );
    assertEquals(r.cls, MessageClass.success);
    assertEquals(r.xorAddress(Attr.xorMappedAddress), {
      family: 4,
      address: "127.0.0.1",
      port: c.localPort,
    });
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("an unsigned Allocate gets a small 401 with realm and nonce; wrong or expired credentials get 401", async () => {
  const t = await startTurn();
  const c = await TurnTestClient.udp(t.port);
  try {
    const request = new StunWriter(
      Method.allocate,
      MessageClass.request,
      tid(),
    );
    udpTransport(request);
    const bytes = request.finish();
    const r = await c.request(bytes);
    assertEquals(errorOf(r), 401);
    assertEquals(r.text(Attr.realm), "nereid");
    assert((r.text(Attr.nonce) ?? "").length > 0);
    assert(r.bytes.length <= 80, `a 401 of ${r.bytes.length} bytes`);

    const wrong = new TurnAuth(c, { ...credentials(), credential: "nope" });
    assertEquals(errorOf(await wrong.call(Method.allocate, udpTransport)), 401);
    const expired = new TurnAuth(
      c,
      issueCredentials(SECRET, {
        name: "bob",
        now: Date.now() - 7200_000,
        validitySeconds: 3600,
      }),
    );
    assertEquals(
      errorOf(await expired.call(Method.allocate, udpTransport)),
      401,
    );
    assertEquals(t.server.allocationCount, 0);
  } finally {
    c.close();
    await t.close();
  }
});

for (const transport of ["udp", "tcp"] as const) {
  Deno.test(`over ${transport}: Allocate, permission, Send/Data indications and channels relay both ways`, async () => {
    const t = await startTurn();
    const c = transport === "udp"
      ? await TurnTestClient.udp(t.port)
      : await TurnTestClient.tcp(t.port);
    const peer = await udpPeer();
    try {
      const auth = new TurnAuth(c, credentials());
      const a = await auth.call(Method.allocate, (w) => {
        udpTransport(w);
        w.u32(Attr.lifetime, 100_000);
      });
      assertEquals(a.cls, MessageClass.success, `error ${errorOf(a)}`);
      const relayed = a.xorAddress(Attr.xorRelayedAddress)!;
      assertEquals(relayed.address, "127.0.0.1");
      assertEquals(a.u32(Attr.lifetime), 3600); // capped
      assertEquals(a.xorAddress(Attr.xorMappedAddress)?.port, c.localPort);

      const peerAddress = {
        family: 4 as const,
        address: "127.0.0.1",
        port: peer.port,
      };
      // Without a permission, the peer's datagrams are dropped.
      peer.socket.send(Buffer.from("early"), relayed.port, "127.0.0.1");
      // The first TCP connection of a listener is "tcp1".
      const allocation = t.server.allocation(
        transport === "udp" ? `u127.0.0.1:${c.localPort}` : "tcp1",
      )!;
      await waitFor(
        "the early datagram to be dropped",
        () => allocation.stats.dropped === 1,
      );
      assertEquals(
        (await auth.call(
          Method.createPermission,
          (w) => w.xorAddress(Attr.xorPeerAddress, peerAddress),
        )).cls,
        MessageClass.success,
      );
      // Send indication → peer.
      c.send(
        new StunWriter(Method.send, MessageClass.indication, tid())
          .xorAddress(Attr.xorPeerAddress, peerAddress)
          .bytes(Attr.data, new TextEncoder().encode("hello peer"))
          .finish(),
      );
      assertEquals((await peer.received()).toString(), "hello peer");
      // Peer → Data indication.
      peer.socket.send(Buffer.from("hello client"), relayed.port, "127.0.0.1");
      const d = decodeStun(await c.next((m) => m[0] === 0x00 && m[1] === 0x17));
      assert(d.ok);
      assertEquals(d.message.method, Method.data);
      assertEquals(
        new TextDecoder().decode(d.message.get(Attr.data)),
        "hello client",
      );
      assertEquals(d.message.xorAddress(Attr.xorPeerAddress), peerAddress);

      // ChannelBind, then ChannelData both ways.
      const bound = await auth.call(Method.channelBind, (w) => {
        w.bytes(Attr.channelNumber, new Uint8Array([0x40, 0x01, 0, 0]));
        w.xorAddress(Attr.xorPeerAddress, peerAddress);
      });
      assertEquals(bound.cls, MessageClass.success, `error ${errorOf(bound)}`);
      const frame = new Uint8Array(32);
      const n = writeChannelData(
        frame,
        0x4001,
        new TextEncoder().encode("on channel"),
        { pad: c.stream },
      );
      c.send(frame.subarray(0, n));
      assertEquals((await peer.received()).toString(), "on channel");
      peer.socket.send(
        Buffer.from("back on channel"),
        relayed.port,
        "127.0.0.1",
      );
      const back = await c.next((m) => channelOf(m) === 0x4001);
      assertEquals(
        new TextDecoder().decode(channelPayload(back)),
        "back on channel",
      );
      if (c.stream) assertEquals(back.length % 4, 0);
    } finally {
      c.close();
      peer.socket.close();
      await t.close();
    }
  });
}

Deno.test("a permission or channel for an address that is not allowed is refused with 403", async () => {
  const t = await startTurn();
  const c = await TurnTestClient.udp(t.port);
  try {
    const auth = new TurnAuth(c, credentials());
    assertEquals((await auth.call(Method.allocate, udpTransport)).cls, 2);
    const stranger = { family: 4 as const, address: "127.0.0.2", port: 9 };
    const p = await auth.call(
      Method.createPermission,
      (w) => w.xorAddress(Attr.xorPeerAddress, stranger),
    );
    assertEquals(errorOf(p), 403);
    const b = await auth.call(Method.channelBind, (w) => {
      w.bytes(Attr.channelNumber, new Uint8Array([0x40, 0x00, 0, 0]));
      w.xorAddress(Attr.xorPeerAddress, stranger);
    });
    assertEquals(errorOf(b), 403);
    // Nor the allocation's own relay port.
    const relay =
      t.server.allocation(`u127.0.0.1:${c.localPort}`)!.relays.get(4)!.port;
    const self = await auth.call(Method.channelBind, (w) => {
      w.bytes(Attr.channelNumber, new Uint8Array([0x40, 0x00, 0, 0]));
      w.xorAddress(Attr.xorPeerAddress, {
        family: 4,
        address: "127.0.0.1",
        port: relay,
      });
    });
    assertEquals(errorOf(self), 403);
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("two allocations relay to each other (relay to relay, as /relay-test does)", async () => {
  const t = await startTurn();
  const c1 = await TurnTestClient.udp(t.port);
  const c2 = await TurnTestClient.udp(t.port);
  try {
    const a1 = new TurnAuth(c1, credentials("one"));
    const a2 = new TurnAuth(c2, credentials("two"));
    const r1 = (await a1.call(Method.allocate, udpTransport))
      .xorAddress(Attr.xorRelayedAddress)!;
    const r2 = (await a2.call(Method.allocate, udpTransport))
      .xorAddress(Attr.xorRelayedAddress)!;
    for (const [auth, other] of [[a1, r2], [a2, r1]] as const) {
      const bound = await auth.call(Method.channelBind, (w) => {
        w.bytes(Attr.channelNumber, new Uint8Array([0x40, 0x00, 0, 0]));
        w.xorAddress(Attr.xorPeerAddress, other);
      });
      assertEquals(bound.cls, MessageClass.success, `${errorOf(bound)}`);
    }
    const frame = new Uint8Array(32);
    const n = writeChannelData(frame, 0x4000, new TextEncoder().encode("hi"), {
      pad: false,
    });
    c1.send(frame.subarray(0, n));
    const got = await c2.next((m) => channelOf(m) === 0x4000);
    assertEquals(new TextDecoder().decode(channelPayload(got)), "hi");
  } finally {
    c1.close();
    c2.close();
    await t.close();
  }
});

Deno.test("Allocate errors: 437 on a used 5-tuple (a retransmission gets the same answer), 442, 400", async () => {
  const t = await startTurn();
  const c = await TurnTestClient.udp(t.port);
  try {
    const auth = new TurnAuth(c, credentials());
    const first = await auth.call(Method.allocate, udpTransport);
    assertEquals(first.cls, MessageClass.success);
    const again = await c.request(
      auth.sign(Method.allocate, udpTransport, first.transactionId.slice()),
    );
    assertEquals([...again.bytes], [...first.bytes]);
    assertEquals(errorOf(await auth.call(Method.allocate, udpTransport)), 437);

    const c2 = await TurnTestClient.udp(t.port);
    try {
      const auth2 = new TurnAuth(c2, credentials());
      const tcp = await auth2.call(
        Method.allocate,
        (w) => w.bytes(Attr.requestedTransport, new Uint8Array([6, 0, 0, 0])),
      );
      assertEquals(errorOf(tcp), 442);
      assertEquals(errorOf(await auth2.call(Method.allocate)), 400);
      assertEquals(
        errorOf(
          await auth2.call(Method.refresh, (w) => w.u32(Attr.lifetime, 600)),
        ),
        437,
      );
    } finally {
      c2.close();
    }
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("Refresh: another user's credentials get 441, LIFETIME 0 deletes the allocation", async () => {
  const t = await startTurn();
  const c = await TurnTestClient.udp(t.port);
  try {
    const auth = new TurnAuth(c, credentials("alice"));
    assertEquals((await auth.call(Method.allocate, udpTransport)).cls, 2);
    const mallory = new TurnAuth(c, credentials("mallory"));
    assertEquals(
      errorOf(
        await mallory.call(Method.refresh, (w) => w.u32(Attr.lifetime, 600)),
      ),
      441,
    );
    const r = await auth.call(Method.refresh, (w) => w.u32(Attr.lifetime, 0));
    assertEquals(r.cls, MessageClass.success);
    assertEquals(r.u32(Attr.lifetime), 0);
    assertEquals(t.server.allocationCount, 0);
    assert(t.logs.some((l) => l.includes("refreshed to 0")));
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("a stale nonce gets 438, and allocations expire with their lifetime", async () => {
  let now = Date.now();
  const t = await startTurn({
    now: () => now,
    limits: { nonceLifetimeMs: 60_000 },
  });
  const c = await TurnTestClient.udp(t.port);
  try {
    const auth = new TurnAuth(c, credentials("alice", now));
    assertEquals((await auth.call(Method.allocate, udpTransport)).cls, 2);
    now += 61_000;
    const stale = await c.request(
      auth.sign(Method.refresh, (w) => w.u32(Attr.lifetime, 600)),
    );
    assertEquals(errorOf(stale), 438);
    assert(stale.text(Attr.nonce) !== undefined);
    now += 600_000;
    t.server.expire(now);
    assertEquals(t.server.allocationCount, 0);
    assert(t.logs.some((l) => l.includes("(expired;")));
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("1,000 Allocate requests from one client are capped per user and per address (486)", async () => {
  const t = await startTurn({
    limits: { allocationsPerUser: 10, allocationsPerAddress: 20 },
  });
  const clients: TurnTestClient[] = [];
  try {
    const creds = credentials("greedy");
    const codes = new Map<number, number>();
    // 1,000 sockets of one client, 50 at a time.
    for (let batch = 0; batch < 20; batch++) {
      const round = await Promise.all(
        Array.from({ length: 50 }, () => TurnTestClient.udp(t.port)),
      );
      clients.push(...round);
      const answers = await Promise.all(
        round.map((c) =>
          new TurnAuth(c, creds).call(Method.allocate, udpTransport)
        ),
      );
      for (const a of answers) {
        const code = a.cls === MessageClass.success ? 200 : errorOf(a);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    }
    assertEquals(codes.get(200), 10);
    assertEquals(codes.get(486), 990);
    // Other users from that address, up to its own bound.
    const other = await TurnTestClient.udp(t.port);
    clients.push(other);
    assertEquals(
      (await new TurnAuth(other, credentials("polite")).call(
        Method.allocate,
        udpTransport,
      )).cls,
      MessageClass.success,
    );
  } finally {
    for (const c of clients) c.close();
    await t.close();
  }
});

Deno.test("random datagrams and TCP bytes get no answer and leave the server serving others", async () => {
  const t = await startTurn();
  const junk = await TurnTestClient.udp(t.port);
  const stream = await TurnTestClient.tcp(t.port);
  const c = await TurnTestClient.udp(t.port);
  try {
    const bytes = new Uint8Array(200);
    for (let i = 0; i < 3000; i++) {
      const n = 1 + (i % 200);
      crypto.getRandomValues(bytes);
      if (i % 3 === 0) {
        // A STUN header whose length disagrees with the datagram's.
        bytes.set([0, 1, 0, ((n - 20) & 0xfc) + 4, 0x21, 0x12, 0xa4, 0x42]);
      }
      junk.send(bytes.subarray(0, n));
    }
    // A STUN header whose length runs past the end, then junk: closed.
    stream.send(new Uint8Array([0, 3, 0xff, 0xfc, 0x21, 0x12, 0xa4, 0x42]));
    stream.send(crypto.getRandomValues(new Uint8Array(4096)));
    // A request whose fingerprint is wrong is dropped.
    const bad = new StunWriter(Method.binding, MessageClass.request, tid())
      .finish({ fingerprint: true });
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    junk.send(bad);
    assert(await junk.silentFor(300), "the server answered junk");
    const auth = new TurnAuth(c, credentials());
    assertEquals(
      (await auth.call(Method.allocate, udpTransport)).cls,
      MessageClass.success,
    );
  } finally {
    junk.close();
    stream.close();
    c.close();
    await t.close();
  }
});

Deno.test("unbounded users (the server's own connections) pass the per-user and per-address bounds but not the total", async () => {
  const t = await startTurn({
    limits: { allocationsPerUser: 2, allocationsPerAddress: 2, allocations: 5 },
    unbounded: (u) => u.endsWith(":server"),
  });
  const clients: TurnTestClient[] = [];
  try {
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      const c = await TurnTestClient.udp(t.port);
      clients.push(c);
      const a = await new TurnAuth(c, credentials("server")).call(
        Method.allocate,
        udpTransport,
      );
      codes.push(a.cls === MessageClass.success ? 200 : errorOf(a)!);
    }
    assertEquals(codes, [200, 200, 200, 200, 200, 508]);
  } finally {
    for (const c of clients) c.close();
    await t.close();
  }
});
