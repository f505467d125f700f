/**
 * Run inside a network namespace (see `../ipv6_netns_test.ts`) whose
 * interface has 10.77.0.1 and fd77::1: starts the built-in TURN server as
 * `-turn :0` does (`startBuiltInTurn`: every address, the machine's
 * addresses found by itself), then checks it as clients of either family
 * meet it, and prints one JSON line ({@link Ipv6Report}).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import {
  channelOf,
  channelPayload,
  writeChannelData,
} from "../../../server/turn/channel_data.ts";
import {
  Attr,
  MessageClass,
  Method,
} from "../../../server/turn/stun_constants.ts";
import { decodeAddress } from "../../../server/turn/stun_message.ts";
import { StunWriter } from "../../../server/turn/stun_writer.ts";
import { startBuiltInTurn } from "../../../server/turn/turn_service.ts";
import {
  errorOf,
  tid,
  TurnAuth,
  TurnTestClient,
  udpPeer,
} from "../../support/turn_client.ts";

/** What the scenario saw. */
export interface Ipv6Report {
  logs: string[];
  /** Per client (`udp|tcp ADDRESS`): the XOR-MAPPED-ADDRESS of a Binding. */
  mapped: Record<string, string>;
  /** Relayed addresses of an IPv6 and of a dual Allocate. */
  relayed6: string[];
  relayedDual: string[];
  /** What an IPv6 peer got through the IPv6 relay, and what came back. */
  toPeer: string;
  fromPeer: string;
}

const dataDir = await Deno.makeTempDir({ prefix: "nereid-turn-v6-" });
const logs: string[] = [];
const turn = (await startBuiltInTurn({
  flag: ":0",
  externalServers: false,
  dataDir,
  log: (m) => logs.push(m),
}))!;
const report: Ipv6Report = {
  logs,
  mapped: {},
  relayed6: [],
  relayedDual: [],
  toPeer: "",
  fromPeer: "",
};
const clients: TurnTestClient[] = [];
try {
  for (
    const [transport, host] of [
      ["udp", "10.77.0.1"],
      ["udp", "fd77::1"],
      ["tcp", "10.77.0.1"],
      ["tcp", "fd77::1"],
    ] as const
  ) {
    const c = transport === "udp"
      ? await TurnTestClient.udp(turn.port, host, host)
      : await TurnTestClient.tcp(turn.port, host);
    clients.push(c);
    const r = await c.request(
      new StunWriter(Method.binding, MessageClass.request, tid()).finish(),
    );
    report.mapped[`${transport} ${host}`] =
      r.xorAddress(Attr.xorMappedAddress)?.address ?? `error ${errorOf(r)}`;
  }
  const relays = (m: Awaited<ReturnType<TurnAuth["call"]>>) =>
    m.all(Attr.xorRelayedAddress).map((v) => {
      const a = decodeAddress(v, m.transactionId)!;
      return `${a.address} ${a.port}`;
    });
  const udp = (w: StunWriter) =>
    w.bytes(Attr.requestedTransport, new Uint8Array([17, 0, 0, 0]));
  const c6 = await TurnTestClient.udp(turn.port, "fd77::1", "fd77::1");
  const cDual = await TurnTestClient.udp(turn.port, "10.77.0.1", "10.77.0.1");
  clients.push(c6, cDual);
  const auth = new TurnAuth(
    c6,
    turn.iceServer(Date.now()) as {
      username: string;
      credential: string;
    },
  );
  const a6 = await auth.call(
    Method.allocate,
    (w) =>
      udp(w).bytes(Attr.requestedAddressFamily, new Uint8Array([2, 0, 0, 0])),
  );
  report.relayed6 = relays(a6);
  const dual = await new TurnAuth(
    cDual,
    turn.iceServer(Date.now()) as {
      username: string;
      credential: string;
    },
  ).call(
    Method.allocate,
    (w) =>
      udp(w).bytes(Attr.additionalAddressFamily, new Uint8Array([2, 0, 0, 0])),
  );
  report.relayedDual = relays(dual);

  // Through the IPv6 relay to a peer on the machine's IPv6 address.
  const peer = await udpPeer("fd77::1");
  const relay = a6.xorAddress(Attr.xorRelayedAddress)!;
  await auth.call(Method.channelBind, (w) => {
    w.bytes(Attr.channelNumber, new Uint8Array([0x40, 0x00, 0, 0]));
    w.xorAddress(Attr.xorPeerAddress, {
      family: 6,
      address: "fd77::1",
      port: peer.port,
    });
  });
  const frame = new Uint8Array(32);
  const n = writeChannelData(frame, 0x4000, new TextEncoder().encode("to v6"), {
    pad: false,
  });
  c6.send(frame.subarray(0, n));
  report.toPeer = (await peer.received()).toString();
  peer.socket.send(Buffer.from("from v6"), relay.port, "fd77::1");
  const back = await c6.next((m) => channelOf(m) === 0x4000);
  report.fromPeer = new TextDecoder().decode(channelPayload(back));
  peer.socket.close();
} finally {
  for (const c of clients) c.close();
  await turn.close();
  await Deno.remove(dataDir, { recursive: true });
}
console.log(JSON.stringify(report));
