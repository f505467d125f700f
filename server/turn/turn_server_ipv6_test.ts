import { Buffer } from "node:buffer";
import { assert, assertEquals } from "../../tests/support/assert.ts";
import {
  errorOf,
  tid,
  TurnAuth,
  TurnTestClient,
  type UdpPeer,
  udpPeer,
} from "../../tests/support/turn_client.ts";
import {
  type LoopbackTurn,
  startLoopbackTurn,
  testCredentials,
} from "../../tests/support/loopback_turn.ts";
import { channelOf, channelPayload, writeChannelData } from "./channel_data.ts";
import type { TransportAddress } from "./ip_address.ts";
import { Attr, MessageClass, Method } from "./stun_constants.ts";
import { decodeAddress, decodeStun, type StunMessage } from "./stun_message.ts";
import { StunWriter } from "./stun_writer.ts";

const udpTransport = (w: StunWriter) =>
  w.bytes(Attr.requestedTransport, new Uint8Array([17, 0, 0, 0]));
const family = (f: number) => new Uint8Array([f, 0, 0, 0]);
const requesting = (f: number) => (w: StunWriter) =>
  udpTransport(w).bytes(Attr.requestedAddressFamily, family(f));
const dual = (w: StunWriter) =>
  udpTransport(w).bytes(Attr.additionalAddressFamily, family(2));

/** Every XOR-RELAYED-ADDRESS of a response, in order. */
function relayed(m: StunMessage): TransportAddress[] {
  return m.all(Attr.xorRelayedAddress).map((v) =>
    decodeAddress(v, m.transactionId)!
  );
}

/** ADDRESS-ERROR-CODE as [family byte, code]. */
function addressError(m: StunMessage): [number, number] | undefined {
  const v = m.get(Attr.addressErrorCode);
  return v === undefined ? undefined : [v[0]!, v[2]! * 100 + v[3]!];
}

/** Relays "ping" client → peer with a Send indication and "pong" back. */
async function relaysBothWays(
  c: TurnTestClient,
  auth: TurnAuth,
  peer: UdpPeer,
  o: { relay: TransportAddress; peerHost: string },
): Promise<void> {
  const peerAddress = {
    family: o.relay.family,
    address: o.peerHost,
    port: peer.port,
  };
  const bound = await auth.call(Method.channelBind, (w) => {
    w.bytes(Attr.channelNumber, new Uint8Array([0x40, 0x02, 0, 0]));
    w.xorAddress(Attr.xorPeerAddress, peerAddress);
  });
  assertEquals(bound.cls, MessageClass.success, `error ${errorOf(bound)}`);
  const frame = new Uint8Array(32);
  const n = writeChannelData(frame, 0x4002, new TextEncoder().encode("ping"), {
    pad: c.stream,
  });
  c.send(frame.subarray(0, n));
  assertEquals((await peer.received()).toString(), "ping");
  peer.socket.send(Buffer.from("pong"), o.relay.port, o.peerHost);
  const back = await c.next((m) => channelOf(m) === 0x4002);
  assertEquals(new TextDecoder().decode(channelPayload(back)), "pong");
}

async function withServer(
  options: { ipv6: boolean },
  body: (t: LoopbackTurn) => Promise<void>,
): Promise<void> {
  const t = await startLoopbackTurn(options);
  try {
    await body(t);
  } finally {
    await t.close();
  }
}

Deno.test("without an IPv6 address: an IPv6 relay gets 440, a dual allocation only IPv4 with ADDRESS-ERROR-CODE 440", async () => {
  await withServer({ ipv6: false }, async (t) => {
    const c = await TurnTestClient.udp(t.port);
    const c2 = await TurnTestClient.udp(t.port);
    try {
      const six = await new TurnAuth(c, testCredentials()).call(
        Method.allocate,
        requesting(2),
      );
      assertEquals(errorOf(six), 440);
      assertEquals(t.server.allocationCount, 0);
      const both = await new TurnAuth(c2, testCredentials()).call(
        Method.allocate,
        dual,
      );
      assertEquals(both.cls, MessageClass.success, `error ${errorOf(both)}`);
      assertEquals(relayed(both).map((r) => r.family), [4]);
      assertEquals(addressError(both), [2, 440]);
    } finally {
      c.close();
      c2.close();
    }
  });
});

for (const client of ["udp 127.0.0.1", "udp ::1", "tcp ::1"] as const) {
  Deno.test(`an IPv6 relay on ::1 relays both ways to an IPv6 peer (client over ${client}); IPv4 peers get 443`, async () => {
    await withServer({ ipv6: true }, async (t) => {
      const [transport, host] = client.split(" ") as ["udp" | "tcp", string];
      const c = transport === "udp"
        ? await TurnTestClient.udp(t.port, host)
        : await TurnTestClient.tcp(t.port, host);
      const peer = await udpPeer("::1");
      try {
        const auth = new TurnAuth(c, testCredentials());
        const a = await auth.call(Method.allocate, requesting(2));
        assertEquals(a.cls, MessageClass.success, `error ${errorOf(a)}`);
        const relays = relayed(a);
        assertEquals(relays.map((r) => [r.family, r.address]), [[6, "::1"]]);
        assertEquals(a.xorAddress(Attr.xorMappedAddress)?.address, host);
        await relaysBothWays(c, auth, peer, {
          relay: relays[0]!,
          peerHost: "::1",
        });
        const v4 = await auth.call(
          Method.createPermission,
          (w) =>
            w.xorAddress(Attr.xorPeerAddress, {
              family: 4,
              address: "127.0.0.1",
              port: 9,
            }),
        );
        assertEquals(errorOf(v4), 443);
        const refresh = await auth.call(Method.refresh, (w) => {
          w.u32(Attr.lifetime, 600);
          w.bytes(Attr.requestedAddressFamily, family(1));
        });
        assertEquals(errorOf(refresh), 443);
      } finally {
        c.close();
        peer.socket.close();
      }
    });
  });
}

Deno.test("a dual allocation (ADDITIONAL-ADDRESS-FAMILY) relays IPv4 and IPv6 peers, each through the relay of its family", async () => {
  await withServer({ ipv6: true }, async (t) => {
    const c = await TurnTestClient.udp(t.port);
    const peer4 = await udpPeer("127.0.0.1");
    const peer6 = await udpPeer("::1");
    try {
      const auth = new TurnAuth(c, testCredentials());
      const a = await auth.call(Method.allocate, dual);
      assertEquals(a.cls, MessageClass.success, `error ${errorOf(a)}`);
      const relays = relayed(a);
      assertEquals(relays.map((r) => [r.family, r.address]), [
        [4, "127.0.0.1"],
        [6, "::1"],
      ]);
      assertEquals(addressError(a), undefined);
      // Send indications, so that each peer's source port shows its relay.
      for (
        const [peer, host, relay] of [
          [peer4, "127.0.0.1", relays[0]!],
          [peer6, "::1", relays[1]!],
        ] as const
      ) {
        const to = { family: relay.family, address: host, port: peer.port };
        assertEquals(
          (await auth.call(
            Method.createPermission,
            (w) => w.xorAddress(Attr.xorPeerAddress, to),
          )).cls,
          MessageClass.success,
        );
        const from = new Promise<number>((resolve) =>
          peer.socket.once("message", (_m, r) => resolve(r.port))
        );
        c.send(
          new StunWriter(Method.send, MessageClass.indication, tid())
            .xorAddress(Attr.xorPeerAddress, to)
            .bytes(Attr.data, new TextEncoder().encode(`to ${host}`))
            .finish(),
        );
        assertEquals(await from, relay.port);
        assertEquals((await peer.received()).toString(), `to ${host}`);
        peer.socket.send(Buffer.from(`from ${host}`), relay.port, host);
        const d = decodeStun(
          await c.next((m) => m[0] === 0x00 && m[1] === 0x17),
        );
        assert(d.ok);
        assertEquals(d.message.xorAddress(Attr.xorPeerAddress), to);
      }
      // One allocation, two sockets, one bound.
      assertEquals(t.server.allocationCount, 1);
    } finally {
      c.close();
      peer4.socket.close();
      peer6.socket.close();
    }
  });
});

Deno.test("address family errors: both family attributes, ADDITIONAL IPv4 and unknown families get 400", async () => {
  await withServer({ ipv6: true }, async (t) => {
    const cases: [string, (w: StunWriter) => void][] = [
      ["both", (w) => dual(w).bytes(Attr.requestedAddressFamily, family(1))],
      [
        "additional IPv4",
        (w) => udpTransport(w).bytes(Attr.additionalAddressFamily, family(1)),
      ],
      ["requested 3", requesting(3)],
      [
        "short",
        (w) =>
          udpTransport(w).bytes(Attr.requestedAddressFamily, new Uint8Array(2)),
      ],
    ];
    for (const [name, attrs] of cases) {
      const c = await TurnTestClient.udp(t.port);
      try {
        const r = await new TurnAuth(c, testCredentials()).call(
          Method.allocate,
          attrs,
        );
        assertEquals(errorOf(r), 400, name);
      } finally {
        c.close();
      }
    }
    assertEquals(t.server.allocationCount, 0);
  });
});
