import { assert, assertEquals } from "../../../tests/support/assert.ts";
import {
  type MediaStreamTrack,
  ReceiverEstimatedMaxBitrate,
  type RTCPeerConnection,
  RtcpPayloadSpecificFeedback,
  type RTCRtpSender,
  type RtpPacket,
} from "werift";
import type {
  ConnectionState,
  DownConnection,
  TrackRequest,
  UpConnection,
  UpTrackInfo,
} from "../media_node.ts";
import { LocalMediaNode } from "./local_media_node.ts";
import {
  addCandidate,
  audioPacket,
  connectDown,
  connectUp,
  loopbackPeer,
  NO_ICE,
  openSockets,
  sendTrack,
  vp8Packet,
} from "../../../tests/support/werift_peers.ts";
import { waitFor } from "../../../tests/support/wait_for.ts";

function newNode(): LocalMediaNode {
  return new LocalMediaNode({
    loopbackOnly: true,
    log: Deno.env.get("NODE_LOG") ? console.log : () => {},
  });
}

interface Published {
  pc: RTCPeerConnection;
  up: UpConnection;
  video: MediaStreamTrack;
  audio: MediaStreamTrack;
  /** The video sender, which receives the node's PLIs and REMBs. */
  sender: RTCRtpSender;
  tracks: UpTrackInfo[][];
  states: ConnectionState[];
  /** PLIs received; like a browser, the next video packet sent is a keyframe. */
  plis: number;
  keyframeAsked: boolean;
  /** REMBs received. */
  rembs: number;
}

async function publish(
  node: LocalMediaNode,
  options: { trickle: boolean },
): Promise<Published> {
  const pc = loopbackPeer();
  const video = sendTrack("video");
  const audio = sendTrack("audio");
  pc.addTransceiver(audio, { direction: "sendonly" });
  const { sender } = pc.addTransceiver(video, { direction: "sendonly" });
  const tracks: UpTrackInfo[][] = [];
  const states: ConnectionState[] = [];
  const up = await node.openUp({
    group: "g",
    ice: NO_ICE,
    id: "stream-1",
    codecs: ["vp8", "opus"],
    onIceCandidate: (c) => void addCandidate(pc, c),
    onTracks: (t) => tracks.push([...t]),
    onStateChange: (s) => states.push(s),
  });
  const published: Published = {
    pc,
    up,
    video,
    audio,
    sender,
    tracks,
    states,
    plis: 0,
    keyframeAsked: false,
    rembs: 0,
  };
  sender.onPictureLossIndication.subscribe(() => {
    published.plis++;
    published.keyframeAsked = true;
  });
  sender.onRtcp.subscribe((packet) => {
    if (
      packet instanceof RtcpPayloadSpecificFeedback &&
      packet.feedback instanceof ReceiverEstimatedMaxBitrate
    ) published.rembs++;
  });
  await connectUp(pc, up, { trickle: options.trickle });
  return published;
}

interface Subscribed {
  pc: RTCPeerConnection;
  down: DownConnection;
  offer: string;
  received: { audio: RtpPacket[]; video: RtpPacket[] };
  states: ConnectionState[];
}

async function subscribe(
  node: LocalMediaNode,
  options: {
    request: TrackRequest[];
    trickle: boolean;
    /** Runs between the node's offer and the subscriber's answer. */
    beforeAnswer?: () => Promise<unknown>;
  },
): Promise<Subscribed> {
  const pc = loopbackPeer();
  const received = { audio: [] as RtpPacket[], video: [] as RtpPacket[] };
  pc.onTrack.subscribe((track) => {
    track.onReceiveRtp.subscribe((p) =>
      received[track.kind === "audio" ? "audio" : "video"].push(p)
    );
  });
  const states: ConnectionState[] = [];
  const down = await node.openDown({
    group: "g",
    ice: NO_ICE,
    id: "stream-1",
    subscriber: "client-b",
    upId: "stream-1",
    request: options.request,
    onIceCandidate: (c) => void addCandidate(pc, c),
    onStateChange: (s) => states.push(s),
  });
  const offer = await connectDown(pc, down, {
    trickle: options.trickle,
    ...(options.beforeAnswer ? { beforeAnswer: options.beforeAnswer } : {}),
  });
  return { pc, down, offer, received, states };
}

/**
 * Writes video and audio packet `i`; the video packet is a keyframe when
 * `key(i)` (default: every 30th) or when a PLI asked for one.
 */
function sendOne(
  pub: Published,
  i: number,
  key: (i: number) => boolean = (i) => i % 30 === 0,
): void {
  const isKey = key(i) || pub.keyframeAsked;
  pub.keyframeAsked = false;
  pub.video.writeRtp(
    vp8Packet({ seq: 30000 + i, timestamp: 3000 * i, key: isKey }),
  );
  pub.audio.writeRtp(audioPacket(100 + i, 960 * i));
}

/** Writes `count` video and audio packets, 5 ms apart. */
async function send(
  pub: Published,
  options: { from: number; count: number; key?: (i: number) => boolean },
): Promise<void> {
  for (let i = options.from; i < options.from + options.count; i++) {
    sendOne(pub, i, options.key);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Writes packets from `from` on, one per poll of `predicate`, until it
 * holds; returns the next packet number.
 */
async function sendUntil(
  pub: Published,
  from: number,
  what: string,
  predicate: () => boolean,
  key?: (i: number) => boolean,
): Promise<number> {
  let i = from;
  await waitFor(what, () => {
    if (predicate()) return true;
    sendOne(pub, i++, key);
    return false;
  });
  return i;
}

/** The video sequence numbers the node has cached, seen through a tap. */
function cachedVideo(node: LocalMediaNode): Set<number> {
  const seqs = new Set<number>();
  node.openTap({
    upId: "stream-1",
    onPacket: (p) => {
      if (p.kind === "video") seqs.add(p.seq);
    },
    onSenderReport: () => {},
    onClose: () => {},
  });
  return seqs;
}

/** VP8 payload header P bit (RFC 7741 §4.3): 0 on a keyframe. */
function isKeyframe(packet: RtpPacket): boolean {
  return (packet.payload[1]! & 0x01) === 0;
}

function ssrcOf(sdp: string, kind: string): number {
  const section = sdp.split("m=").find((s) => s.startsWith(kind))!;
  return Number(/a=ssrc:(\d+)/.exec(section)![1]);
}

Deno.test("a published stream reaches a subscriber with the subscriber's SSRC, PT and contiguous sequence numbers", async () => {
  const sockets = openSockets();
  const node = newNode();
  const pub = await publish(node, { trickle: false });
  await send(pub, { from: 0, count: 10 });
  await waitFor("onTracks", () => pub.tracks.length > 0);
  assertEquals(pub.tracks[0]!.map((t) => `${t.kind}/${t.codec}`).sort(), [
    "audio/opus",
    "video/vp8",
  ]);
  assert(pub.states.includes("connected"), "up connection reported connected");

  const sub = await subscribe(node, {
    request: ["audio", "video"],
    trickle: false,
  });
  assert(
    /a=rtpmap:96 VP8\/90000/.test(sub.offer),
    "offer carries VP8 on payload type 96",
  );
  assert(
    /a=rtcp-fb:96 goog-remb/.test(sub.offer) && !/transport-cc/.test(sub.offer),
    "video feedback is Galène's",
  );
  assert(/a=msid:stream-1 /.test(sub.offer), "msid names the stream");
  await send(pub, { from: 10, count: 60 });
  await waitFor(
    "packets at the subscriber",
    () => sub.received.video.length >= 40 && sub.received.audio.length >= 40,
  );

  const videoSsrc = ssrcOf(sub.offer, "video");
  for (const p of sub.received.video) {
    assertEquals(p.header.ssrc, videoSsrc);
    assertEquals(p.header.payloadType, 96);
  }
  for (const p of sub.received.audio) assertEquals(p.header.payloadType, 111);
  const seqs = sub.received.video.map((p) => p.header.sequenceNumber);
  for (let i = 1; i < seqs.length; i++) {
    assertEquals(seqs[i], (seqs[i - 1]! + 1) & 0xffff);
  }
  assertEquals((await node.stats()).length, 2);
  const stats = await node.stats();
  assertEquals(stats.map((s) => s.direction).sort(), ["down", "up"]);

  pub.up.close();
  assertEquals(sub.states.at(-1), "closed", "closing the up closes the down");
  assertEquals((await node.stats()).length, 0);
  pub.up.close(); // idempotent
  sub.down.close();
  await node.close();
  await pub.pc.close();
  await sub.pc.close();
  if (sockets >= 0) {
    await waitFor("the sockets to close", () => openSockets() === sockets, {
      timeoutMs: 3000,
    }).catch(() => {});
    assertEquals(openSockets(), sockets, "no UDP socket left open");
  }
});

Deno.test("trickle ICE works with candidates exchanged after the descriptions", async () => {
  const node = newNode();
  const pub = await publish(node, { trickle: true });
  await send(pub, { from: 0, count: 5 });
  await waitFor("onTracks", () => pub.tracks.length > 0);
  const sub = await subscribe(node, {
    request: ["audio", "video"],
    trickle: true,
  });
  // Whether the node replays its cached keyframe or asks the publisher for
  // one, the subscriber starts at a keyframe.
  await sendUntil(
    pub,
    5,
    "packets at the subscriber",
    () => sub.received.video.length >= 10 && sub.received.audio.length >= 10,
  );
  assert(isKeyframe(sub.received.video[0]!), "starts at a keyframe");
  // REMB is sent every second: without a subscriber REMB, the generous default.
  await waitFor(
    "REMB at the publisher",
    () => pub.sender.receiverEstimatedMaxBitrate > 0n,
    { timeoutMs: 3000 },
  );
  assert(
    pub.sender.receiverEstimatedMaxBitrate >= 2_400_000n,
    `${pub.sender.receiverEstimatedMaxBitrate}`,
  );
  await node.close();
  assertEquals((await node.stats()).length, 0);
  await pub.pc.close();
  await sub.pc.close();
});

Deno.test("a new subscriber starts from the cached keyframe and the publisher is asked for none", async () => {
  const node = newNode();
  const pub = await publish(node, { trickle: false });
  const cached = cachedVideo(node);
  // Packet 30 is a keyframe: the node caches it and 4 more.
  await send(pub, { from: 1, count: 34 });
  await waitFor("the last packet cached", () => cached.has(30034));
  assert(
    cached.has(30001),
    "the first packet, sent as soon as the publisher was connected",
  );
  const rembs = pub.rembs;
  const sub = await subscribe(node, {
    request: ["video"],
    trickle: false,
    // The node ticks (REMB, and any keyframe request) while the subscriber
    // connects.
    beforeAnswer: () => waitFor("a tick of the node", () => pub.rembs > rembs),
  });
  await waitFor("the replay", () => sub.received.video.length >= 5);
  assert(isKeyframe(sub.received.video[0]!), "starts at the keyframe");
  assertEquals(
    sub.received.video.map((p) => p.header.timestamp),
    [30, 31, 32, 33, 34].map((i) => 3000 * i),
  );
  assertEquals(pub.plis, 0, "PLIs sent to the publisher");
  await node.close();
  await pub.pc.close();
  await sub.pc.close();
});

Deno.test("a new subscriber with no keyframe cached has the publisher asked for one, and starts from it", async () => {
  const node = newNode();
  const pub = await publish(node, { trickle: false });
  const cached = cachedVideo(node);
  const never = () => false;
  let i = await sendUntil(
    pub,
    1,
    "packets cached",
    () => cached.size >= 5,
    never,
  );
  const sub = await subscribe(node, { request: ["video"], trickle: false });
  i = await sendUntil(pub, i, "a PLI", () => pub.plis > 0, never);
  await sendUntil(
    pub,
    i,
    "packets at the subscriber",
    () => sub.received.video.length >= 5,
    never,
  );
  assert(isKeyframe(sub.received.video[0]!), "starts at the keyframe");
  await node.close();
  await pub.pc.close();
  await sub.pc.close();
});

Deno.test("setRequest() between video and video-low needs no renegotiation, adding audio does", async () => {
  const node = newNode();
  const pub = await publish(node, { trickle: false });
  await send(pub, { from: 0, count: 5 });
  await waitFor("onTracks", () => pub.tracks.length > 0);
  const sub = await subscribe(node, { request: ["video"], trickle: false });
  assertEquals(await sub.down.setRequest(["video-low"]), false);
  assertEquals(await sub.down.setRequest(["video"]), false);
  assertEquals(await sub.down.setRequest(["audio", "video"]), true);
  const offer = await sub.down.negotiate();
  assert(offer !== null && /m=audio/.test(offer), "the new offer has audio");
  assertEquals(await sub.down.setRequest([]), true);
  await node.close();
  await pub.pc.close();
  await sub.pc.close();
});

interface SimulcastPublisher {
  pc: RTCPeerConnection;
  tracks: UpTrackInfo[][];
  /** Writes packet `i` of layer `rid` (werift cannot send simulcast itself). */
  sendLayer(rid: "h" | "l", i: number): void;
}

/** A werift publisher announcing simulcast layers "h" and "l". */
async function publishSimulcast(
  node: LocalMediaNode,
): Promise<SimulcastPublisher> {
  const pc = loopbackPeer();
  const transceiver = pc.addTransceiver(sendTrack("video"), {
    direction: "sendonly",
    simulcast: [{ direction: "send", rid: "h" }, {
      direction: "send",
      rid: "l",
    }],
  });
  const tracks: UpTrackInfo[][] = [];
  const up = await node.openUp({
    group: "g",
    ice: NO_ICE,
    id: "stream-1",
    codecs: ["vp8", "opus"],
    onIceCandidate: (c) => void addCandidate(pc, c),
    onTracks: (t) => tracks.push([...t]),
    onStateChange: () => {},
  });
  await pc.setLocalDescription(await pc.createOffer());
  assert(
    /a=simulcast:send h;l/.test(pc.localDescription!.sdp),
    "the publisher offers simulcast",
  );
  await pc.setRemoteDescription({
    type: "answer",
    sdp: await up.offer(pc.localDescription!.sdp),
  });
  await waitFor(
    "publisher connected",
    () => pc.connectionState === "connected",
  );
  const ridId =
    transceiver.headerExtensions.find((e) =>
      e.uri.endsWith("sdes:rtp-stream-id")
    )!.id;
  const transport = transceiver.sender.transport!;
  const sendLayer = (rid: "h" | "l", i: number) => {
    const p = vp8Packet({
      seq: (rid === "h" ? 1000 : 65500) + i,
      timestamp: (rid === "h" ? 0 : 123456789) + 3000 * i,
      key: i % 20 === 0,
      ssrc: rid === "h" ? 1111 : 2222,
    });
    p.header.payloadType = 120;
    p.header.extensions = [{ id: ridId, payload: Buffer.from(rid) }];
    p.payload[2] = rid.charCodeAt(0);
    void transport.sendRtp(p.payload, p.header);
  };
  return { pc, tracks, sendLayer };
}

/**
 * Asserts that sequence numbers are contiguous and that the first packet of
 * layer `rid` starts a keyframe, with timestamps going on.
 */
function assertSwitch(video: RtpPacket[], rid: "h" | "l"): void {
  const seqs = video.map((p) => p.header.sequenceNumber);
  for (let k = 1; k < seqs.length; k++) {
    assertEquals(seqs[k], (seqs[k - 1]! + 1) & 0xffff);
  }
  const first = video.findIndex((p) => p.payload[2] === rid.charCodeAt(0));
  assertEquals(
    video[first]!.payload[1],
    0x00,
    "the new layer starts at a keyframe",
  );
  const tsBefore = video[first - 1]!.header.timestamp;
  const tsAfter = video[first]!.header.timestamp;
  assert(
    tsAfter > tsBefore && tsAfter - tsBefore < 90000,
    `timestamps continue: ${tsBefore} → ${tsAfter}`,
  );
}

Deno.test("a simulcast publisher's layers are switched on one outgoing track with contiguous sequence numbers", async () => {
  const node = newNode();
  const { pc, tracks, sendLayer } = await publishSimulcast(node);
  let i = 0;
  const pump = async (count: number) => {
    for (const end = i + count; i < end; i++) {
      sendLayer("h", i);
      sendLayer("l", i);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await pump(5);
  await waitFor("both layers reported", () => tracks.at(-1)?.length === 2);
  assertEquals(tracks.at(-1)!.map((t) => t.rid), ["h", "l"]);

  const sub = await subscribe(node, { request: ["video"], trickle: false });
  await pump(30);
  await waitFor(
    "high layer at the subscriber",
    () => sub.received.video.length >= 10,
  );
  assert(
    sub.received.video.every((p) => p.payload[2] === 0x68),
    "only the high layer before the switch",
  );
  assertEquals(await sub.down.setRequest(["video-low"]), false);
  await pump(40);
  await waitFor(
    "low layer at the subscriber",
    () => sub.received.video.some((p) => p.payload[2] === 0x6c),
  );
  assertSwitch(sub.received.video, "l");
  await node.close();
  await pc.close();
  await sub.pc.close();
});

Deno.test("a simulcast layer that starts after a subscriber joined is added to its track", async () => {
  const node = newNode();
  const { pc, tracks, sendLayer } = await publishSimulcast(node);
  let i = 0;
  const pump = async (count: number, rids: ("h" | "l")[]) => {
    for (const end = i + count; i < end; i++) {
      for (const rid of rids) sendLayer(rid, i);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  // Only the low layer at first: reported once the wait for "h" ends (2 s).
  await pump(5, ["l"]);
  await waitFor("the low layer reported", () => tracks.length === 1, {
    timeoutMs: 4000,
  });
  assertEquals(tracks[0]!.map((t) => t.rid), ["l"]);

  const sub = await subscribe(node, { request: ["video"], trickle: false });
  await pump(30, ["l"]);
  await waitFor(
    "low layer at the subscriber",
    () => sub.received.video.length >= 10,
  );

  // The high layer starts: reported again, and the subscriber's track takes
  // it at the next negotiation (signalling negotiates on every report).
  await pump(5, ["h", "l"]);
  await waitFor("both layers reported", () => tracks.at(-1)?.length === 2);
  await sub.down.negotiate();
  await pump(80, ["h", "l"]);
  await waitFor(
    "high layer at the subscriber",
    () => sub.received.video.some((p) => p.payload[2] === 0x68),
  );
  assertSwitch(sub.received.video, "h");
  await node.close();
  await pc.close();
  await sub.pc.close();
});

Deno.test("a tap whose consumer throws is closed, logged and told; the stream goes on to its subscriber", async () => {
  const logs: string[] = [];
  const node = new LocalMediaNode({
    loopbackOnly: true,
    log: (m) => logs.push(m),
  });
  const pub = await publish(node, { trickle: false });
  await send(pub, { from: 0, count: 10 });
  const sub = await subscribe(node, {
    request: ["audio", "video"],
    trickle: false,
  });
  let closed = false;
  node.openTap({
    upId: "stream-1",
    onPacket: () => {
      throw new Error("a recorder's bug");
    },
    onSenderReport: () => {},
    onClose: () => (closed = true),
  });
  await send(pub, { from: 10, count: 10 });
  await waitFor("the tap closed", () => closed);
  assert(
    logs.some((l) =>
      l.startsWith("tap on up stream-1: rtp callback failed") &&
      l.includes("a recorder's bug")
    ),
    "logged with the tap's name",
  );
  const before = sub.received.video.length;
  await send(pub, { from: 20, count: 30 });
  await waitFor(
    "video after the tap's failure",
    () => sub.received.video.length >= before + 20,
  );
  assertEquals((await node.stats()).length, 2);
  await node.close();
  await pub.pc.close();
  await sub.pc.close();
});
