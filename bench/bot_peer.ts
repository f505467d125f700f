/**
 * The werift side shared by the load bots: a loopback peer connection with
 * VP8 for video (and Opus, so that an offer's audio sections are answered
 * too), ICE candidates in the protocol's shape, and a wait for "connected".
 *
 * @module
 */

import type { RTCPeerConnection } from "werift";
import type { IceCandidate } from "../server/media/media_node.ts";
import { loopbackPeer } from "../tests/support/werift_peers.ts";

/** A werift peer for loopback: VP8 video as 96, Opus audio as 111. */
export function botPeer(): RTCPeerConnection {
  return loopbackPeer({
    audioPayloadType: 111,
    videoPayloadType: 96,
    extensions: "none",
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
