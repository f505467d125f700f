/**
 * {@link PacketPipelines} on media-wasm: one packet cache per up track, one
 * rewriting state per down track, all inside one WebAssembly instance.
 *
 * @example
 * ```ts
 * const pipelines = createWasmPipelines(MediaWasm.loadSync());
 * const up = pipelines.up({ codec: "vp8", clockRate: 90000 });
 * const down = pipelines.down({ ssrc: 1, payloadType: 96, codec: "vp8", clockRate: 90000, layer: 0 });
 * const slot = up.ingest(rtpBytes, performance.now());
 * const out = slot >= 0 ? down.forward(up, slot, 0, performance.now()) : null;
 * ```
 *
 * @module
 */

import {
  type Codec,
  CODECS,
  type DownHandle,
  type MediaWasm,
  type Slot,
  type UpHandle,
} from "../../../media-wasm/mod.ts";
import type {
  DownPipeline,
  DownPipelineOptions,
  PacketPipelines,
  ReportFigures,
  SourceClock,
  SvcLayers,
  TargetReason,
  UpPipeline,
} from "./packet_pipeline.ts";
import type { CodecName } from "../codec_names.ts";

// Galène keeps 128…1024 packets for video; 512 is ~1 s of 720p video, more
// than any NACK round trip worth answering. Audio needs far fewer.
const VIDEO_CACHE = 512;
const AUDIO_CACHE = 64;
// NTP fixed point: 2^32 units per second.
const NTP_PER_MS = 4294967296 / 1000;

/** Milliseconds on the wrapping u32 clock the module uses. */
function ms(now: number): number {
  return Math.floor(now) >>> 0;
}

// The group codec names are the module's codecs, one to one: adding a name
// to either list without the other fails to compile here.
type Same<A, B> = [A] extends [B] ? [B] extends [A] ? true : false : false;
const SAME_CODECS: Same<CodecName, Codec> = true;
void SAME_CODECS;

/** Builds {@link PacketPipelines} on one loaded {@link MediaWasm}. */
export function createWasmPipelines(wasm: MediaWasm): PacketPipelines {
  const ups = new Map<number, WasmUp>();
  return {
    up(options) {
      const codec = options.codec;
      const handle = wasm.createUp({
        codec,
        clockRate: options.clockRate,
        capacity: CODECS[codec] >= 16 ? AUDIO_CACHE : VIDEO_CACHE,
      });
      if (options.av1Descriptor !== undefined) {
        wasm.setAv1Descriptor(handle, options.av1Descriptor);
      }
      const up = new WasmUp(wasm, handle, options.clockRate, () => {
        ups.delete(handle);
      });
      ups.set(handle, up);
      return up;
    },
    down(options: DownPipelineOptions) {
      const handle = wasm.createDown({
        ssrc: options.ssrc,
        payloadType: options.payloadType,
        codec: options.codec,
        clockRate: options.clockRate,
      });
      wasm.setTarget(handle, options.layer);
      return new WasmDown(wasm, handle, (h) => ups.get(h) ?? null);
    },
    receiverReport(list, options) {
      const handles = list.map((u) => (u as WasmUp).handle);
      const packet = wasm
        .receiverReport(handles, options.senderSsrc, ms(options.now))
        .slice();
      const figures: ReportFigures[] = [];
      for (const item of wasm.parseRtcp(packet)) {
        if (item.type !== "report") continue;
        const i = list.findIndex((u) => u.ssrc === item.ssrc);
        figures.push({
          ssrc: item.ssrc,
          loss: item.fractionLost / 256,
          jitter: item.jitter / (options.clockRates[i] ?? 90000),
        });
      }
      return { packet, figures };
    },
    remb: (sender, options) => wasm.remb(sender, options.bps, options.ssrcs),
    pli: (sender, media) => wasm.pli(sender, media),
  };
}

class WasmUp implements UpPipeline {
  readonly handle: UpHandle;
  readonly #wasm: MediaWasm;
  readonly #clockRate: number;
  readonly #onClose: () => void;
  #sr: { clock: SourceClock; at: number } | null = null;
  #closed = false;

  constructor(
    wasm: MediaWasm,
    handle: UpHandle,
    clockRate: number,
    onClose: () => void,
  ) {
    this.#wasm = wasm;
    this.handle = handle;
    this.#clockRate = clockRate;
    this.#onClose = onClose;
  }

  get ssrc(): number {
    return this.#closed ? 0 : this.#wasm.upSsrc(this.handle);
  }

  ingest(packet: Uint8Array, now: number): number {
    if (this.#closed) return -1;
    const slot = this.#wasm.ingest(this.handle, packet, ms(now));
    return typeof slot === "number" ? slot : -1;
  }

  startsKeyframe(slot: number): boolean {
    return this.#wasm.startsKeyframe(this.handle, slot as Slot);
  }

  keyframeRun(maxPackets: number): number[] | null {
    if (this.#closed) return null;
    return this.#wasm.keyframeRun(this.handle, maxPackets);
  }

  bitrate(now: number): number {
    return this.#closed ? 0 : this.#wasm.upBitrate(this.handle, ms(now));
  }

  onSenderReport(clock: SourceClock, now: number): void {
    if (this.#closed) return;
    this.#sr = { clock, at: now };
    this.#wasm.onSenderReport(this.handle, clock.ntp, ms(now));
  }

  clockAt(now: number): SourceClock | null {
    const sr = this.#sr;
    if (sr === null) return null;
    const elapsed = Math.max(0, now - sr.at);
    return {
      ntp: (sr.clock.ntp + BigInt(Math.round(elapsed * NTP_PER_MS))) &
        0xffffffffffffffffn,
      rtpTimestamp: (sr.clock.rtpTimestamp +
        Math.round(elapsed * this.#clockRate / 1000)) >>> 0,
    };
  }

  nackDue(senderSsrc: number, now: number): Uint8Array | null {
    if (this.#closed) return null;
    return this.#wasm.nackDue(this.handle, senderSsrc, ms(now));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wasm.freeUp(this.handle);
    this.#onClose();
  }
}

class WasmDown implements DownPipeline {
  readonly #wasm: MediaWasm;
  readonly #handle: DownHandle;
  readonly #lookup: (handle: number) => WasmUp | null;
  #closed = false;

  constructor(
    wasm: MediaWasm,
    handle: DownHandle,
    lookup: (handle: number) => WasmUp | null,
  ) {
    this.#wasm = wasm;
    this.#handle = handle;
    this.#lookup = lookup;
  }

  forward(
    up: UpPipeline,
    slot: number,
    layer: number,
    now: number,
  ): Uint8Array | null {
    if (this.#closed) return null;
    const handle = (up as WasmUp).handle;
    return this.#wasm.forward(
      this.#handle,
      handle,
      slot as Slot,
      layer,
      ms(now),
    );
  }

  retransmit(seq: number): Uint8Array | null {
    return this.#closed ? null : this.#wasm.retransmit(this.#handle, seq);
  }

  wantsKeyframe(): number {
    return this.#closed ? -1 : this.#wasm.wantsKeyframe(this.#handle) ?? -1;
  }

  get current(): number {
    return this.#closed ? -1 : this.#wasm.layers(this.#handle).current ?? -1;
  }

  get target(): number {
    return this.#closed ? -1 : this.#wasm.layers(this.#handle).target;
  }

  setTarget(layer: number): void {
    if (!this.#closed) this.#wasm.setTarget(this.#handle, layer);
  }

  adjust(
    rates: readonly number[],
    maxLayer: number,
    now: number,
  ): TargetReason {
    if (this.#closed) return "unchanged";
    return this.#wasm.adjust(this.#handle, {
      nowMs: ms(now),
      rates: rates.map((r) => Math.min(Math.round(r), 0xffffffff)),
      maxLayer,
    }).reason;
  }

  svcAdjust(
    options: { maxSpatial: number; capBps: number },
    now: number,
  ): { sid: number; tid: number; reason: TargetReason } | null {
    if (this.#closed) return null;
    return this.#wasm.svcAdjust(this.#handle, {
      nowMs: ms(now),
      maxSpatial: options.maxSpatial,
      capBps: Math.max(0, Math.round(options.capBps)),
    });
  }

  svcLayers(): SvcLayers | null {
    return this.#closed ? null : this.#wasm.svcLayers(this.#handle);
  }

  onRemb(bps: number, now: number): void {
    if (this.#closed) return;
    this.#wasm.onRemb(this.#handle, Math.min(bps, 0xffffffff) >>> 0, ms(now));
  }

  onLoss(fractionLost: number, now: number): void {
    if (!this.#closed) this.#wasm.onLoss(this.#handle, fractionLost, ms(now));
  }

  available(now: number): number {
    return this.#closed ? 0 : this.#wasm.available(this.#handle, ms(now));
  }

  bitrate(now: number): number {
    return this.#closed ? 0 : this.#wasm.downBitrate(this.#handle, ms(now));
  }

  source(): UpPipeline | null {
    if (this.#closed) return null;
    const h = this.#wasm.source(this.#handle);
    return h === null ? null : this.#lookup(h);
  }

  senderReport(clock: SourceClock): Uint8Array {
    return this.#wasm.senderReport(this.#handle, clock);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wasm.freeDown(this.#handle);
  }
}
