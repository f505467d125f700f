/**
 * The per-packet work of the media node, behind one small interface.
 *
 * Everything done for each RTP packet — inspecting it, choosing the layer a
 * subscriber gets, cloning it, clearing its header extensions, rewriting
 * SSRC, payload type, sequence number and timestamp, caching it for NACKs —
 * lives behind {@link PacketPipelines}. This file holds a deliberately
 * minimal TypeScript implementation; the media-wasm one replaces it without
 * touching the connections.
 *
 * @module
 */

import type { RtpPacket } from "werift";
import { startsKeyframe } from "./keyframe.ts";

/** Flag returned by {@link UpPipeline.ingest}: the packet starts a keyframe. */
export const KEYFRAME = 1;

/** Receive figures of one up track. */
export interface UpFigures {
  /** bits per second over the last full second */
  bitrate: number;
  /** fraction of packets lost over the last full second, 0…1 */
  loss: number;
  /** interarrival jitter in seconds (RFC 3550 §6.4.1) */
  jitter: number;
}

/** Per up track: sees every received packet once. */
export interface UpPipeline {
  /** Inspects one received packet (`now` in ms) and returns its flags ({@link KEYFRAME}). */
  ingest(packet: RtpPacket, now: number): number;
  figures(now: number): UpFigures;
}

/** Per down track: turns up packets into this subscriber's packets. */
export interface DownPipeline {
  /** Asks for `layer`; the switch happens at the next keyframe of that layer. */
  select(layer: number): void;
  /** The layer waiting for a keyframe, or -1 when none is. */
  readonly pendingLayer: number;
  /**
   * Returns the packet to send to this subscriber (a rewritten copy), or
   * null to drop it. `now` in ms.
   */
  forward(
    packet: RtpPacket,
    layer: number,
    flags: number,
    now: number,
  ): RtpPacket | null;
  /** Returns the cached packet sent with outgoing sequence number `seq`, or null. */
  retransmit(seq: number): RtpPacket | null;
  /** Packets and bytes forwarded so far. */
  readonly packets: number;
  readonly bytes: number;
}

/** Options of {@link PacketPipelines.down}. */
export interface DownPipelineOptions {
  ssrc: number;
  payloadType: number;
  clockRate: number;
  /** The layer to forward first. */
  layer: number;
}

/** Makes pipelines; the single point where the implementation is chosen. */
export interface PacketPipelines {
  up(options: { codec: string; clockRate: number }): UpPipeline;
  down(options: DownPipelineOptions): DownPipeline;
}

/** The minimal TypeScript implementation of {@link PacketPipelines}. */
export function createTsPipelines(): PacketPipelines {
  return {
    up: (options) => new TsUpPipeline(options.codec, options.clockRate),
    down: (options) => new TsDownPipeline(options),
  };
}

/** Signed distance a − b between 16-bit sequence numbers. */
export function seqDiff(a: number, b: number): number {
  return ((a - b + 0x8000) & 0xffff) - 0x8000;
}

class TsUpPipeline implements UpPipeline {
  readonly #codec: string;
  readonly #clockRate: number;
  #started = false;
  #highest = 0;
  #transit = 0;
  #jitter = 0;
  // one-second windows: the running one and the last complete one
  #windowStart = 0;
  #bytes = 0;
  #received = 0;
  #firstSeq = 0;
  #last: UpFigures = { bitrate: 0, loss: 0, jitter: 0 };

  constructor(codec: string, clockRate: number) {
    this.#codec = codec;
    this.#clockRate = clockRate;
  }

  ingest(packet: RtpPacket, now: number): number {
    const { header } = packet;
    const seq = header.sequenceNumber;
    if (!this.#started) {
      this.#started = true;
      this.#highest = seq;
      this.#windowStart = now;
      this.#firstSeq = seq;
      this.#transit = now * this.#clockRate / 1000 - header.timestamp;
    } else {
      if (now - this.#windowStart >= 1000) this.#roll(now);
      if (seqDiff(seq, this.#highest) > 0) this.#highest = seq;
      // RFC 3550 §6.4.1, in clock units, gain 1/16.
      const transit = now * this.#clockRate / 1000 - header.timestamp;
      const d = Math.abs(transit - this.#transit);
      this.#transit = transit;
      this.#jitter += (d - this.#jitter) / 16;
    }
    this.#bytes += packet.payload.length + 12;
    this.#received++;
    return startsKeyframe(this.#codec, packet.payload) ? KEYFRAME : 0;
  }

  #roll(now: number): void {
    const elapsed = now - this.#windowStart;
    const expected = seqDiff(this.#highest, this.#firstSeq) + 1;
    this.#last = {
      bitrate: Math.round(this.#bytes * 8 * 1000 / elapsed),
      loss: expected > 0 ? Math.max(0, 1 - this.#received / expected) : 0,
      jitter: this.#jitter / this.#clockRate,
    };
    this.#windowStart = now;
    this.#bytes = 0;
    this.#received = 0;
    this.#firstSeq = (this.#highest + 1) & 0xffff;
  }

  figures(now: number): UpFigures {
    if (this.#started && now - this.#windowStart >= 2000) {
      // Nothing arrived for a whole window: the stream is idle.
      return { bitrate: 0, loss: 0, jitter: this.#jitter / this.#clockRate };
    }
    return this.#last;
  }
}

// Enough for ~0.5 s of 720p video; NACKs older than that are useless anyway.
const CACHE_SIZE = 512;

class TsDownPipeline implements DownPipeline {
  readonly #ssrc: number;
  readonly #payloadType: number;
  readonly #clockRate: number;
  readonly #cache: (RtpPacket | undefined)[] = new Array(CACHE_SIZE);
  #current = -1;
  #wanted: number;
  #started = false;
  #seqOffset = 0;
  #tsOffset = 0;
  /** first incoming seq of the current layer since the last switch */
  #switchSeq = 0;
  #lastSeq = 0;
  #lastTs = 0;
  #lastTime = 0;
  packets = 0;
  bytes = 0;

  constructor(options: DownPipelineOptions) {
    this.#ssrc = options.ssrc;
    this.#payloadType = options.payloadType;
    this.#clockRate = options.clockRate;
    this.#wanted = options.layer;
  }

  get pendingLayer(): number {
    // Before the first packet nothing waits: the first layer starts anywhere.
    return !this.#started || this.#wanted === this.#current ? -1 : this.#wanted;
  }

  select(layer: number): void {
    this.#wanted = layer;
  }

  forward(
    packet: RtpPacket,
    layer: number,
    flags: number,
    now: number,
  ): RtpPacket | null {
    const seq = packet.header.sequenceNumber;
    const ts = packet.header.timestamp;
    if (layer !== this.#current) {
      if (layer !== this.#wanted) return null;
      // The first layer starts anywhere (the subscriber asks for a keyframe
      // itself); a switch waits for a keyframe so the decoder never sees a
      // frame that references the other layer.
      if (this.#started && (flags & KEYFRAME) === 0) return null;
      if (this.#started) {
        this.#seqOffset = (this.#lastSeq + 1 - seq) & 0xffff;
        // Layers have unrelated timestamp bases: continue from the last
        // outgoing timestamp by the wall-clock time elapsed (at least 1 tick).
        const elapsed = Math.max(
          1,
          Math.round((now - this.#lastTime) * this.#clockRate / 1000),
        );
        this.#tsOffset = (this.#lastTs + elapsed - ts) >>> 0;
      }
      this.#current = layer;
      this.#switchSeq = seq;
    } else if (seqDiff(seq, this.#switchSeq) < 0) {
      // Late packet from before the switch: its number is already used.
      return null;
    }
    const out = packet.clone();
    const header = out.header;
    header.extensions = [];
    header.extension = false;
    header.ssrc = this.#ssrc;
    header.payloadType = this.#payloadType;
    header.sequenceNumber = (seq + this.#seqOffset) & 0xffff;
    header.timestamp = (ts + this.#tsOffset) >>> 0;
    if (!this.#started || seqDiff(header.sequenceNumber, this.#lastSeq) > 0) {
      this.#lastSeq = header.sequenceNumber;
      this.#lastTs = header.timestamp;
      this.#lastTime = now;
    }
    this.#started = true;
    this.#cache[header.sequenceNumber % CACHE_SIZE] = out;
    this.packets++;
    this.bytes += out.payload.length + 12;
    return out;
  }

  retransmit(seq: number): RtpPacket | null {
    const packet = this.#cache[seq % CACHE_SIZE];
    return packet && packet.header.sequenceNumber === seq ? packet : null;
  }
}
