/**
 * The boundary between signalling and the media plane.
 *
 * Signalling (WebSocket protocol, groups, permissions) only ever talks to a
 * {@link MediaNode}. The in-process implementation runs werift transports and
 * the media-wasm hot path in this process; a remote implementation can carry
 * the same calls to a media node in another process or on another machine, so
 * every method is asynchronous or fire-and-forget and every value crossing
 * this boundary is plain, serialisable data.
 *
 * @module
 */

/** An ICE candidate as carried by the protocol's `ice` message. */
export interface IceCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/** What a subscriber asks of one stream: the protocol's `request` values. */
export type TrackRequest = "audio" | "video" | "video-low";

/** Connection states reported by the media plane. */
export type ConnectionState =
  | "new"
  | "connecting"
  | "connected"
  | "failed"
  | "closed";

/** A track received on an up connection, as signalling needs to know it. */
export interface UpTrackInfo {
  /** Track id (the rid for a simulcast layer). */
  id: string;
  kind: "audio" | "video";
  /** Lower-case codec name: `vp8`, `vp9`, `h264`, `av1`, `opus`, `g722`, `pcmu`, `pcma`. */
  codec: string;
  /** Simulcast rid (`h`, `l`, …) or absent. */
  rid?: string;
}

/** ICE servers and policy handed to every peer connection of a node. */
export interface IceConfiguration {
  iceServers: { urls: string[]; username?: string; credential?: string }[];
  iceTransportPolicy?: "all" | "relay";
}

/** Options of {@link MediaNode.openUp}. */
export interface UpOptions {
  /** The publisher's stream id (chosen by the client). */
  id: string;
  /** The group's `codecs` list, in preference order. */
  codecs: readonly string[];
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
  /** The subscribing client's id: (subscriber, id) is unique. */
  subscriber: string;
  /** The id of the up connection to forward. */
  upId: string;
  /** What the subscriber wants of that stream. */
  request: readonly TrackRequest[];
  onIceCandidate(candidate: IceCandidate): void;
  onStateChange(state: ConnectionState): void;
}

/**
 * One RTP packet as a tap sees it. The media node reuses one object, and
 * may reuse the payload's memory, for every packet: read them during
 * {@link TapOptions.onPacket} only.
 */
export interface TapPacket {
  kind: "audio" | "video";
  /** Lower-case codec name, as in {@link UpTrackInfo}. */
  codec: string;
  /** Which track of the up connection (simulcast layers are tracks), from 0. */
  track: number;
  /** The track's simulcast rid, or undefined. */
  rid: string | undefined;
  ssrc: number;
  seq: number;
  timestamp: number;
  marker: boolean;
  /** The RTP payload, header and padding excluded; valid only during the call (copy to keep). */
  payload: Uint8Array;
  /** Arrival time, `performance.now()` milliseconds. */
  arrival: number;
}

/** An RTCP sender report of an up track (RFC 3550 §6.4.1). */
export interface TapSenderReport {
  kind: "audio" | "video";
  track: number;
  /** 64-bit NTP time of the report. */
  ntp: bigint;
  /** The RTP time that corresponds to `ntp`. */
  rtpTimestamp: number;
  arrival: number;
}

/** Options of {@link MediaNode.openTap}. */
export interface TapOptions {
  /** The id of the up connection to receive. */
  upId: string;
  /** Every packet of every track of the stream, including later tracks. */
  onPacket(packet: TapPacket): void;
  onSenderReport(report: TapSenderReport): void;
  /** The up connection closed (the tap is closed with it). */
  onClose(): void;
}

/**
 * A server-side subscriber without a transport (the recorder): it sees the
 * packets of every track of one up connection as they arrive.
 */
export interface MediaTap {
  /** Asks the publisher for a keyframe on every video track (rate-limited). */
  requestKeyframe(): void;
  /** Idempotent; does not call `onClose`. */
  close(): void;
}

/** A publisher's connection: the client offers, the server answers. */
export interface UpConnection {
  readonly id: string;
  /**
   * Applies the client's offer (first or renegotiation) and returns the answer.
   * @throws {SyntaxError} when the SDP cannot be used
   */
  offer(sdp: string): Promise<string>;
  addIceCandidate(candidate: IceCandidate): Promise<void>;
  /** The tracks received so far. */
  tracks(): readonly UpTrackInfo[];
  /** Idempotent; closes every down connection attached to it. */
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
  /** @throws {SyntaxError} when the answer cannot be used */
  answer(sdp: string): Promise<void>;
  addIceCandidate(candidate: IceCandidate): Promise<void>;
  /**
   * Changes what the subscriber wants. Returns true when the set of tracks
   * changes and a new offer is needed; switches between simulcast layers
   * happen inside the media plane and need none.
   */
  setRequest(request: readonly TrackRequest[]): boolean;
  /** Idempotent. */
  close(): void;
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
}

/** One connection's figures for the statistics API. */
export interface ConnectionStats {
  id: string;
  direction: "up" | "down";
  /** For a down connection, the subscribing client's id. */
  subscriber?: string;
  tracks: TrackStats[];
}

/** A media plane: in this process, or somewhere else. */
export interface MediaNode {
  openUp(options: UpOptions): UpConnection;
  openDown(options: DownOptions): DownConnection;
  /**
   * Opens a tap on an up connection.
   * @throws {RangeError} when the up connection does not exist
   */
  openTap(options: TapOptions): MediaTap;
  /** Statistics of every open connection. */
  stats(): Promise<ConnectionStats[]>;
  /** Number of open peer connections (for leak checks). */
  connectionCount(): number;
  close(): Promise<void>;
}
