/**
 * One track received on an up connection (one simulcast layer, or the only
 * encoding of an m-line): stores each packet once in its pipeline's cache
 * and fans the slot out to down tracks.
 *
 * @module
 */

import { type MediaStreamTrack, RtpPacket } from "werift";
import type { CodecEntry } from "./codecs.ts";
import { logText } from "../../log_text.ts";
import type { ConnectionGuard } from "./connection_guard.ts";
import type {
  PacketPipelines,
  ReportFigures,
  SourceClock,
  UpPipeline,
} from "./packet_pipeline.ts";

/** Receives the cache slots of up tracks: the down tracks, on the hot path. */
export interface SlotSink {
  deliver(source: UpTrack, slot: number, now: number): void;
}

/** What an up track hands every packet's bytes to: a tap (server/media/media_tap.ts). */
export interface TrackTap {
  /** `packet` is valid only during the call: copy what you keep. */
  deliver(
    packet: Uint8Array,
    trackIndex: number,
    flags: number,
    now: number,
  ): void;
}

/** Flag of {@link TrackTap.deliver}: the packet starts a keyframe. */
export const KEYFRAME = 1;

/** An upstream Sender Report as listeners of {@link UpTrack.onSenderReport} get it. */
export interface SenderReportInfo extends SourceClock {
  ssrc: number;
}

/** Options of {@link UpTrack}. */
export interface UpTrackOptions {
  track: MediaStreamTrack;
  /** Index of this track in its up connection. */
  index: number;
  /** Maps a received payload type to the codec it carries. */
  codecOf(payloadType: number): CodecEntry | undefined;
  /** The negotiated id of the AV1 dependency descriptor extension, if any. */
  av1Descriptor(): number | undefined;
  pipelines: PacketPipelines;
  /** The up connection's guard, for werift's packet events. */
  guard: ConnectionGuard;
  /** SSRC our RTCP to this sender carries as its sender. */
  rtcpSsrc: number;
  /** Sends RTCP bytes to the publisher. */
  sendRtcp(packet: Uint8Array): void;
  /** Called once, when the first packet with a known codec arrives. */
  onFirstPacket(track: UpTrack): void;
  log(message: string): void;
}

// Galène asks at most every 500 ms; the issue says at most 2 per second.
const KEYFRAME_INTERVAL_MS = 500;

/** A received track. Lives as long as its up connection. */
export class UpTrack {
  readonly kind: "audio" | "video";
  readonly rid: string | undefined;
  readonly id: string;
  /**
   * Index of this track in its up connection (unique there); not a
   * simulcast layer's rank, which is its place in a down track's sources.
   */
  readonly index: number;
  readonly #options: UpTrackOptions;
  // Arrays, not Sets: iterating them per packet allocates nothing.
  #sinks: SlotSink[] = [];
  #taps: TrackTap[] = [];
  #srListeners: ((sr: SenderReportInfo) => void)[] = [];
  readonly #unsubscribe: () => void;
  #codec: CodecEntry | undefined;
  #pipeline: UpPipeline | undefined;
  #ssrc = 0;
  #lastKeyframeRequest = -Infinity;
  #keyframeWanted = false;
  #plis = 0;
  #lastArrival = -Infinity;
  #figures: ReportFigures | undefined;
  #closed = false;

  constructor(options: UpTrackOptions) {
    this.#options = options;
    this.kind = options.track.kind === "audio" ? "audio" : "video";
    this.rid = options.track.rid;
    this.id = options.track.rid ?? options.track.id ?? options.track.uuid;
    this.index = options.index;
    this.#unsubscribe = options.track.onReceiveRtp.subscribe(
      options.guard.wrap("rtp", undefined, this.#onWeriftRtp),
    ).unSubscribe;
  }

  /** The codec, once the first packet told it. */
  get codec(): CodecEntry | undefined {
    return this.#codec;
  }

  /** The sender's SSRC, once known (0 before). */
  get ssrc(): number {
    return this.#ssrc;
  }

  /** The packet cache and its state, once the first packet arrived. */
  get pipeline(): UpPipeline | undefined {
    return this.#pipeline;
  }

  /** PLIs sent upstream so far. */
  get pliCount(): number {
    return this.#plis;
  }

  /** Received bits per second. */
  bitrate(now: number): number {
    return this.#pipeline?.bitrate(now) ?? 0;
  }

  /**
   * The bit rate layer selection should assume: at least 1 while packets
   * arrive (the meter reads 0 during its first second), 0 once the layer
   * has been silent for 1.5 s (the publisher dropped it).
   */
  layerRate(now: number): number {
    if (now - this.#lastArrival > 1500) return 0;
    return Math.max(1, this.bitrate(now));
  }

  /** Loss and jitter of the last receiver report we sent. */
  get figures(): ReportFigures | undefined {
    return this.#figures;
  }

  set figures(figures: ReportFigures | undefined) {
    this.#figures = figures;
  }

  /** Starts fanning cache slots out to `sink`. */
  attachSlots(sink: SlotSink): void {
    if (!this.#sinks.includes(sink)) this.#sinks = [...this.#sinks, sink];
  }

  /** Stops fanning cache slots out to `sink`. */
  detachSlots(sink: SlotSink): void {
    this.#sinks = this.#sinks.filter((s) => s !== sink);
  }

  /**
   * Starts handing every stored packet to `tap` as bytes (valid only during
   * the call), with this track's layer and a keyframe flag.
   */
  attach(tap: TrackTap): void {
    if (!this.#taps.includes(tap)) this.#taps = [...this.#taps, tap];
  }

  /** Stops handing packets to `tap`. */
  detach(tap: TrackTap): void {
    this.#taps = this.#taps.filter((s) => s !== tap);
  }

  /** Calls `listener` with each upstream Sender Report; returns the unsubscribe function. */
  onSenderReport(listener: (sr: SenderReportInfo) => void): () => void {
    this.#srListeners = [...this.#srListeners, listener];
    return () => {
      this.#srListeners = this.#srListeners.filter((l) => l !== listener);
    };
  }

  /**
   * Asks the sender for a keyframe (PLI); at most one request per 500 ms, a
   * request made sooner is sent by {@link tick}.
   */
  requestKeyframe(now: number): void {
    if (this.kind !== "video" || this.#closed) return;
    this.#keyframeWanted = true;
    this.tick(now);
  }

  /** Sends a pending keyframe request if the rate limit allows. */
  tick(now: number): void {
    if (!this.#keyframeWanted || this.#ssrc === 0 || this.#closed) return;
    if (now - this.#lastKeyframeRequest < KEYFRAME_INTERVAL_MS) return;
    this.#lastKeyframeRequest = now;
    this.#plis++;
    this.#options.log(`PLI for track ${logText(this.id)} ssrc ${this.#ssrc}`);
    this.#options.sendRtcp(
      this.#options.pipelines.pli(this.#options.rtcpSsrc, this.#ssrc),
    );
  }

  /** Notes the publisher's Sender Report for this track. */
  noteSenderReport(clock: SourceClock, now: number): void {
    this.#pipeline?.onSenderReport(clock, now);
    for (const listener of this.#srListeners) {
      listener({ ssrc: this.#ssrc, ...clock });
    }
  }

  /** Takes one decrypted RTP packet from the transport's RTP interceptor. */
  receive(packet: Uint8Array, now: number): void {
    const pipeline = this.#pipeline;
    if (pipeline === undefined || this.#closed) return;
    const slot = pipeline.ingest(packet, now);
    if (slot < 0) return;
    this.#lastArrival = now;
    const key = this.kind === "video" && pipeline.startsKeyframe(slot);
    if (key) this.#keyframeWanted = false;
    const sinks = this.#sinks;
    for (let i = 0; i < sinks.length; i++) sinks[i]!.deliver(this, slot, now);
    const taps = this.#taps;
    for (let i = 0; i < taps.length; i++) {
      taps[i]!.deliver(packet, this.index, key ? KEYFRAME : 0, now);
    }
    if (this.kind === "video") {
      const nack = pipeline.nackDue(this.#options.rtcpSsrc, now);
      if (nack !== null) this.#options.sendRtcp(nack);
    }
  }

  /** Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#sinks = [];
    this.#taps = [];
    this.#srListeners = [];
    this.#pipeline?.close();
  }

  // werift's path: the first packets of a track (they tell us its SSRC and
  // codec), and every packet when the raw RTP interceptor is not available.
  readonly #onWeriftRtp = (packet: RtpPacket): void => {
    if (this.#closed) return;
    const now = performance.now();
    if (this.#pipeline === undefined) {
      const codec = this.#options.codecOf(packet.header.payloadType);
      if (codec === undefined) return;
      this.#codec = codec;
      this.#ssrc = packet.header.ssrc;
      const av1Descriptor = codec.name === "av1"
        ? this.#options.av1Descriptor()
        : undefined;
      this.#pipeline = this.#options.pipelines.up({
        codec: codec.name,
        clockRate: codec.clockRate,
        ...(av1Descriptor !== undefined ? { av1Descriptor } : {}),
      });
      this.#options.onFirstPacket(this);
      if (this.#keyframeWanted) this.tick(now);
    }
    this.receive(packet.serialize(), now);
  };
}
