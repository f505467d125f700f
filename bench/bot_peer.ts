/**
 * The werift side shared by the load bots: a loopback peer connection with
 * VP8 for video (and Opus, so that an offer's audio sections are answered
 * too), ICE candidates in the protocol's shape, and a wait for "connected".
 *
 * @module
 */

import { RTCPeerConnection, RTCRtpCodecParameters } from "werift";
import type { IceCandidate } from "../server/media/media_node.ts";
import { loopbackIce } from "../server/media/local/peer_config.ts";

/** A werift peer for loopback: VP8 video, Opus audio. */
export function botPeer(): RTCPeerConnection {
  return new RTCPeerConnection({
    ...loopbackIce(),
    bundlePolicy: "max-bundle",
    codecs: {
      audio: [
        new RTCRtpCodecParameters({
          mimeType: "audio/opus",
          clockRate: 48000,
          channels: 2,
          payloadType: 111,
        }),
      ],
      video: [
        new RTCRtpCodecParameters({
          mimeType: "video/VP8",
          clockRate: 90000,
          payloadType: 96,
          rtcpFeedback: [{ type: "nack" }, { type: "nack", parameter: "pli" }, {
            type: "goog-remb",
          }],
        }),
      ],
    },
  });
}

/** Sends the peer's local candidates to `send`. */
export function iceOf(
  pc: RTCPeerConnection,
  send: (c: IceCandidate) => void,
): void {
  pc.onIceCandidate.subscribe((c) => {
    if (!c) return;
    const json = c.toJSON();
    send({
      candidate: json.candidate,
      sdpMid: json.sdpMid ?? null,
      sdpMLineIndex: json.sdpMLineIndex ?? null,
    });
  });
}

/** A protocol candidate as werift's init dictionary. */
export function toInit(c: IceCandidate) {
  return {
    candidate: c.candidate,
    ...(c.sdpMid != null ? { sdpMid: c.sdpMid } : {}),
    ...(c.sdpMLineIndex != null ? { sdpMLineIndex: c.sdpMLineIndex } : {}),
  };
}

/**
 * Resolves when the peer is connected.
 * @throws Error when it fails or takes over 30 s
 */
export function connected(pc: RTCPeerConnection, what: string): Promise<void> {
  if (pc.connectionState === "connected") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what} did not connect within 30 s`)),
      30_000,
    );
    pc.connectionStateChange.subscribe((s) => {
      if (s === "connected") {
        clearTimeout(timer);
        resolve();
      } else if (s === "failed") {
        clearTimeout(timer);
        reject(new Error(`${what} failed to connect`));
      }
    });
  });
}
