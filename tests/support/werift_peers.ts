/**
 * Test helpers: werift peers standing in for browsers on loopback, their
 * offer/answer with a media node's up and down connections, the RTP packets
 * they send, and a count of the process's open sockets.
 *
 * @module
 */

import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  RtpPacket,
  useSdesMid,
  useSdesRTPStreamId,
} from "werift";
import type {
  DownConnection,
  IceCandidate,
  IceConfiguration,
  UpConnection,
} from "../../server/media/media_node.ts";
import { installDtlsRetransmission } from "../../server/media/werift_patches.ts";
import { toIceInit, toWeriftCandidate } from "../../server/media/local/ice.ts";
import { loopbackIce } from "../../server/media/local/peer_config.ts";
import { waitFor } from "./wait_for.ts";

/** The ICE configuration of a loopback-only test connection: no servers. */
export const NO_ICE: IceConfiguration = { iceServers: [] };

const EXTENSIONS = {
  "mid+rid": () => ({
    audio: [useSdesMid()],
    video: [useSdesMid(), useSdesRTPStreamId()],
  }),
  mid: () => ({ audio: [useSdesMid()], video: [useSdesMid()] }),
  none: () => ({ audio: [], video: [] }),
};

/** What {@link loopbackPeer} offers, where its users differ. */
export interface LoopbackPeerOptions {
  /** The video codec (default VP8). */
  video?: "VP8" | "VP9";
  /** Opus's payload type (default 109). */
  audioPayloadType?: number;
  /** The video codec's payload type (default 120). */
  videoPayloadType?: number;
  /** Offer goog-remb feedback on video (default true). */
  remb?: boolean;
  /** Header extensions offered: mid, and rid on video (default), mid only, or none. */
  extensions?: "mid+rid" | "mid" | "none";
}

/**
 * A werift peer connection configured for loopback-only tests and the bench's
 * bots: Opus as payload type 109 and VP8 (or `video`) as 120 unless told
 * otherwise, with NACK and PLI (and by default REMB) feedback and, by
 * default, the mid and rid extensions. It has the DTLS fix
 * Nereid's own peers have: as shipped, werift's DTLS client fails on a
 * repeated HelloVerifyRequest, which a server sends when this process is
 * slow to answer (a loaded machine).
 */
export function loopbackPeer(
  options: LoopbackPeerOptions = {},
): RTCPeerConnection {
  installDtlsRetransmission();
  const feedback: { type: string; parameter?: string }[] = [
    { type: "nack" },
    { type: "nack", parameter: "pli" },
  ];
  if (options.remb ?? true) feedback.push({ type: "goog-remb" });
  return new RTCPeerConnection({
    ...loopbackIce(),
    bundlePolicy: "max-bundle",
    codecs: {
      audio: [
        new RTCRtpCodecParameters({
          mimeType: "audio/opus",
          clockRate: 48000,
          channels: 2,
          payloadType: options.audioPayloadType ?? 109,
        }),
      ],
      video: [
        new RTCRtpCodecParameters({
          mimeType: `video/${options.video ?? "VP8"}`,
          clockRate: 90000,
          payloadType: options.videoPayloadType ?? 120,
          rtcpFeedback: feedback,
        }),
      ],
    },
    headerExtensions: EXTENSIONS[options.extensions ?? "mid+rid"](),
  });
}

/** Sends a peer's candidates to `sink`, as a client's `ice` messages would. */
export function forwardCandidates(
  pc: RTCPeerConnection,
  sink: (c: IceCandidate) => void,
): void {
  pc.onIceCandidate.subscribe((candidate) => {
    if (candidate) sink(toIceInit(candidate));
  });
}

/** Adds a protocol candidate to a werift peer. */
export function addCandidate(
  pc: RTCPeerConnection,
  candidate: IceCandidate,
): Promise<void> {
  return pc.addIceCandidate(toWeriftCandidate(candidate));
}

/** Removes a=candidate and a=end-of-candidates lines, to force trickle ICE. */
export function stripCandidates(sdp: string): string {
  return sdp.split("\r\n").filter((l) =>
    !l.startsWith("a=candidate") && !l.startsWith("a=end-of-candidates")
  )
    .join("\r\n");
}

/**
 * Runs a werift publisher's offer through `up` and waits until it is
 * connected. With `trickle`, no candidate travels inside the SDP either way:
 * each must cross as an event or an operation (forwarded here from the
 * peer; the node's go through the `onIceCandidate` given at `openUp`).
 */
export async function connectUp(
  pc: RTCPeerConnection,
  up: UpConnection,
  options: { trickle?: boolean } = {},
): Promise<void> {
  const strip = options.trickle ? stripCandidates : (sdp: string) => sdp;
  if (options.trickle) forwardCandidates(pc, (c) => void up.addIceCandidate(c));
  await pc.setLocalDescription(await pc.createOffer());
  const answer = await up.offer(strip(pc.localDescription!.sdp));
  await pc.setRemoteDescription({ type: "answer", sdp: strip(answer) });
  await waitFor(
    "publisher connected",
    () => pc.connectionState === "connected",
  );
}

/**
 * Runs `down`'s offer through a werift subscriber and waits until it is
 * connected; returns the offer. `trickle` as in {@link connectUp};
 * `beforeAnswer` runs between the node's offer and the answer.
 *
 * @throws {Error} when the down connection offers nothing
 */
export async function connectDown(
  pc: RTCPeerConnection,
  down: DownConnection,
  options: { trickle?: boolean; beforeAnswer?: () => Promise<unknown> } = {},
): Promise<string> {
  const strip = options.trickle ? stripCandidates : (sdp: string) => sdp;
  if (options.trickle) {
    forwardCandidates(pc, (c) => void down.addIceCandidate(c));
  }
  const offer = await down.negotiate();
  if (offer === null) throw new Error("The down connection offered nothing");
  await options.beforeAnswer?.();
  await pc.setRemoteDescription({ type: "offer", sdp: strip(offer) });
  await pc.setLocalDescription(await pc.createAnswer());
  await down.answer(strip(pc.localDescription!.sdp));
  await waitFor(
    "subscriber connected",
    () => pc.connectionState === "connected",
  );
  return offer;
}

/** A VP8 packet: `key` makes it the first packet of a keyframe. */
export function vp8Packet(
  options: {
    seq: number;
    timestamp: number;
    key: boolean;
    ssrc?: number;
    marker?: boolean;
  },
): RtpPacket {
  // Descriptor: S=1, PID=0, no extensions; then the VP8 header (P bit).
  const payload = new Uint8Array(200);
  payload[0] = 0x10;
  payload[1] = options.key ? 0x00 : 0x01;
  return new RtpPacket(
    new RtpHeader({
      sequenceNumber: options.seq & 0xffff,
      timestamp: options.timestamp >>> 0,
      payloadType: 120,
      ssrc: options.ssrc ?? 1234,
      marker: options.marker ?? true,
    }),
    Buffer.from(payload),
  );
}

/** An Opus-like packet. */
export function audioPacket(seq: number, timestamp: number): RtpPacket {
  return new RtpPacket(
    new RtpHeader({
      sequenceNumber: seq & 0xffff,
      timestamp: timestamp >>> 0,
      payloadType: 109,
      ssrc: 5678,
    }),
    Buffer.from(new Uint8Array(60)),
  );
}

/** A sendonly track for a publisher. */
export function sendTrack(kind: "audio" | "video"): MediaStreamTrack {
  return new MediaStreamTrack({ kind });
}

/** Number of open sockets of this process (Linux), or -1 where unknown. */
export function openSockets(): number {
  try {
    let n = 0;
    for (const entry of Deno.readDirSync("/proc/self/fd")) {
      try {
        if (
          Deno.readLinkSync(`/proc/self/fd/${entry.name}`).startsWith("socket:")
        ) n++;
      } catch {
        // the fd closed while listing
      }
    }
    return n;
  } catch {
    return -1;
  }
}
