/**
 * Typed wrapper of `media_wasm.wasm`, Nereid's per-packet hot path. This is,
 * with `recording.ts`, the only module that touches the WebAssembly memory;
 * both get their instance from `loader.ts`, which checks the ABI version.
 *
 * Packets go in by copying the caller's bytes into the module's input buffer
 * and come out as views of its output buffer: a returned `Uint8Array` is
 * valid only until the next call on the same {@link MediaWasm}; send or copy
 * it before calling again.
 *
 * @example
 * ```ts
 * const wasm = await MediaWasm.load();
 * const up = wasm.createUp({ codec: "vp8", clockRate: 90000, capacity: 512 });
 * const down = wasm.createDown({ ssrc: 0x1234, payloadType: 96, codec: "vp8", clockRate: 90000 });
 * const slot = wasm.ingest(up, rtpPacket, Date.now() >>> 0);
 * if (typeof slot === "number") {
 *   const out = wasm.forward(down, up, slot, 0, Date.now() >>> 0);
 *   if (out) socket.send(out); // before the next call
 * }
 * ```
 *
 * @module
 */

import { type AbiCheck, loadMediaWasm, loadMediaWasmSync } from "./loader.ts";

/** The ABI version this wrapper speaks. */
export const ABI_VERSION = 1;

const ABI: AbiCheck = {
  versionExport: "abi_version",
  version: ABI_VERSION,
  name: "ABI",
};

/** A handle of an up (incoming) track. */
export type UpHandle = number & { readonly __brand: "UpHandle" };
/** A handle of a down (outgoing) track. */
export type DownHandle = number & { readonly __brand: "DownHandle" };
/** A slot of an up track's packet cache. */
export type Slot = number & { readonly __brand: "Slot" };

/** ABI numbers of the codecs. */
export const CODECS = {
  vp8: 1,
  vp9: 2,
  h264: 3,
  av1: 4,
  opus: 16,
  g722: 17,
  pcmu: 18,
  pcma: 19,
} as const;
/** A codec the module knows. */
export type Codec = keyof typeof CODECS;

/** Why the cache refused a packet. */
export type IngestRefusal =
  | "malformed"
  | "duplicate"
  | "too-old"
  | "too-large"
  | "jump";
/** Whether a packet begins a keyframe; "unknown" when the payload does not tell. */
export type KeyframeAnswer = "yes" | "no" | "unknown";
/** Where a down track stands. */
export type Phase = "starting" | "stable" | "switch-pending";
/** Why {@link MediaWasm.adjust} chose its target. */
export type TargetReason =
  | "unchanged"
  | "raised"
  | "lowered"
  | "layer-gone"
  | "capped";

/** Why a down track's forwarded SVC layers last changed. */
export type SvcReason =
  | "none"
  | "keyframe"
  | "temporal-down"
  | "spatial-down"
  | "temporal-up";

/** SVC layers of a down track; 7 stands for "every layer". */
export interface SvcLayers {
  current: { sid: number; tid: number };
  target: { sid: number; tid: number };
  /** The highest layer ids seen in the stream forwarded. */
  highest: { sid: number; tid: number };
  reason: SvcReason;
}

/** Facts about a cached packet. */
export interface SlotInfo {
  keyframe: KeyframeAnswer;
  frameStart: boolean;
  marker: boolean;
  /** Temporal layer id, when the payload has one. */
  tid: number | null;
  /** Spatial layer id, when the payload has one. */
  sid: number | null;
  seq: number;
  timestamp: number;
  length: number;
}

/** One fact of a compound RTCP packet. */
export type RtcpItem =
  | {
    type: "sr";
    ssrc: number;
    ntp: bigint;
    rtpTimestamp: number;
    packets: number;
    octets: number;
  }
  | {
    type: "report";
    reporter: number;
    ssrc: number;
    fractionLost: number;
    cumulativeLost: number;
    highestSeq: number;
    jitter: number;
    lastSr: number;
    delaySinceLastSr: number;
  }
  | { type: "cname"; ssrc: number; cname: string }
  | { type: "bye"; ssrc: number }
  | { type: "nack"; sender: number; media: number; seqs: number[] }
  | { type: "pli"; sender: number; media: number }
  | { type: "fir"; sender: number; media: number; seq: number }
  | { type: "remb"; sender: number; media: number; bitrate: number };

const STATUS = {
  badHandle: -1,
  badArgument: -2,
  malformed: -3,
  duplicate: -4,
  tooOld: -5,
  notFound: -6,
  noHandles: -7,
  bufferTooSmall: -8,
  tooLarge: -9,
  jump: -10,
} as const;

// Indexed by -status; a lookup, so refusals cost no allocation.
const REFUSALS: readonly (IngestRefusal | undefined)[] = [
  undefined,
  undefined,
  undefined,
  "malformed",
  "duplicate",
  "too-old",
  undefined,
  undefined,
  undefined,
  "too-large",
  "jump",
];
const KEYFRAME: readonly KeyframeAnswer[] = ["no", "yes", "unknown", "unknown"];
const PHASES: readonly Phase[] = ["starting", "stable", "switch-pending"];
const REASONS: readonly TargetReason[] = [
  "unchanged",
  "raised",
  "lowered",
  "layer-gone",
  "capped",
];
const SVC_REASONS: readonly SvcReason[] = [
  "none",
  "keyframe",
  "temporal-down",
  "spatial-down",
  "temporal-up",
];
const RECORD_WORDS = 10;

interface Exports {
  memory: WebAssembly.Memory;
  abi_version(): number;
  in_ptr(): number;
  in_capacity(): number;
  out_ptr(): number;
  out_capacity(): number;
  up_new(codec: number, clockRate: number, capacity: number): number;
  up_free(up: number): number;
  up_set_av1_descriptor(up: number, id: number): number;
  up_ingest(up: number, len: number, nowMs: number): number;
  slot_info(up: number, slot: number): number;
  slot_seq(up: number, slot: number): number;
  slot_timestamp(up: number, slot: number): number;
  up_slot_by_seq(up: number, seq: number): number;
  up_keyframe_slot(up: number): number;
  up_keyframe_run(up: number, max: number): number;
  up_bitrate(up: number, nowMs: number): number;
  up_ssrc(up: number): number;
  up_on_sr(up: number, ntpHi: number, ntpLo: number, nowMs: number): number;
  up_rr(count: number, senderSsrc: number, nowMs: number): number;
  up_nack_due(up: number, senderSsrc: number, nowMs: number): number;
  down_new(ssrc: number, pt: number, codec: number, clockRate: number): number;
  down_free(down: number): number;
  down_set_target(down: number, layer: number): number;
  down_forward(
    down: number,
    up: number,
    slot: number,
    layer: number,
    nowMs: number,
  ): number;
  down_nack(down: number, seq: number): number;
  down_wants_keyframe(down: number): number;
  down_layers(down: number): number;
  down_source(down: number): number;
  down_on_loss(down: number, fractionLost: number, nowMs: number): number;
  down_on_remb(down: number, bps: number, nowMs: number): number;
  down_available(down: number, nowMs: number): number;
  down_bitrate(down: number, nowMs: number): number;
  down_adjust(
    down: number,
    nowMs: number,
    r0: number,
    r1: number,
    r2: number,
    maxLayer: number,
  ): number;
  down_svc_adjust(
    down: number,
    nowMs: number,
    maxSid: number,
    capBps: number,
  ): number;
  down_svc_layers(down: number): number;
  down_sr(down: number, ntpHi: number, ntpLo: number, rtpTs: number): number;
  rtcp_parse(len: number): number;
  rtcp_pli(sender: number, media: number): number;
  rtcp_remb(sender: number, bps: number, count: number): number;
}

/** Options of {@link MediaWasm.createUp}. */
export interface UpOptions {
  codec: Codec;
  clockRate: number;
  /** Cache slots, 1 to 1024 (Galène: 128 video, 24 audio, up to 1024). */
  capacity: number;
}

/** Options of {@link MediaWasm.createDown}. */
export interface DownOptions {
  ssrc: number;
  payloadType: number;
  codec: Codec;
  clockRate: number;
}

/** Options of {@link MediaWasm.adjust}. */
export interface AdjustOptions {
  nowMs: number;
  /** Measured bit rate of layers 0, 1, 2 (0 or absent: not received). */
  rates: readonly number[];
  /** Highest layer allowed (0 for a subscriber that asked for low). */
  maxLayer: number;
}

/** Options of {@link MediaWasm.senderReport}. */
export interface SenderReportOptions {
  /** 64-bit NTP time of the report. */
  ntp: bigint;
  /** The current source's RTP time at `ntp` (from its upstream SR). */
  rtpTimestamp: number;
}

function fail(code: number, what: string): never {
  switch (code) {
    case STATUS.badHandle:
      throw new RangeError(`Cannot use ${what}: unknown handle`);
    case STATUS.noHandles:
      throw new RangeError(
        `Cannot create ${what}: all 65536 handles are in use`,
      );
    case STATUS.bufferTooSmall:
      throw new RangeError(`Cannot write ${what}: output buffer too small`);
    case STATUS.notFound:
      throw new RangeError(`Cannot use ${what}: the cache slot is empty`);
    case STATUS.malformed:
      throw new SyntaxError(`Cannot parse ${what}: malformed`);
    default:
      throw new RangeError(
        `Cannot use ${what}: invalid argument (status ${code})`,
      );
  }
}

/** The loaded module with typed methods mirroring its ABI. */
export class MediaWasm {
  #x: Exports;
  #input: Uint8Array;
  #output: Uint8Array;
  #outputWords: DataView;
  #lastOut: Uint8Array = new Uint8Array(0);
  #decoder = new TextDecoder();

  private constructor(exports: Exports) {
    this.#x = exports;
    this.#input = new Uint8Array(0);
    this.#output = new Uint8Array(0);
    this.#outputWords = new DataView(new ArrayBuffer(0));
    this.#refresh();
  }

  /**
   * Loads and instantiates the module (by default the `media_wasm.wasm`
   * beside this file) and checks its ABI version.
   * @throws {Error} when the file's ABI version is not {@link ABI_VERSION}
   */
  static async load(path?: URL): Promise<MediaWasm> {
    const exports = await loadMediaWasm(ABI, path);
    return new MediaWasm(exports as unknown as Exports);
  }

  /**
   * Loads a local module file synchronously (for constructors that cannot
   * await), checking its ABI version as {@link MediaWasm.load} does.
   * @throws {Error} when the file's ABI version is not {@link ABI_VERSION}
   */
  static loadSync(path?: URL): MediaWasm {
    return new MediaWasm(loadMediaWasmSync(ABI, path) as unknown as Exports);
  }

  // Views are detached when the memory grows (a new cache allocates): they
  // are rebuilt lazily, and a zero length is the cheap sign of it.
  #refresh(): void {
    // The pointers first: the first call allocates the buffers.
    const input = this.#x.in_ptr();
    const output = this.#x.out_ptr();
    const buffer = this.#x.memory.buffer;
    this.#input = new Uint8Array(buffer, input, this.#x.in_capacity());
    this.#output = new Uint8Array(buffer, output, this.#x.out_capacity());
    this.#outputWords = new DataView(
      buffer,
      this.#output.byteOffset,
      this.#output.byteLength,
    );
  }

  #in(bytes: Uint8Array, what: string): void {
    if (this.#input.byteLength === 0) this.#refresh();
    if (bytes.length > this.#input.length) {
      throw new RangeError(
        `Cannot pass ${what} of ${bytes.length} bytes: the input buffer holds ${this.#input.length}`,
      );
    }
    this.#input.set(bytes);
  }

  #inWords(words: readonly number[], what: string): void {
    if (this.#input.byteLength === 0) this.#refresh();
    if (words.length * 4 > this.#input.length) {
      throw new RangeError(`Cannot pass ${what}: too many values`);
    }
    const view = new DataView(
      this.#input.buffer,
      this.#input.byteOffset,
      words.length * 4,
    );
    words.forEach((w, i) => view.setUint32(4 * i, w, true));
  }

  #out(n: number, what: string): Uint8Array {
    if (n < 0) fail(n, what);
    // The last view again when it has this length (packets of a frame
    // mostly do): a subarray per forwarded packet was an allocation. A view
    // of memory that grew since has length 0 and is made anew.
    if (this.#lastOut.byteLength === n) return this.#lastOut;
    if (this.#output.byteLength === 0) this.#refresh();
    return this.#lastOut = this.#output.subarray(0, n);
  }

  #check(code: number, what: string): number {
    return code < 0 ? fail(code, what) : code;
  }

  /**
   * Creates an up track with its packet cache.
   * @throws {RangeError} on an unknown codec or a capacity outside 1..1024
   */
  createUp(options: UpOptions): UpHandle {
    const codec = CODECS[options.codec];
    return this.#check(
      this.#x.up_new(codec, options.clockRate, options.capacity),
      `up track (${options.codec})`,
    ) as UpHandle;
  }

  /**
   * Makes an AV1 up track read its packets' layers from the dependency
   * descriptor header extension negotiated with `id` (1…255).
   */
  setAv1Descriptor(up: UpHandle, id: number): void {
    this.#check(this.#x.up_set_av1_descriptor(up, id), "up track");
  }

  /** Frees an up track; false when it was already freed. */
  freeUp(up: UpHandle): boolean {
    return this.#x.up_free(up) === 0;
  }

  /**
   * Caches an RTP packet (its header extension stripped); returns its slot,
   * or why it was refused. `nowMs` is a wrapping u32 millisecond clock.
   * @throws {RangeError} on an unknown handle or a packet over the input size
   */
  ingest(
    up: UpHandle,
    packet: Uint8Array,
    nowMs: number,
  ): Slot | IngestRefusal {
    this.#in(packet, "RTP packet");
    const r = this.#x.up_ingest(up, packet.length, nowMs);
    if (r >= 0) return r as Slot;
    return REFUSALS[-r] ?? fail(r, "up track");
  }

  /**
   * Facts about a cached packet, or null when the slot is empty.
   * @throws {RangeError} on an unknown handle
   */
  slotInfo(up: UpHandle, slot: Slot): SlotInfo | null {
    const bits = this.#x.slot_info(up, slot);
    if (bits === STATUS.notFound) return null;
    this.#check(bits, "up track");
    const tid = (bits >> 4) & 7;
    const sid = (bits >> 8) & 7;
    return {
      keyframe: KEYFRAME[bits & 3] ?? "unknown",
      frameStart: (bits & 4) !== 0,
      marker: (bits & 8) !== 0,
      tid: tid === 7 ? null : tid,
      sid: sid === 7 ? null : sid,
      seq: this.#x.slot_seq(up, slot),
      timestamp: this.#x.slot_timestamp(up, slot) >>> 0,
      length: bits >>> 16,
    };
  }

  /** The slot of the newest cached keyframe start, or null. */
  keyframeSlot(up: UpHandle): Slot | null {
    const r = this.#x.up_keyframe_slot(up);
    return r === STATUS.notFound ? null : this.#check(r, "up track") as Slot;
  }

  /**
   * The slots from the newest cached keyframe start to the newest packet, in
   * order, in one call; null when one of them is missing or there are more
   * than `max` (a keyframe too old to replay).
   */
  keyframeRun(up: UpHandle, max: number): Slot[] | null {
    const count = this.#check(this.#x.up_keyframe_run(up, max), "up track");
    if (count === 0) return null;
    if (this.#output.byteLength === 0) this.#refresh();
    const v = this.#outputWords;
    const slots: Slot[] = [];
    for (let i = 0; i < count; i++) {
      slots.push(v.getUint32(i * 4, true) as Slot);
    }
    return slots;
  }

  /** The slot holding sequence number `seq`, or null. */
  slotBySeq(up: UpHandle, seq: number): Slot | null {
    const r = this.#x.up_slot_by_seq(up, seq);
    return r === STATUS.notFound ? null : this.#check(r, "up track") as Slot;
  }

  /** Incoming bit rate over the last second, in bit/s. */
  upBitrate(up: UpHandle, nowMs: number): number {
    return this.#check(this.#x.up_bitrate(up, nowMs), "up track");
  }

  /** SSRC of the latest packet (0 for an unknown handle). */
  upSsrc(up: UpHandle): number {
    return this.#x.up_ssrc(up) >>> 0;
  }

  /** Notes an upstream Sender Report's NTP time for LSR/DLSR. */
  onSenderReport(up: UpHandle, ntp: bigint, nowMs: number): void {
    this.#check(
      this.#x.up_on_sr(
        up,
        Number(ntp >> 32n) >>> 0,
        Number(ntp & 0xffffffffn) >>> 0,
        nowMs,
      ),
      "up track",
    );
  }

  /**
   * A Receiver Report with one block per up track (at most 31).
   * @throws {RangeError} on an unknown handle or too many tracks
   */
  receiverReport(
    ups: readonly UpHandle[],
    senderSsrc: number,
    nowMs: number,
  ): Uint8Array {
    this.#inWords(ups, "up track handles");
    return this.#out(
      this.#x.up_rr(ups.length, senderSsrc, nowMs),
      "receiver report",
    );
  }

  /** A generic NACK for the holes due now, or null when none are. */
  nackDue(up: UpHandle, senderSsrc: number, nowMs: number): Uint8Array | null {
    const n = this.#x.up_nack_due(up, senderSsrc, nowMs);
    return n === 0 ? null : this.#out(n, "NACK");
  }

  /**
   * Creates a down track.
   * @throws {RangeError} on an unknown codec or a payload type over 127
   */
  createDown(options: DownOptions): DownHandle {
    const codec = CODECS[options.codec];
    const r = this.#x.down_new(
      options.ssrc,
      options.payloadType,
      codec,
      options.clockRate,
    );
    return this.#check(r, `down track (${options.codec})`) as DownHandle;
  }

  /** Frees a down track; false when it was already freed. */
  freeDown(down: DownHandle): boolean {
    return this.#x.down_free(down) === 0;
  }

  /** Aims a down track at `layer`; it switches at that layer's next keyframe. */
  setTarget(down: DownHandle, layer: number): void {
    this.#check(this.#x.down_set_target(down, layer), "down track");
  }

  /**
   * Offers a cached packet of simulcast layer `layer` to a down track;
   * returns the rewritten packet (a view valid until the next call) or null
   * when the layer policy drops it. Five positional parameters on purpose:
   * an options object would allocate on every packet.
   * @throws {RangeError} on an unknown handle or an empty slot
   */
  forward(
    down: DownHandle,
    up: UpHandle,
    slot: Slot,
    layer: number,
    nowMs: number,
  ): Uint8Array | null {
    const n = this.#x.down_forward(down, up, slot, layer, nowMs);
    return n === 0 ? null : this.#out(n, "forwarded packet");
  }

  /**
   * The retransmission of outgoing sequence number `seq` (a view valid until
   * the next call), or null when it is no longer cached.
   */
  retransmit(down: DownHandle, seq: number): Uint8Array | null {
    const n = this.#x.down_nack(down, seq);
    return n === 0 ? null : this.#out(n, "retransmission");
  }

  /** The layer whose keyframe the down track waits for, or null. */
  wantsKeyframe(down: DownHandle): number | null {
    const r = this.#x.down_wants_keyframe(down);
    return r === -1 ? null : this.#check(r, "down track");
  }

  /** Current layer, target layer and phase of a down track. */
  layers(
    down: DownHandle,
  ): { current: number | null; target: number; phase: Phase } {
    const r = this.#check(this.#x.down_layers(down), "down track");
    const current = r & 0xff;
    return {
      current: current === 255 ? null : current,
      target: (r >> 8) & 0xff,
      phase: PHASES[r >> 16] ?? "starting",
    };
  }

  /** The up track being forwarded, or null before the first keyframe. */
  source(down: DownHandle): UpHandle | null {
    const r = this.#x.down_source(down);
    return r === STATUS.notFound
      ? null
      : this.#check(r, "down track") as UpHandle;
  }

  /** Feeds a receiver report's fraction lost (0..255) into the estimate. */
  onLoss(down: DownHandle, fractionLost: number, nowMs: number): void {
    this.#check(this.#x.down_on_loss(down, fractionLost, nowMs), "down track");
  }

  /** Feeds the subscriber's REMB (bit/s) into the estimate. */
  onRemb(down: DownHandle, bps: number, nowMs: number): void {
    this.#check(this.#x.down_on_remb(down, bps, nowMs), "down track");
  }

  /** Bandwidth available towards the subscriber, in bit/s. */
  available(down: DownHandle, nowMs: number): number {
    return this.#check(this.#x.down_available(down, nowMs), "down track");
  }

  /** Outgoing bit rate of a down track over the last second, in bit/s. */
  downBitrate(down: DownHandle, nowMs: number): number {
    return this.#check(this.#x.down_bitrate(down, nowMs), "down track");
  }

  /**
   * Whether a cached packet begins a keyframe ("unknown" counts as no): the
   * per-packet question, answered without allocating.
   */
  startsKeyframe(up: UpHandle, slot: Slot): boolean {
    const bits = this.#x.slot_info(up, slot);
    return bits >= 0 && (bits & 3) === 1;
  }

  /** Re-aims a down track from layer rates and its estimate. */
  adjust(
    down: DownHandle,
    options: AdjustOptions,
  ): { target: number; reason: TargetReason } {
    const [r0 = 0, r1 = 0, r2 = 0] = options.rates;
    const r = this.#check(
      this.#x.down_adjust(down, options.nowMs, r0, r1, r2, options.maxLayer),
      "down track",
    );
    return { target: r & 0xff, reason: REASONS[r >> 8] ?? "unchanged" };
  }

  /**
   * Bounds a down track's estimate by `capBps` (0: none) from now on, for
   * every choice that reads it (a test's cap), and re-aims its SVC layers
   * (VP8, VP9) from its source's layer rates and that estimate, never above
   * spatial layer `maxSpatial`; null for a codec without SVC.
   */
  svcAdjust(
    down: DownHandle,
    options: { nowMs: number; maxSpatial: number; capBps?: number },
  ): { sid: number; tid: number; reason: TargetReason } | null {
    const r = this.#x.down_svc_adjust(
      down,
      options.nowMs,
      options.maxSpatial,
      Math.min(options.capBps ?? 0, 0xffffffff) >>> 0,
    );
    if (r === STATUS.notFound) return null;
    this.#check(r, "down track");
    return {
      sid: r & 0xf,
      tid: (r >> 4) & 0xf,
      reason: REASONS[r >> 8] ?? "unchanged",
    };
  }

  /** SVC layers of a down track; null for a codec without SVC. */
  svcLayers(down: DownHandle): SvcLayers | null {
    const r = this.#x.down_svc_layers(down);
    if (r === STATUS.notFound) return null;
    this.#check(r, "down track");
    return {
      current: { sid: r & 0xf, tid: (r >> 4) & 0xf },
      target: { sid: (r >> 8) & 0xf, tid: (r >> 12) & 0xf },
      highest: { sid: (r >> 20) & 0xf, tid: (r >> 24) & 0xf },
      reason: SVC_REASONS[(r >> 16) & 0xf] ?? "none",
    };
  }

  /** A Sender Report for a down track, in its outgoing timeline. */
  senderReport(down: DownHandle, options: SenderReportOptions): Uint8Array {
    const hi = Number(options.ntp >> 32n) >>> 0;
    const lo = Number(options.ntp & 0xffffffffn) >>> 0;
    return this.#out(
      this.#x.down_sr(down, hi, lo, options.rtpTimestamp),
      "sender report",
    );
  }

  /**
   * Parses a compound RTCP packet.
   * @throws {SyntaxError} when it is malformed
   */
  parseRtcp(packet: Uint8Array): RtcpItem[] {
    this.#in(packet, "RTCP packet");
    const count = this.#x.rtcp_parse(packet.length);
    if (count < 0) fail(count, "RTCP packet");
    if (this.#output.byteLength === 0) this.#refresh();
    const items: RtcpItem[] = [];
    const v = this.#outputWords;
    for (let i = 0; i < count; i++) {
      const w = (k: number) => v.getUint32((i * RECORD_WORDS + k) * 4, true);
      items.push(this.#item(w, packet));
    }
    return items;
  }

  #item(w: (k: number) => number, packet: Uint8Array): RtcpItem {
    switch (w(0)) {
      case 1:
        return {
          type: "sr",
          ssrc: w(1),
          ntp: (BigInt(w(2)) << 32n) | BigInt(w(3)),
          rtpTimestamp: w(4),
          packets: w(5),
          octets: w(6),
        };
      case 2:
        return {
          type: "report",
          reporter: w(1),
          ssrc: w(2),
          fractionLost: w(3),
          cumulativeLost: w(4) | 0,
          highestSeq: w(5),
          jitter: w(6),
          lastSr: w(7),
          delaySinceLastSr: w(8),
        };
      case 3:
        return {
          type: "cname",
          ssrc: w(1),
          cname: this.#decoder.decode(packet.subarray(w(2), w(2) + w(3))),
        };
      case 4:
        return { type: "bye", ssrc: w(1) };
      case 5: {
        const pid = w(3);
        const blp = w(4);
        const seqs = [pid];
        for (let b = 0; b < 16; b++) {
          if (blp & (1 << b)) seqs.push((pid + b + 1) & 0xffff);
        }
        return { type: "nack", sender: w(1), media: w(2), seqs };
      }
      case 6:
        return { type: "pli", sender: w(1), media: w(2) };
      case 7:
        return { type: "fir", sender: w(1), media: w(2), seq: w(3) };
      case 8:
        return { type: "remb", sender: w(1), media: w(2), bitrate: w(3) };
      default:
        throw new SyntaxError(`Cannot read RTCP record of kind ${w(0)}`);
    }
  }

  /** A Picture Loss Indication. */
  pli(sender: number, media: number): Uint8Array {
    return this.#out(this.#x.rtcp_pli(sender, media), "PLI");
  }

  /** A REMB of `bps` bit/s for `ssrcs` (at most 255). */
  remb(sender: number, bps: number, ssrcs: readonly number[]): Uint8Array {
    this.#inWords(ssrcs, "REMB SSRCs");
    return this.#out(this.#x.rtcp_remb(sender, bps, ssrcs.length), "REMB");
  }
}
