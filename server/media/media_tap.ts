/**
 * The per-packet view of an up connection inside a media node: what the
 * node's own recorders read. It is not part of the media-node contract
 * (server/media/media_node.ts): packets never cross the boundary between
 * signalling and media, so a tap exists only where the packets are.
 * "Tap" means this view only; the hook that takes decrypted RTP before
 * werift parses it is the RTP interceptor (server/media/fast/raw_rtp.ts).
 *
 * @module
 */

/**
 * One RTP packet as a tap sees it. The media node reuses one object, and
 * may reuse the payload's memory, for every packet: read them during
 * {@link TapOptions.onPacket} only.
 */
export interface TapPacket {
  kind: "audio" | "video";
  /** Lower-case codec name, as in `UpTrackInfo`. */
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

/** Options of an in-process node's `openTap`. */
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
