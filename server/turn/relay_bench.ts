/**
 * The TURN relay's per-packet work, in process and without sockets: a
 * ChannelData message from a client parsed and handed to the relay socket,
 * and a peer's datagram wrapped as ChannelData for the client, beside a
 * direct hand-over of the same packet (what forwarding without a relay
 * costs at this layer). The system calls, the same batched `sendmmsg` and
 * `recvmmsg` as the media path's, are left out.
 *
 * Run: `deno bench -A server/turn/relay_bench.ts` (part of `deno task bench`);
 * through real sockets end to end: `deno task bench:turn` (bench/README.md).
 *
 * @module
 */
import { Allocation, type ClientLink } from "./allocation.ts";
import { writeChannelData } from "./channel_data.ts";
import type { RelaySocket } from "./relay_socket.ts";
import { TurnServer } from "./turn_server.ts";

const PACKET = new Uint8Array(1200).fill(0x5a);
const CHANNEL = 0x4001;
const PEER = "192.0.2.10";
const PEER_PORT = 40000;

let sent = 0;
const relay: RelaySocket = {
  port: 50000,
  send: (data) => void (sent += data.length),
  close: () => Promise.resolve(),
};
const link: ClientLink = {
  key: "u192.0.2.1:5000",
  transport: "udp",
  address: "192.0.2.1",
  port: 5000,
  stream: false,
  send: (bytes) => void (sent += bytes.length),
};
const now = Date.now();
const allocation = new Allocation({
  link,
  username: "bench",
  key: new Uint8Array(16),
  relays: new Map([[4, relay]]),
  createdBy: "",
  response: new Uint8Array(0),
  expires: now + 3600_000,
  bytesPerSecond: Number.MAX_SAFE_INTEGER / 2,
  now: () => Date.now(),
});
allocation.bind(CHANNEL, PEER, PEER_PORT, now);
const frame = new Uint8Array(4 + PACKET.length);
writeChannelData(frame, CHANNEL, PACKET, { pad: false });

// The server's ChannelData entry point (an unknown 5-tuple: the drop path).
const server = new TurnServer({
  secret: "bench",
  relayAddress: "192.0.2.2",
  openRelay: () => Promise.resolve(relay),
  allowPeer: () => true,
  log: () => {},
});
const allocations = new Map([[link.key, allocation]]);

Deno.bench("direct: hand a 1200-byte packet to a socket", {
  group: "relay",
  baseline: true,
}, () => {
  relay.send(PACKET, PEER_PORT, PEER);
});

Deno.bench("client → peer: ChannelData parsed and relayed", {
  group: "relay",
}, () => {
  const a = allocations.get(link.key)!;
  a.sendOnChannel((frame[0]! << 8) | frame[1]!, frame.subarray(4));
});

Deno.bench("peer → client: datagram wrapped as ChannelData", {
  group: "relay",
}, () => {
  allocation.fromPeer(PACKET, PEER, PEER_PORT);
});

Deno.bench("server.channelData() for an unknown 5-tuple (dropped)", {
  group: "relay",
}, () => {
  server.channelData("u198.51.100.1:1", frame);
});
