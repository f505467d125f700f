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
async function publish(
  node: MediaNode,
  id: string,
  options: { video?: "VP8" | "VP9" } = {},
): Promise<Published> {
  const pc = loopbackPeer(options);
  const video = sendTrack("video");
  const audio = sendTrack("audio");
  pc.addTransceiver(audio, { direction: "sendonly" });
  pc.addTransceiver(video, { direction: "sendonly" });
  const tracks: (readonly UpTrackInfo[])[] = [];
  const states: ConnectionState[] = [];
  const up = await node.openUp({
    group: "g",
    id,
    codecs: ["vp8", "vp9", "opus"],
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
  options: { upId: string; request: TrackRequest[]; follows?: boolean },
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
    ...(options.follows ? { follows: true } : {}),
    ice: NO_ICE,
    onIceCandidate: (c) => void addCandidate(pc, c),
    onStateChange: (s) => states.push(s),
  });
  await connectDown(pc, down, { trickle: true });
  return { pc, down, received, states };
}

/**
 * Writes `count` video and audio packets, 5 ms apart; `base` shifts their
 * sequence numbers and timestamps (another publisher's own numbers).
 */
async function send(
  pub: Published,
  options: { from: number; count: number; base?: number },
): Promise<void> {
  const base = options.base ?? 0;
  for (let i = options.from; i < options.from + options.count; i++) {
    pub.video.writeRtp(
      vp8Packet({
        seq: 30000 + base + i,
        timestamp: 3000 * (base + i),
        key: i % 30 === 0,
      }),
    );
    pub.audio.writeRtp(audioPacket(100 + base + i, 960 * (base + i)));
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Sends until the node has reported both tracks; returns the next packet's index. */
async function started(pub: Published, base = 0): Promise<number> {
  let i = 0;
  for (; i < 200 && (pub.tracks.at(-1)?.length ?? 0) < 2; i += 5) {
    await send(pub, { from: i, count: 5, base });
  }
  strictEqual(pub.tracks.at(-1)?.length, 2, "both tracks reported");
  return i;
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

/** Waits until the node has `n` connections (closing is fire-and-forget). */
async function counted(node: MediaNode, n: number): Promise<void> {
  for (let i = 0; i < 100 && await count(node) !== n; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  strictEqual(await count(node), n);
}

/**
 * The largest step between consecutive sequence numbers received (mod
 * 2^16), and the SSRCs seen.
 */
function continuity(packets: readonly RtpPacket[]) {
  let step = 0;
  for (let i = 1; i < packets.length; i++) {
    const d = (packets[i]!.header.sequenceNumber -
      packets[i - 1]!.header.sequenceNumber) & 0xffff;
    step = Math.max(step, d);
  }
  return { step, ssrcs: new Set(packets.map((p) => p.header.ssrc)) };
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

  test("a down connection that follows outlives its up; retarget moves it to another up on the same SSRCs, its numbers continuing", async ({ node }) => {
    const a = await publish(node, "s1");
    await started(a);
    const sub = await subscribe(node, {
      upId: "s1",
      request: ["audio", "video"],
      follows: true,
    });
    await send(a, { from: 200, count: 60 });
    await waitFor(
      "A's packets at the subscriber",
      () => sub.received.video.length >= 30 && sub.received.audio.length >= 30,
    );
    a.up.close();
    await counted(node, 1); // the down alone
    ok(!sub.states.includes("closed"), "the follower stays open");
    const before = {
      video: sub.received.video.length,
      audio: sub.received.audio.length,
    };
    // B numbers its packets 20000 further on: re-anchored, they continue A's.
    const b = await publish(node, "s2");
    const next = await started(b, 20000);
    await sub.down.retarget("s2");
    await send(b, { from: next, count: 90, base: 20000 });
    await waitFor(
      "B's packets at the subscriber",
      () =>
        sub.received.video.length >= before.video + 30 &&
        sub.received.audio.length >= before.audio + 30,
    );
    for (const kind of ["video", "audio"] as const) {
      // From A's last packet on (A's own start had a gap of its own).
      const packets = sub.received[kind].slice(before[kind] - 1);
      const c = continuity(packets);
      strictEqual(c.ssrcs.size, 1, `one ${kind} SSRC`);
      ok(
        c.ssrcs.has(sub.received[kind][0]!.header.ssrc),
        `${kind}: A's SSRC`,
      );
      ok(c.step >= 1 && c.step <= 3, `${kind} steps at most 3, not ${c.step}`);
      const forward =
        (packets[1]!.header.timestamp - packets[0]!.header.timestamp) >>> 0;
      ok(forward > 0 && forward < 0x10000000, `${kind} time goes on`);
    }
    strictEqual(sub.down.id, "s2");
    deepStrictEqual(
      (await node.stats()).map((c) => `${c.direction} ${c.id}`).sort(),
      ["down s2", "up s2"],
    );
    sub.down.close();
    b.up.close();
    await a.pc.close();
    await b.pc.close();
    await sub.pc.close();
  });

  test("retarget refuses an unknown up (not-found) and another codec (refused); a waiting follower closes when closed", async ({ node }) => {
    const a = await publish(node, "s1");
    await started(a);
    const sub = await subscribe(node, {
      upId: "s1",
      request: ["video"],
      follows: true,
    });
    await rejectsWith(sub.down.retarget("nope"), "not-found");
    const vp9 = await publish(node, "s2", { video: "VP9" });
    await started(vp9);
    const e = await rejectsWith(sub.down.retarget("s2"), "refused");
    ok(/vp8/.test(e.message) && /vp9/.test(e.message), e.message);
    a.up.close();
    vp9.up.close();
    await counted(node, 1);
    sub.down.close();
    await counted(node, 0);
    await a.pc.close();
    await vp9.pc.close();
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
