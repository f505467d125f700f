/**
 * The per-packet work of the media node, behind one small interface.
 *
 * Everything done for each RTP packet — storing it once in the up track's
 * cache, choosing the simulcast and SVC layers a subscriber gets, rewriting
 * SSRC, payload type, sequence number, timestamp, marker and VP8/VP9
 * picture ids, serving NACKs — lives
 * behind {@link PacketPipelines}; packets cross it as bytes and slots, never
 * as werift objects. The implementation is media-wasm's
 * (`wasm_pipeline.ts`); connections only see these interfaces.
 *
 * @module
 */

import type { SvcLayers, TargetReason } from "../../../media-wasm/mod.ts";
import type { CodecName } from "../codec_names.ts";

/** An upstream sender's clock: NTP time (64-bit fixed point) and RTP time at one instant. */
export interface SourceClock {
  ntp: bigint;
  rtpTimestamp: number;
}

/** Per up track: sees every received packet once and keeps it for NACKs. */
export interface UpPipeline {
  /**
   * Stores one received RTP packet (header extension stripped, once AV1's
   * dependency descriptor is read from it); returns its
   * cache slot, or -1 when it is refused (duplicate, too old, malformed).
   * `now` in ms.
   */
  ingest(packet: Uint8Array, now: number): number;
  /** True when the packet in `slot` begins a keyframe. */
  startsKeyframe(slot: number): boolean;
  /**
   * The slots from the newest cached keyframe to the newest packet, in
   * order, when that keyframe is at most `maxPackets` old and every packet
   * since is cached; null otherwise.
   */
  keyframeRun(maxPackets: number): number[] | null;
  /** The sender's SSRC (0 before the first packet). */
  readonly ssrc: number;
  /** Received bits per second over the last second. */
  bitrate(now: number): number;
  /** Notes an upstream Sender Report. */
  onSenderReport(clock: SourceClock, now: number): void;
  /** The last Sender Report's clock extrapolated to `now`, or null before one. */
  clockAt(now: number): SourceClock | null;
  /** A generic NACK for the holes due now, or null (a view: send it at once). */
  nackDue(senderSsrc: number, now: number): Uint8Array | null;
  /** Idempotent. */
  close(): void;
}

/** Why a down track's target layer is what it is (media-wasm's own list). */
export type { SvcLayers, TargetReason };

/** Per down track: turns cached up packets into this subscriber's packets. */
export interface DownPipeline {
  /**
   * The packet in `slot` of `up` (simulcast layer `layer`, 0 lowest)
   * rewritten for this subscriber, or null when the layer policy drops it.
   * The result is a view valid until the next pipeline call: send it at once.
   */
  forward(
    up: UpPipeline,
    slot: number,
    layer: number,
    now: number,
  ): Uint8Array | null;
  /** The packet sent as outgoing `seq`, rewritten again, or null (a view). */
  retransmit(seq: number): Uint8Array | null;
  /** The layer whose keyframe this track waits for, or -1. */
  wantsKeyframe(): number;
  /** The layer forwarded (-1 before the first keyframe) and the one aimed at. */
  readonly current: number;
  readonly target: number;
  /** Aims at `layer` directly (switching at its next keyframe). */
  setTarget(layer: number): void;
  /**
   * Re-aims from the measured bit rates of layers 0, 1, 2 (0: absent) and
   * the bandwidth estimate, never above `maxLayer`.
   */
  adjust(rates: readonly number[], maxLayer: number, now: number): TargetReason;
  /**
   * Bounds the estimate by `capBps` (0: none) from now on, for every choice
   * that reads it (simulcast, SVC, the publisher's budget), and re-aims the
   * SVC layers (VP8, VP9) from the current source's layer rates and that
   * estimate, never above spatial layer `maxSpatial`; null for a codec
   * without SVC.
   */
  svcAdjust(
    options: { maxSpatial: number; capBps: number },
    now: number,
  ): { sid: number; tid: number; reason: TargetReason } | null;
  /** The SVC layers forwarded and aimed at; null for a codec without SVC. */
  svcLayers(): SvcLayers | null;
  /** Feeds the subscriber's REMB (bit/s). */
  onRemb(bps: number, now: number): void;
  /** Feeds a receiver report's fraction lost (0…255). */
  onLoss(fractionLost: number, now: number): void;
  /** Bandwidth available towards the subscriber (bit/s; 1e9 when unbounded). */
  available(now: number): number;
  /** Forwarded bits per second over the last second. */
  bitrate(now: number): number;
  /** The up track being forwarded, or null before the first keyframe. */
  source(): UpPipeline | null;
  /** A Sender Report whose RTP time is `clock` translated into this track's timeline (a view). */
  senderReport(clock: SourceClock): Uint8Array;
  /** Idempotent. */
  close(): void;
}

/** Options of {@link PacketPipelines.down}. */
export interface DownPipelineOptions {
  ssrc: number;
  payloadType: number;
  codec: CodecName;
  clockRate: number;
  /** The layer to aim at first. */
  layer: number;
}

/** One report block of a receiver report, as statistics need it. */
export interface ReportFigures {
  ssrc: number;
  /** 0…1 */
  loss: number;
  /** interarrival jitter in seconds */
  jitter: number;
}

/** Makes pipelines and the RTCP packets that span them. */
export interface PacketPipelines {
  /**
   * `av1Descriptor`: the id of the negotiated AV1 dependency descriptor
   * header extension, from which AV1 packets' layers are read.
   */
  up(
    options: { codec: CodecName; clockRate: number; av1Descriptor?: number },
  ): UpPipeline;
  down(options: DownPipelineOptions): DownPipeline;
  /** One Receiver Report for up to 31 up tracks (a copy), with its figures. */
  receiverReport(
    ups: readonly UpPipeline[],
    options: { senderSsrc: number; clockRates: readonly number[]; now: number },
  ): { packet: Uint8Array; figures: ReportFigures[] };
  /** A REMB of `bps` for `ssrcs` (a view). */
  remb(
    senderSsrc: number,
    options: { bps: number; ssrcs: readonly number[] },
  ): Uint8Array;
  /** A PLI (a view). */
  pli(senderSsrc: number, mediaSsrc: number): Uint8Array;
}
