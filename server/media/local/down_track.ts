/**
 * One track sent to a subscriber: the outgoing side of a fan-out.
 *
 * @module
 */

import type { RTCRtpSender, RtpPacket } from "werift";
import type { DownPipeline } from "./packet_pipeline.ts";
import type { PacketSink, UpTrack } from "./up_track.ts";

/** Options of {@link DownTrack}. */
export interface DownTrackOptions {
  sender: RTCRtpSender;
  pipeline: DownPipeline;
  /** The up tracks this track may forward (the simulcast layers, or one track). */
  sources: readonly UpTrack[];
  /** The layer (up track index) to forward. */
  layer: number;
  log(message: string): void;
}

/** Forwards the selected layer of an up stream on one sendonly transceiver. */
export class DownTrack implements PacketSink {
  readonly sender: RTCRtpSender;
  readonly #pipeline: DownPipeline;
  readonly #sources: readonly UpTrack[];
  readonly #log: (message: string) => void;
  #layer: number;
  #closed = false;
  #rateBytes = 0;
  #rateTime = -1;
  #rate = 0;

  constructor(options: DownTrackOptions) {
    this.sender = options.sender;
    this.#pipeline = options.pipeline;
    this.#sources = options.sources;
    this.#log = options.log;
    this.#layer = options.layer;
    for (const source of this.#sources) source.attach(this);
  }

  /** The selected layer. */
  get layer(): number {
    return this.#layer;
  }

  /** Packets and bytes forwarded. */
  get counters(): { packets: number; bytes: number } {
    return { packets: this.#pipeline.packets, bytes: this.#pipeline.bytes };
  }

  /** Bits per second forwarded since the previous call (at least 1 s apart). */
  bitrate(now: number): number {
    const bytes = this.#pipeline.bytes;
    if (this.#rateTime >= 0 && now - this.#rateTime >= 1000) {
      this.#rate = Math.round(
        (bytes - this.#rateBytes) * 8000 / (now - this.#rateTime),
      );
    }
    if (this.#rateTime < 0 || now - this.#rateTime >= 1000) {
      this.#rateBytes = bytes;
      this.#rateTime = now;
    }
    return this.#rate;
  }

  deliver(packet: RtpPacket, layer: number, flags: number, now: number): void {
    if (this.sender.transport?.state !== "connected") return;
    const out = this.#pipeline.forward(packet, layer, flags, now);
    if (out !== null) this.sender.sendRtp(out).catch(this.#onSendError);
  }

  /** Selects another layer; the switch happens at its next keyframe, which is requested. */
  select(layer: number, now: number): void {
    if (layer === this.#layer) return;
    this.#layer = layer;
    this.#pipeline.select(layer);
    this.requestKeyframe(now);
  }

  /** Asks the publisher of the selected layer for a keyframe. */
  requestKeyframe(now: number): void {
    this.#sources.find((s) => s.layer === this.#layer)?.requestKeyframe(now);
  }

  /** Re-asks for a keyframe while a layer switch waits for one (rate-limited upstream). */
  tick(now: number): void {
    if (this.#pipeline.pendingLayer >= 0) this.requestKeyframe(now);
  }

  /** Resends the packets a subscriber's NACK lists, from the pipeline's cache. */
  retransmit(lost: readonly number[]): void {
    const transport = this.sender.transport;
    if (transport?.state !== "connected") return;
    for (const seq of lost) {
      const packet = this.#pipeline.retransmit(seq);
      if (packet) {
        transport.sendRtp(packet.payload, packet.header).catch(
          this.#onSendError,
        );
      }
    }
  }

  /** Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const source of this.#sources) source.detach(this);
  }

  readonly #onSendError = (e: unknown): void => {
    this.#log(`Cannot send RTP on sender ${this.sender.ssrc}: ${e}`);
  };
}
