/**
 * The media-node contract: the boundary between signalling and the media
 * plane (version {@link MEDIA_CONTRACT_VERSION}).
 *
 * Signalling (WebSocket protocol, groups, permissions) only ever talks to a
 * {@link MediaNode}. The in-process implementation
 * (server/media/local/local_media_node.ts) runs werift transports, the
 * media-wasm hot path and the recorders in this process; the remote one
 * (server/cluster/remote_media_node.ts) carries the same calls to a media
 * node in another process over its control WebSocket
 * (server/cluster/media_control.ts). So the contract is:
 * - every operation but a connection's `close()` is asynchronous, and its
 *   arguments and result are plain, serialisable data: one message per
 *   call, one reply per message;
 * - every callback is an event carrying plain data;
 * - a failure comes back as a {@link MediaError} with a {@link MediaErrorReason},
 *   never as a hang: a remote call that gets no reply in time fails with
 *   `"timeout"`, and every call in flight when a node goes away fails with
 *   `"unavailable"`;
 * - signalling reads no state of a node: what it needs (the tracks of an up
 *   stream) it keeps from events (`onTracks`);
 * - the ICE configuration travels with each open operation;
 * - packets never cross it: recording runs on the node (`record`), fed by
 *   the node's own taps (server/media/media_tap.ts).
 *
 * A connection's `close()` is fire-and-forget on the caller's side (it
 * returns nothing; a remote node closes it when the message arrives), and
 * idempotent; a recording's `close()` resolves once its file is complete.
 *
 * @module
 */

import type { CodecName } from "./codec_names.ts";

/** The version of this contract; a remote node speaking another one is refused. */
export const MEDIA_CONTRACT_VERSION = 2;

/** Why a media operation failed. */
export type MediaErrorReason =
  /** The node, or the connection the call is about, is closed. */
  | "closed"
  /** The id is already used by another connection of this node. */
  | "in-use"
  /** No such up connection. */
  | "not-found"
  /** The SDP (offer or answer) or the candidate cannot be used. */
  | "invalid"
  /** Nothing that can be recorded, or the node does not record. */
  | "refused"
  /** The node cannot be reached (gone, or reconnecting). */
  | "unavailable"
  /** The node did not answer in time. */
  | "timeout"
  /** Anything else the node reports (no free UDP port, a werift error). */
  | "failed";

const REASONS: readonly string[] = [
  "closed",
  "in-use",
  "not-found",
  "invalid",
  "refused",
  "unavailable",
  "timeout",
  "failed",
];

/** Whether a wire string is a {@link MediaErrorReason}. */
export function isMediaErrorReason(s: unknown): s is MediaErrorReason {
  return typeof s === "string" && REASONS.includes(s);
}

/** A media operation's failure, as a value: a reason and a message. */
export class MediaError extends Error {
  override name = "MediaError";
  readonly reason: MediaErrorReason;

  constructor(reason: MediaErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }

  /**
   * The {@link MediaError} for anything thrown inside a node:
   * `SyntaxError` is `"invalid"`, any other error `"failed"`.
   */
  static from(e: unknown): MediaError {
    if (e instanceof MediaError) return e;
    const message = e instanceof Error ? e.message : String(e);
    return new MediaError(
      e instanceof SyntaxError ? "invalid" : "failed",
      message,
    );
  }
}

/** An ICE candidate as carried by the protocol's `ice` message. */
export interface IceCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/** What a subscriber asks of one stream: the protocol's `request` values. */
export type TrackRequest = "audio" | "video" | "video-low";

/**
 * Connection states reported by the media plane. `"lost"` is `"closed"`
 * because the node carrying the connection is gone (a remote node's link
 * was lost): the stream can be opened again at once, and the group is
 * placed on a node that is there. A node never reports it itself.
 */
export type ConnectionState =
  | "new"
  | "connecting"
  | "connected"
  | "failed"
  | "closed"
  | "lost";

/** A track received on an up connection, as signalling needs to know it. */
export interface UpTrackInfo {
  /** Track id (the rid for a simulcast layer). */
  id: string;
  kind: "audio" | "video";
  codec: CodecName;
  /** Simulcast rid (`h`, `l`, …) or absent. */
  rid?: string;
}

/** ICE servers and policy for one peer connection (each open carries its own). */
export interface IceConfiguration {
  iceServers: { urls: string[]; username?: string; credential?: string }[];
  iceTransportPolicy?: "all" | "relay";
}

/** Options of {@link MediaNode.openUp}. */
export interface UpOptions {
  /** The publisher's stream id (chosen by the client). */
  id: string;
  /** The group it is published in: a cluster hosts a group on one node. */
  group: string;
  /** The group's `codecs` list, in preference order. */
  codecs: readonly CodecName[];
  ice: IceConfiguration;
  /** A local ICE candidate to send to the client. */
  onIceCandidate(candidate: IceCandidate): void;
  /** The set of received tracks changed (first tracks arrived, or renegotiation). */
  onTracks(tracks: readonly UpTrackInfo[]): void;
  onStateChange(state: ConnectionState): void;
}

/** Options of {@link MediaNode.openDown}. */
export interface DownOptions {
  /** The down stream id: the same as the up stream id. */
  id: string;
  /** The group of the stream (its up connection is on the group's node). */
  group: string;
  /** The subscribing client's id: (subscriber, id) is unique. */
  subscriber: string;
  /** The id of the up connection to forward. */
  upId: string;
  /** What the subscriber wants of that stream. */
  request: readonly TrackRequest[];
  /**
   * The connection outlives its up connection: when that one closes, this
   * one stays open (ICE and DTLS up, nothing sent) until
   * {@link DownConnection.retarget} gives it another, or it is closed.
   * Without it, it closes with its up connection.
   */
  follows?: boolean;
  ice: IceConfiguration;
  onIceCandidate(candidate: IceCandidate): void;
  onStateChange(state: ConnectionState): void;
}

/** A publisher's connection: the client offers, the server answers. */
export interface UpConnection {
  readonly id: string;
  /**
   * Applies the client's offer (first or renegotiation) and returns the answer.
   * @throws {MediaError} `"invalid"` when the SDP cannot be used
   */
  offer(sdp: string): Promise<string>;
  addIceCandidate(candidate: IceCandidate): Promise<void>;
  /**
   * Idempotent; closes every recording attached to it, and every down
   * connection but those that follow (they wait for a `retarget`).
   */
  close(): void;
}

/** A subscriber's connection for one stream: the server offers, the client answers. */
export interface DownConnection {
  readonly id: string;
  /**
   * Returns a new offer for the tracks the current request selects, or null
   * when it selects none.
   */
  negotiate(options?: { iceRestart?: boolean }): Promise<string | null>;
  /** @throws {MediaError} `"invalid"` when the answer cannot be used */
  answer(sdp: string): Promise<void>;
  addIceCandidate(candidate: IceCandidate): Promise<void>;
  /**
   * Changes what the subscriber wants. Resolves to true when the set of
   * tracks changes and a new offer is needed; switches between simulcast
   * layers happen inside the media plane and need none.
   */
  setRequest(request: readonly TrackRequest[]): Promise<boolean>;
  /**
   * Forwards another up connection on this connection's tracks, without a
   * new offer (the subscriber cannot be sent one: a WHEP player): the same
   * SSRCs, with sequence numbers and timestamps continuing from the last
   * packet sent, from the new source's next keyframe (asked for at once, or
   * replayed from its cache). A kind the new stream lacks stays silent
   * until it has it, and a kind this connection does not send is not sent.
   * The connection's id becomes `upId`.
   * @throws {MediaError} `"not-found"` without that up connection;
   * `"refused"` when a kind this connection sends comes in another codec
   * (the subscriber negotiated this one), or the stream has none of its
   * kinds; `"closed"`
   */
  retarget(upId: string): Promise<void>;
  /** Idempotent. */
  close(): void;
}

/** Options of {@link MediaNode.record}. */
export interface RecordOptions {
  /** The up connection to record. */
  upId: string;
  /** The group's name: the file goes to the node's recordings folder for it. */
  group: string;
  /** The publisher's username, for the file name. */
  username?: string;
  /** The up connection closed under the recording (the file is complete). */
  onEnded(): void;
}

/** The recording of one up connection, running on the node. */
export interface MediaRecording {
  /** Why some tracks are not recorded, for a warning to operators. */
  readonly skipped: readonly string[];
  /** Ends the file; resolves once it is complete on disk. Idempotent. */
  close(): Promise<void>;
}

/** One track's figures for the statistics API. */
export interface TrackStats {
  /** Bits per second. */
  bitrate: number;
  maxBitrate?: number;
  /** Fraction lost, 0 to 1. */
  loss: number;
  /** Round-trip time, seconds. */
  rtt?: number;
  /** Interarrival jitter, seconds. */
  jitter?: number;
  layer?: string;
  /** SVC: the spatial and temporal layers forwarded, and the highest seen. */
  sid?: number;
  maxSid?: number;
  tid?: number;
  maxTid?: number;
}

/** One connection's figures for the statistics API. */
export interface ConnectionStats {
  id: string;
  direction: "up" | "down";
  /** For a down connection, the subscribing client's id. */
  subscriber?: string;
  tracks: TrackStats[];
}

/**
 * A media plane: in this process, or somewhere else. Every method fails
 * with a {@link MediaError}.
 */
export interface MediaNode {
  /** @throws {MediaError} `"in-use"` when the id is taken, `"closed"` */
  openUp(options: UpOptions): Promise<UpConnection>;
  /** @throws {MediaError} `"not-found"` without that up connection, `"closed"` */
  openDown(options: DownOptions): Promise<DownConnection>;
  /**
   * Starts recording an up connection on the node.
   * @throws {MediaError} `"not-found"`, or `"refused"` when no track can be
   * recorded (the message says why) or the node does not record
   */
  record(options: RecordOptions): Promise<MediaRecording>;
  /** Statistics of every open connection (their number too, for tests). */
  stats(): Promise<ConnectionStats[]>;
  /** Closes every connection and recording; for a remote node, the link. */
  close(): Promise<void>;
}
