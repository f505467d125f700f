/**
 * `-turn IP:PORT` behind a NAT: the advertised IP is the NAT's, not one of
 * the machine's, and a NAT need not send back in what the machine sends to
 * its public address. Relayed clients still reach the server's media ports
 * and each other's relays through the advertised address: the TURN service
 * (as `startBuiltInTurn` builds it) relays to the local address instead.
 *
 * 127.0.0.2 stands for the NAT's public address: on loopback, so nothing
 * leaves the machine, and no socket of the test listens there, so what is
 * sent to it is lost as it would be at a NAT that does not hairpin.
 */

import { Buffer } from "node:buffer";
import { assertEquals } from "../support/assert.ts";
import {
  channelOf,
  channelPayload,
  writeChannelData,
} from "../../server/turn/channel_data.ts";
import {
  Attr,
  MessageClass,
  Method,
} from "../../server/turn/stun_constants.ts";
import { decodeStun } from "../../server/turn/stun_message.ts";
import { StunWriter } from "../../server/turn/stun_writer.ts";
import { TurnService } from "../../server/turn/turn_service.ts";
import {
  errorOf,
  tid,
  TurnAuth,
  TurnTestClient,
  udpPeer,
} from "../support/turn_client.ts";

const NAT = "127.0.0.2";

async function natTurn(): Promise<
  { service: TurnService; close: () => Promise<void> }
> {
  const dataDir = await Deno.makeTempDir({ prefix: "nereid-turn-nat-" });
  const service = await TurnService.start({
    plan: {
      on: true,
      reason: "-turn 127.0.0.2:0 (test)",
      hostname: "127.0.0.1",
      port: 0,
      advertise: NAT,
    },
    dataDir,
    addresses: ["127.0.0.1"],
    log: () => {},
  });
  return {
    service,
    close: async () => {
      await service.close();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/** A client of the service (on its local address) with a relay. */
async function relayed(service: TurnService) {
  const c = await TurnTestClient.udp(service.port);
  const auth = new TurnAuth(
    c,
    service.iceServer(Date.now()) as {
      username: string;
      credential: string;
    },
  );
  const a = await auth.call(
    Method.allocate,
    (w) => w.bytes(Attr.requestedTransport, new Uint8Array([17, 0, 0, 0])),
  );
  assertEquals(a.cls, MessageClass.success, `error ${errorOf(a)}`);
  const relay = a.xorAddress(Attr.xorRelayedAddress)!;
  assertEquals(relay.address, NAT);
  return { c, auth, relay };
}

function channelFrame(channel: number, text: string): Uint8Array {
  const frame = new Uint8Array(64);
  const n = writeChannelData(frame, channel, new TextEncoder().encode(text), {
    pad: false,
  });
  return frame.subarray(0, n);
}

Deno.test("behind a NAT, a relay whose peer is the advertised address reaches the server's media port, and the answers come back as from it", async () => {
  const { service, close } = await natTurn();
  const media = await udpPeer("127.0.0.1");
  const { c, auth, relay } = await relayed(service);
  try {
    const peer = { family: 4 as const, address: NAT, port: media.port };
    const bound = await auth.call(Method.channelBind, (w) => {
      w.bytes(Attr.channelNumber, new Uint8Array([0x40, 0x00, 0, 0]));
      w.xorAddress(Attr.xorPeerAddress, peer);
    });
    assertEquals(bound.cls, MessageClass.success, `error ${errorOf(bound)}`);
    c.send(channelFrame(0x4000, "to the media port"));
    assertEquals((await media.received()).toString(), "to the media port");

    media.socket.send(Buffer.from("back"), relay.port, "127.0.0.1");
    const back = await c.next((m) => channelOf(m) === 0x4000);
    assertEquals(new TextDecoder().decode(channelPayload(back)), "back");

    // Without a channel, a Data indication names the advertised address.
    const other = await udpPeer("127.0.0.1");
    try {
      const to = { family: 4 as const, address: NAT, port: other.port };
      c.send(
        new StunWriter(Method.send, MessageClass.indication, tid())
          .xorAddress(Attr.xorPeerAddress, to)
          .bytes(Attr.data, new TextEncoder().encode("by Send"))
          .finish(),
      );
      assertEquals((await other.received()).toString(), "by Send");
      other.socket.send(Buffer.from("by Data"), relay.port, "127.0.0.1");
      const d = decodeStun(await c.next((m) => m[0] === 0x00 && m[1] === 0x17));
      assertEquals(d.ok && d.message.xorAddress(Attr.xorPeerAddress), to);
    } finally {
      other.socket.close();
    }
  } finally {
    c.close();
    media.socket.close();
    await close();
  }
});

Deno.test("behind a NAT, two relays meet through their advertised addresses (as /relay-test and -relay-only do)", async () => {
  const { service, close } = await natTurn();
  const one = await relayed(service);
  const two = await relayed(service);
  try {
    for (const [side, other] of [[one, two], [two, one]] as const) {
      const bound = await side.auth.call(Method.channelBind, (w) => {
        w.bytes(Attr.channelNumber, new Uint8Array([0x40, 0x01, 0, 0]));
        w.xorAddress(Attr.xorPeerAddress, other.relay);
      });
      assertEquals(bound.cls, MessageClass.success, `error ${errorOf(bound)}`);
    }
    one.c.send(channelFrame(0x4001, "one to two"));
    const got = await two.c.next((m) => channelOf(m) === 0x4001);
    assertEquals(new TextDecoder().decode(channelPayload(got)), "one to two");
    two.c.send(channelFrame(0x4001, "two to one"));
    const back = await one.c.next((m) => channelOf(m) === 0x4001);
    assertEquals(new TextDecoder().decode(channelPayload(back)), "two to one");
  } finally {
    one.c.close();
    two.c.close();
    await close();
  }
});
