/**
 * Integration tests of the media node's quality machinery with werift peers
 * on loopback: NACK recovery, PLI rate limiting, simulcast splicing, sender
 * reports and teardown, with the WASM pipeline and the fast path active.
 */
import { assert, assertEquals } from "../../../tests/support/assert.ts";
import {
  type RTCPeerConnection,
  RtcpSrPacket,
  type RTCRtpSender,
  type RtpPacket,
} from "werift";
import type { TestFaults } from "./test_faults.ts";
import type {
  DownConnection,
  TrackRequest,
  UpConnection,
  UpTrackInfo,
} from "../media_node.ts";
import { LocalMediaNode } from "./local_media_node.ts";
import {
  addCandidate,
  connectDown,
  connectUp,
  loopbackPeer,
  NO_ICE,
  openSockets,
  sendTrack,
  vp8Packet,
} from "../../../tests/support/werift_peers.ts";
import { waitFor } from "../../../tests/support/wait_for.ts";

function newNode(testFaults: TestFaults = {}): LocalMediaNode {
  return new LocalMediaNode({
    loopbackOnly: true,
    testFaults,
    log: Deno.env.get("NODE_LOG") ? console.log : () => {},
  });
}

interface Publisher {
  pc: RTCPeerConnection;
  up: UpConnection;
  /** The tracks of the last `onTracks` event. */
  tracks(): readonly UpTrackInfo[];
  sender: RTCRtpSender;
  send(i: number, options?: { rid?: "h" | "l"; key?: boolean }): void;
  /** Sends packet 0 until the node knows the track. */
  started(): Promise<void>;
}

async function publish(
  node: LocalMediaNode,
  options: { simulcast: boolean },
): Promise<Publisher> {
  const pc = loopbackPeer();
  const track = sendTrack("video");
  const transceiver = pc.addTransceiver(track, {
    direction: "sendonly",
    ...(options.simulcast
      ? {
        simulcast: [{ direction: "send" as const, rid: "h" }, {
          direction: "send" as const,
          rid: "l",
        }],
      }
      : {}),
  });
  let tracks: readonly UpTrackInfo[] = [];
  const up = await node.openUp({
    group: "g",
    ice: NO_ICE,
    id: "s",
    codecs: ["vp8"],
    onIceCandidate: (c) => void addCandidate(pc, c),
    onTracks: (t) => (tracks = t),
    onStateChange: () => {},
  });
  await connectUp(pc, up);
  const ridId = transceiver.headerExtensions.find((e) =>
    e.uri.endsWith("sdes:rtp-stream-id")
  )?.id;
  const send = (i: number, o: { rid?: "h" | "l"; key?: boolean } = {}) => {
    const rid = o.rid;
    const p = vp8Packet({
      seq: (rid === "l" ? 65000 : 30000) + i,
      timestamp: (rid === "l" ? 123456789 : 0) + 3000 * i,
      key: o.key ?? i % 100 === 0,
      ssrc: rid === "l" ? 2222 : 1111,
    });
    if (rid === undefined) {
      track.writeRtp(p);
      return;
    }
    // werift cannot send simulcast: write each layer with its rid.
    p.header.extensions = [{ id: ridId!, payload: Buffer.from(rid) }];
    p.payload[2] = rid.charCodeAt(0);
    void transceiver.sender.transport!.sendRtp(p.payload, p.header);
  };
  // The publisher may report "connected" before the node has started SRTP
  // (the last DTLS flight is still on its way): repeat the first packet.
  const started = async () => {
    for (let k = 0; k < 160 && tracks.length === 0; k++) {
      send(0);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert(tracks.length === 1, "the node knows the track");
  };
  return {
    pc,
    up,
    tracks: () => tracks,
    sender: transceiver.sender,
    send,
    started,
  };
}

interface Subscriber {
  pc: RTCPeerConnection;
  down: DownConnection;
  video: RtpPacket[];
  srs: RtcpSrPacket[];
  pli(): void;
}

async function subscribe(
  node: LocalMediaNode,
  request: TrackRequest[],
): Promise<Subscriber> {
  const pc = loopbackPeer();
  const video: RtpPacket[] = [];
  const srs: RtcpSrPacket[] = [];
  let ssrc = 0;
  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((p) => {
      ssrc = p.header.ssrc;
      video.push(p);
    });
    track.onReceiveRtcp.subscribe((p) => {
      if (p instanceof RtcpSrPacket) srs.push(p);
    });
  });
  const down = await node.openDown({
    group: "g",
    ice: NO_ICE,
    id: "s",
    subscriber: "b",
    upId: "s",
    request,
    onIceCandidate: (c) => void addCandidate(pc, c),
    onStateChange: () => {},
  });
  await connectDown(pc, down);
  const receiver = pc.getTransceivers()[0]!.receiver;
  return {
    pc,
    down,
    video,
    srs,
    pli: () => void receiver.sendRtcpPLI(ssrc),
  };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("the WASM pipeline and the fast path are what a default node runs on", async () => {
  const node = newNode();
  assert(node.fastPath !== undefined, "the fast path is installed");
  // Where libcrypto and libc load (every Linux CI we run on), both are native.
  assertEquals(node.fastPath, { crypto: "openssl", udp: "sendmmsg" });
  await node.close();
});

Deno.test("with 5 % of forwarded packets dropped the subscriber still gets ≥ 99.5 % through NACKs, and sender reports carry the publisher's clock", async () => {
  const node = newNode({ dropForwarded: 0.05 });
  const pub = await publish(node, { simulcast: false });
  await pub.started();
  const sub = await subscribe(node, ["video"]);
  const count = 800;
  for (let i = 1; i <= count; i++) {
    pub.send(i);
    if (i % 4 === 0) await tick(5);
  }
  // Read while the stream still flows: the meter keeps a finished window
  // for one more window only.
  const down = (await node.stats()).find((s) => s.direction === "down")!;
  // The last packets' losses are only noticed when newer ones come.
  const last = 30000 + count - 20;
  const through = () => {
    const seqs = new Set(sub.video.map((p) => p.header.sequenceNumber));
    const first = Math.min(...seqs);
    let got = 0;
    for (let s = first; s <= last; s++) if (seqs.has(s)) got++;
    return { first, got, expected: last - first + 1 };
  };
  // NACK rounds bring the losses back, and a sender report comes within a
  // second or so: wait for both rather than for a fixed time.
  await waitFor("the losses recovered and a sender report", () => {
    const { got, expected } = through();
    return got / expected >= 0.995 && sub.srs.length > 0;
  }, { timeoutMs: 5000 }).catch(() => {});
  const { first, got, expected } = through();
  assert(expected > 600, `forwarding started late: ${first}`);
  assert(got / expected >= 0.995, `received ${got} of ${expected}`);
  assert(down.tracks[0]!.bitrate > 0, "down statistics have a bit rate");
  assert(sub.srs.length > 0, "the subscriber got sender reports");
  await node.close();
  await pub.pc.close();
  await sub.pc.close();
});

Deno.test("a burst of PLIs from subscribers reaches the publisher at most twice a second", async () => {
  const node = newNode();
  const pub = await publish(node, { simulcast: false });
  let plis = 0;
  pub.sender.onPictureLossIndication.subscribe(() => plis++);
  await pub.started();
  const a = await subscribe(node, ["video"]);
  const b = await subscribe(node, ["video"]);
  for (let i = 1; i < 50; i++) pub.send(i, { key: i === 1 });
  // Let the subscribers' first keyframe requests go out before counting.
  await tick(200);
  plis = 0;
  const start = performance.now();
  for (let i = 0; i < 40; i++) {
    a.pli();
    b.pli();
    pub.send(50 + i, { key: false });
    await tick(50);
  }
  const seconds = (performance.now() - start) / 1000;
  assert(plis >= 2, `PLIs were forwarded at all: ${plis}`);
  assert(plis <= Math.ceil(seconds * 2) + 1, `${plis} PLIs in ${seconds} s`);
  await node.close();
  await pub.pc.close();
  await a.pc.close();
  await b.pc.close();
});

Deno.test("a simulcast switch h → l → h keeps the subscriber's sequence numbers contiguous and timestamps increasing", async () => {
  const node = newNode();
  const pub = await publish(node, { simulcast: true });
  let i = 0;
  const pump = async (n: number) => {
    for (const end = i + n; i < end; i++) {
      pub.send(i, { rid: "h", key: i % 20 === 0 });
      pub.send(i, { rid: "l", key: i % 20 === 0 });
      await tick(5);
    }
  };
  await pump(5);
  await waitFor("both layers", () => pub.tracks().length === 2);
  const sub = await subscribe(node, ["video"]);
  const rid = (p: RtpPacket) => String.fromCharCode(p.payload[2]!);
  await pump(30);
  await waitFor(
    "h at the subscriber",
    () => sub.video.some((p) => rid(p) === "h"),
  );
  assertEquals(await sub.down.setRequest(["video-low"]), false);
  await pump(40);
  await waitFor(
    "l at the subscriber",
    () => sub.video.some((p) => rid(p) === "l"),
  );
  assertEquals(await sub.down.setRequest(["video"]), false);
  await pump(40);
  await waitFor("h again", () => rid(sub.video[sub.video.length - 1]!) === "h");
  const layers = sub.video.map(rid).join("").replace(/(.)\1+/g, "$1");
  assertEquals(layers, "hlh");
  for (let k = 1; k < sub.video.length; k++) {
    const a = sub.video[k - 1]!.header, b = sub.video[k]!.header;
    assertEquals(
      b.sequenceNumber,
      (a.sequenceNumber + 1) & 0xffff,
      `seq at ${k}`,
    );
    const dt = (b.timestamp - a.timestamp) >>> 0;
    assert(
      dt > 0 && dt < 90000,
      `timestamp at ${k}: ${a.timestamp} → ${b.timestamp}`,
    );
  }
  const stats = (await node.stats()).find((s) => s.direction === "down")!;
  assertEquals(stats.tracks[0]!.layer, "h");
  await node.close();
  await pub.pc.close();
  await sub.pc.close();
});

Deno.test("with every DTLS handshake datagram received twice, werift peers connect both ways and packets flow", async () => {
  const node = newNode({ duplicateHandshakes: true });
  const pub = await publish(node, { simulcast: false });
  await pub.started();
  const sub = await subscribe(node, ["video"]);
  for (let i = 1; i <= 60; i++) {
    pub.send(i);
    if (i % 4 === 0) await tick(5);
  }
  await waitFor("packets at the subscriber", () => sub.video.length >= 30);
  await node.close();
  await pub.pc.close();
  await sub.pc.close();
});

Deno.test("closing the node leaves no socket open (and the test sanitizers see no timer)", async () => {
  const before = openSockets();
  const node = newNode();
  const pub = await publish(node, { simulcast: false });
  await pub.started();
  const sub = await subscribe(node, ["video"]);
  for (let i = 1; i < 20; i++) pub.send(i);
  await waitFor("video", () => sub.video.length > 5);
  await node.close();
  assertEquals((await node.stats()).length, 0);
  await pub.pc.close();
  await sub.pc.close();
  if (before >= 0) {
    await waitFor("the sockets to close", () => openSockets() === before, {
      timeoutMs: 3000,
    }).catch(() => {});
    assertEquals(openSockets(), before, "sockets left open");
  }
});
