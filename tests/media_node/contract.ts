/**
 * The media-node contract test suite (server/media/media_node.ts): one set
 * of tests that every {@link MediaNode} implementation passes, through
 * real werift peers on loopback. `local_contract_test.ts` runs it against
 * the in-process node, `remote_contract_test.ts` against the remote client
 * talking to a media node in another process.
 *
 * @module
 */

import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { createSocket } from "node:dgram";
import type { MediaStreamTrack, RTCPeerConnection, RtpPacket } from "werift";
import {
  type ConnectionState,
  type DownConnection,
  MediaError,
  type MediaErrorReason,
  type MediaNode,
  type TrackRequest,
  type UpConnection,
  type UpTrackInfo,
} from "../../server/media/media_node.ts";
import {
  addCandidate,
  audioPacket,
  connectDown,
  connectUp,
  loopbackPeer,
  NO_ICE,
  sendTrack,
  vp8Packet,
} from "../support/werift_peers.ts";
import { waitFor } from "../support/wait_for.ts";
import { openUp } from "./support/open_up.ts";

/** A node under test, with the folder it records into. */
export interface NodeUnderTest {
  node: MediaNode;
  /** The root recordings folder of the node (a group's files are in `<dir>/<group>`). */
  recordingsDir: string;
  /** Stops the node and whatever runs it. */
  close(): Promise<void>;
}

interface Published {
  pc: RTCPeerConnection;
  up: UpConnection;
  video: MediaStreamTrack;
  audio: MediaStreamTrack;
  tracks: (readonly UpTrackInfo[])[];
  states: ConnectionState[];
}

// Trickle ICE both ways: every candidate crosses the contract as an event
// or an operation, none inside the SDP.
async function publish(node: MediaNode, id: string): Promise<Published> {
  const pc = loopbackPeer();
  const video = sendTrack("video");
  const audio = sendTrack("audio");
  pc.addTransceiver(audio, { direction: "sendonly" });
  pc.addTransceiver(video, { direction: "sendonly" });
  const tracks: (readonly UpTrackInfo[])[] = [];
  const states: ConnectionState[] = [];
  const up = await node.openUp({
    group: "g",
    id,
    codecs: ["vp8", "opus"],
    ice: NO_ICE,
    onIceCandidate: (c) => void addCandidate(pc, c),
    onTracks: (t) => tracks.push([...t]),
    onStateChange: (s) => states.push(s),
  });
  await connectUp(pc, up, { trickle: true });
  return { pc, up, video, audio, tracks, states };
}

interface Subscribed {
  pc: RTCPeerConnection;
  down: DownConnection;
  received: { audio: RtpPacket[]; video: RtpPacket[] };
  states: ConnectionState[];
}

async function subscribe(
  node: MediaNode,
  options: { upId: string; request: TrackRequest[] },
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
    id: options.upId,
    subscriber: "client-b",
    upId: options.upId,
    request: options.request,
    ice: NO_ICE,
    onIceCandidate: (c) => void addCandidate(pc, c),
    onStateChange: (s) => states.push(s),
  });
  await connectDown(pc, down, { trickle: true });
  return { pc, down, received, states };
}

/** Writes `count` video and audio packets, 5 ms apart. */
async function send(
  pub: Published,
  options: { from: number; count: number },
): Promise<void> {
  for (let i = options.from; i < options.from + options.count; i++) {
    pub.video.writeRtp(
      vp8Packet({ seq: 30000 + i, timestamp: 3000 * i, key: i % 30 === 0 }),
    );
    pub.audio.writeRtp(audioPacket(100 + i, 960 * i));
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Sends until the node has reported both tracks. */
async function started(pub: Published): Promise<void> {
  for (let i = 0; i < 200 && (pub.tracks.at(-1)?.length ?? 0) < 2; i += 5) {
    await send(pub, { from: i, count: 5 });
  }
  strictEqual(pub.tracks.at(-1)?.length, 2, "both tracks reported");
}

async function rejectsWith(
  promise: Promise<unknown>,
  reason: MediaErrorReason,
): Promise<MediaError> {
  let error: unknown;
  await rejects(promise, (e) => {
    error = e;
    return true;
  });
  ok(error instanceof MediaError, `a MediaError, not ${error}`);
  strictEqual(error.reason, reason, error.message);
  return error;
}

async function count(node: MediaNode): Promise<number> {
  return (await node.stats()).length;
}

/** Registers the contract's tests for the nodes `start` makes. */
export function mediaNodeContract(
  name: string,
  start: () => Promise<NodeUnderTest>,
): void {
  const test = (
    title: string,
    fn: (t: NodeUnderTest) => Promise<void>,
  ) =>
    Deno.test(`${name}: ${title}`, async () => {
      const t = await start();
      try {
        await fn(t);
      } finally {
        await t.close();
      }
    });

  test("a stream reaches a subscriber; onTracks, state and ICE events arrive; closing the up closes the down", async ({ node }) => {
    const pub = await publish(node, "s1");
    await started(pub);
    deepStrictEqual(
      pub.tracks.at(-1)!.map((t) => `${t.kind}/${t.codec}`).sort(),
      ["audio/opus", "video/vp8"],
    );
    await waitFor("up connected event", () => pub.states.includes("connected"));
    const sub = await subscribe(node, {
      upId: "s1",
      request: ["audio", "video"],
    });
    await send(pub, { from: 200, count: 60 });
    await waitFor(
      "packets at the subscriber",
      () => sub.received.video.length >= 30 && sub.received.audio.length >= 30,
    );
    strictEqual(await count(node), 2);
    pub.up.close();
    await waitFor(
      "the down's closed event",
      () => sub.states.includes("closed"),
    );
    await waitFor("no connection left", async () => await count(node) === 0, {
      timeoutMs: 2000,
    });
    pub.up.close(); // idempotent
    sub.down.close();
    await pub.pc.close();
    await sub.pc.close();
  });

  test("errors come back as values with a reason: in-use, not-found, invalid", async ({ node }) => {
    const pub = await publish(node, "s1");
    await rejectsWith(
      openUp(node, { id: "s1" }),
      "in-use",
    );
    await rejectsWith(
      node.openDown({
        group: "g",
        id: "nope",
        subscriber: "b",
        upId: "nope",
        request: ["video"],
        ice: NO_ICE,
        onIceCandidate() {},
        onStateChange() {},
      }),
      "not-found",
    );
    const other = await openUp(node, { id: "s2" });
    await rejectsWith(other.offer("this is not SDP"), "invalid");
    other.close();
    await rejectsWith(
      node.record({ upId: "nope", group: "g", onEnded() {} }),
      "not-found",
    );
    pub.up.close();
    await pub.pc.close();
  });

  test("setRequest resolves false for a layer change and true when the set of tracks changes", async ({ node }) => {
    const pub = await publish(node, "s1");
    await started(pub);
    const sub = await subscribe(node, { upId: "s1", request: ["video"] });
    strictEqual(await sub.down.setRequest(["video-low"]), false);
    strictEqual(await sub.down.setRequest(["video"]), false);
    strictEqual(await sub.down.setRequest(["audio", "video"]), true);
    const offer = await sub.down.negotiate();
    ok(offer !== null && /m=audio/.test(offer), "the new offer has audio");
    strictEqual(await sub.down.setRequest([]), true);
    strictEqual(await sub.down.negotiate(), null);
    pub.up.close();
    await pub.pc.close();
    await sub.pc.close();
  });

  test("the ICE configuration travels with each open: the node asks that open's STUN server", async ({ node }) => {
    const stun = createSocket("udp4");
    const requests: Uint8Array[] = [];
    stun.on("message", (m: Uint8Array) => requests.push(m));
    await new Promise<void>((r) => stun.bind(0, "127.0.0.1", r));
    const port = stun.address().port;
    const pc = loopbackPeer();
    pc.addTransceiver(sendTrack("video"), { direction: "sendonly" });
    const up = await openUp(node, {
      id: "s1",
      ice: { iceServers: [{ urls: [`stun:127.0.0.1:${port}`] }] },
    });
    await pc.setLocalDescription(await pc.createOffer());
    const answer = up.offer(pc.localDescription!.sdp).catch(() => null);
    await waitFor(
      "a STUN binding request",
      () => requests.some((m) => m[0] === 0x00 && m[1] === 0x01),
    );
    up.close();
    await answer;
    await pc.close();
    await new Promise<void>((r) => stun.close(() => r()));
  });

  test("record writes the stream on the node into the group's folder; close resolves once it is on disk", async ({ node, recordingsDir }) => {
    const pub = await publish(node, "s1");
    await started(pub);
    const rec = await node.record({
      upId: "s1",
      group: "g",
      username: "alice",
      onEnded() {},
    });
    deepStrictEqual(rec.skipped, []);
    await send(pub, { from: 200, count: 100 });
    await rec.close();
    await rec.close(); // idempotent
    const files = [...Deno.readDirSync(`${recordingsDir}/g`)];
    strictEqual(files.length, 1);
    ok(files[0]!.name.endsWith("-alice.webm"), files[0]!.name);
    ok(Deno.statSync(`${recordingsDir}/g/${files[0]!.name}`).size > 1000);
    pub.up.close();
    await pub.pc.close();
  });

  test("a recording whose up connection closes ends, with onEnded", async ({ node }) => {
    const pub = await publish(node, "s1");
    await started(pub);
    let ended = false;
    await node.record({
      upId: "s1",
      group: "g",
      onEnded: () => (ended = true),
    });
    await send(pub, { from: 200, count: 20 });
    pub.up.close();
    await waitFor("onEnded", () => ended);
    await pub.pc.close();
  });

  test("a closed node refuses to open, with reason closed", async ({ node }) => {
    await node.close();
    await rejectsWith(
      openUp(node, { id: "s1" }),
      "closed",
    );
  });
}
