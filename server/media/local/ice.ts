/**
 * Conversions between the protocol's ICE values and werift's.
 *
 * @module
 */

import type { RTCIceCandidate, RTCIceCandidateInit } from "werift";
import type { ConnectionState, IceCandidate } from "../media_node.ts";

/** Converts a werift local candidate into the protocol's `candidate` value. */
export function toIceInit(candidate: RTCIceCandidate): IceCandidate {
  const json = candidate.toJSON();
  const init: IceCandidate = { candidate: json.candidate };
  init.sdpMid = json.sdpMid ?? null;
  init.sdpMLineIndex = json.sdpMLineIndex ?? null;
  if (json.usernameFragment !== undefined) {
    init.usernameFragment = json.usernameFragment;
  }
  return init;
}

/** Converts a protocol candidate into werift's init dictionary. */
export function toWeriftCandidate(
  candidate: IceCandidate,
): RTCIceCandidateInit {
  const init: RTCIceCandidateInit = { candidate: candidate.candidate };
  if (candidate.sdpMid != null) init.sdpMid = candidate.sdpMid;
  if (candidate.sdpMLineIndex != null) {
    init.sdpMLineIndex = candidate.sdpMLineIndex;
  }
  if (candidate.usernameFragment != null) {
    init.usernameFragment = candidate.usernameFragment;
  }
  return init;
}

/** A werift peer connection's `connectionState`. */
export type WeriftState =
  | "closed"
  | "disconnected"
  | "new"
  | "connected"
  | "failed"
  | "connecting";

/** Maps werift's connection state to ours; `disconnected` is a transient `connecting`. */
export function mapState(state: WeriftState): ConnectionState {
  return state === "disconnected" ? "connecting" : state;
}
