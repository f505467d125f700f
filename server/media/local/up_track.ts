/**
 * One track received on an up connection (one simulcast layer, or the only
 * encoding of an m-line), fanning its packets out to down tracks.
 *
 * @module
 */

import type { MediaStreamTrack, RTCRtpReceiver, RtpPacket } from "werift";
import type { CodecEntry } from "./codecs.ts";
import {
  KEYFRAME,
  type PacketPipelines,
  type UpFigures,
  type UpPipeline,
} from "./packet_pipeline.ts";

/** Receives the packets of up tracks; implemented by down tracks. */
export interface PacketSink {
  deliver(packet: RtpPacket, layer: number, flags: number, now: number): void;
}

/** Options of {@link UpTrack}. */
export interface UpTrackOptions {
  track: MediaStreamTrack;
  receiver: RTCRtpReceiver;
  /** Index of this track in its up connection, used as the layer number. */
  layer: number;
  /** Maps a received payload type to the codec it carries. */
  codecOf(payloadType: number): CodecEntry | undefined;
  pipelines: PacketPipelines;
  /** Called once, when the first packet with a known codec arrives. */
  onFirstPacket(track: UpTrack): void;
  log(message: string): void;
}

// Galène asks at most every 500 ms; the brief says at most 2 per second.
const KEYFRAME_INTERVAL_MS = 500;

/** A received track. Lives as long as its up connection. */
export class UpTrack {
  readonly kind: "audio" | "video";
  readonly rid: string | undefined;
  readonly id: string;
  readonly layer: number;
  readonly #receiver: RTCRtpReceiver;
  readonly #options: UpTrackOptions;
  readonly #sinks = new Set<PacketSink>();
  readonly #unsubscribe: () => void;
  #codec: CodecEntry | undefined;
  #pipeline: UpPipeline | undefined;
  #ssrc = 0;
  #lastKeyframeRequest = -Infinity;
  #keyframeWanted = false;
  #closed = false;

  constructor(options: UpTrackOptions) {
    this.#options = options;
    this.kind = options.track.kind === "audio" ? "audio" : "video";
    this.rid = options.track.rid;
    this.id = options.track.rid ?? options.track.id ?? options.track.uuid;
    this.layer = options.layer;
    this.#receiver = options.receiver;
    this.#unsubscribe =
      options.track.onReceiveRtp.subscribe(this.#onRtp).unSubscribe;
  }

  /** The codec, once the first packet told it. */
  get codec(): CodecEntry | undefined {
    return this.#codec;
  }

  /** The sender's SSRC, once known (0 before). */
  get ssrc(): number {
    return this.#ssrc;
  }

  /** Receive figures, or undefined before the first packet. */
  figures(now: number): UpFigures | undefined {
    return this.#pipeline?.figures(now);
  }

  /** Starts fanning packets out to `sink`. */
  attach(sink: PacketSink): void {
    this.#sinks.add(sink);
  }

  /** Stops fanning packets out to `sink`. */
  detach(sink: PacketSink): void {
    this.#sinks.delete(sink);
  }

  /** Number of attached sinks. */
  get sinkCount(): number {
    return this.#sinks.size;
  }

  /**
   * Asks the sender for a keyframe (PLI); at most one request per 500 ms,
   * a request made sooner is sent by {@link tick}.
   */
  requestKeyframe(now: number): void {
    if (this.kind !== "video" || this.#closed) return;
    this.#keyframeWanted = true;
    this.tick(now);
  }

  /** Sends a pending keyframe request if the rate limit allows. */
  tick(now: number): void {
    if (!this.#keyframeWanted || this.#ssrc === 0) return;
    if (now - this.#lastKeyframeRequest < KEYFRAME_INTERVAL_MS) return;
    this.#lastKeyframeRequest = now;
    this.#options.log(`PLI for track "${this.id}" ssrc ${this.#ssrc}`);
    this.#receiver.sendRtcpPLI(this.#ssrc).catch((e: unknown) => {
      this.#options.log(`Cannot send PLI for track "${this.id}": ${e}`);
    });
  }

  /** Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#sinks.clear();
  }

  readonly #onRtp = (packet: RtpPacket): void => {
    if (this.#closed) return;
    const now = performance.now();
    let pipeline = this.#pipeline;
    if (pipeline === undefined) {
      const codec = this.#options.codecOf(packet.header.payloadType);
      if (codec === undefined) return;
      this.#codec = codec;
      this.#ssrc = packet.header.ssrc;
      pipeline = this.#options.pipelines.up({
        codec: codec.name,
        clockRate: codec.clockRate,
      });
      this.#pipeline = pipeline;
      this.#options.onFirstPacket(this);
      if (this.#keyframeWanted) this.tick(now);
    }
    const flags = pipeline.ingest(packet, now);
    if ((flags & KEYFRAME) !== 0 && this.kind === "video") {
      this.#keyframeWanted = false;
    }
    for (const sink of this.#sinks) {
      sink.deliver(packet, this.layer, flags, now);
    }
  };
}
