/**
 * Typed wrapper of the recording half of `media_wasm.wasm` (the ABI block
 * `// ---- recording ABI ----` of `src/lib.rs`). With `mod.ts`, the only
 * module that touches the WebAssembly memory; it runs its own instance of
 * the module, so recording never shares state with forwarding.
 *
 * A recorder takes RTP packets and sender reports of one stream and gives
 * back file writes: begin a file, append bytes, patch bytes written before,
 * end the file.
 *
 * @example
 * ```ts
 * const wasm = await RecordingWasm.load();
 * const rec = wasm.create({ video: "vp8", audio: "opus", nowMs: 0 });
 * wasm.packet(rec, tapPacket, nowMs); // for every RTP packet
 * for (const write of wasm.writes(rec)) await file.apply(write);
 * ```
 *
 * @module
 */

import { type AbiCheck, loadMediaWasm } from "./loader.ts";
import { CODECS } from "./mod.ts";

/** The recording ABI version this wrapper speaks. */
export const REC_ABI_VERSION = 1;

const REC_ABI: AbiCheck = {
  versionExport: "rec_abi_version",
  version: REC_ABI_VERSION,
  name: "recording ABI",
};

/** A handle of a recorder. */
export type RecorderHandle = number & { readonly __brand: "RecorderHandle" };

/** The video codecs that can be recorded. */
export type RecordableVideo = "vp8" | "vp9" | "h264";

/** One file write, in order. Bytes are copies the caller may keep. */
export type FileWrite =
  | { type: "begin"; extension: "webm" | "mkv" }
  | { type: "append"; bytes: Uint8Array }
  | { type: "patch"; offset: number; bytes: Uint8Array }
  | { type: "end" };

/** What became of a packet. */
export type PacketOutcome = "stored" | "duplicate" | "late" | "restarted";

/** The facts of one RTP packet (a media tap's packet is one). */
export interface RtpParts {
  kind: "audio" | "video";
  ssrc: number;
  seq: number;
  timestamp: number;
  marker: boolean;
  payload: Uint8Array;
}

/** Options of {@link RecordingWasm.create}. */
export interface RecorderOptions {
  /** The video codec, if the stream has video. */
  video?: string;
  /** The audio codec, if the stream has audio (only Opus is recorded). */
  audio?: string;
  /**
   * Start a new file at each video keyframe of another size (Galène's
   * way). Off by default: browsers change the resolution with the
   * bandwidth, and players follow the size each keyframe carries.
   */
  newFileOnResize?: boolean;
  nowMs: number;
}

/** Options of {@link RecordingWasm.senderReport}. */
export interface RecorderSenderReport {
  kind: "audio" | "video";
  /** 64-bit NTP time of the report. */
  ntp: bigint;
  rtpTimestamp: number;
  nowMs: number;
}

interface Exports {
  memory: WebAssembly.Memory;
  rec_abi_version(): number;
  rec_in_ptr(): number;
  rec_in_capacity(): number;
  rec_new(video: number, audio: number, flags: number, nowMs: number): number;
  rec_free(rec: number): number;
  rec_packet(rec: number, kind: number, len: number, nowMs: number): number;
  rec_sender_report(
    rec: number,
    kind: number,
    hi: number,
    lo: number,
    rtp: number,
    nowMs: number,
  ): number;
  rec_tick(rec: number, nowMs: number): number;
  rec_close(rec: number, nowMs: number): number;
  rec_next(rec: number): number;
  rec_op_ptr(): number;
  rec_op_len(): number;
  rec_op_offset(): number;
}

const OUTCOMES: readonly PacketOutcome[] = [
  "stored",
  "duplicate",
  "late",
  "restarted",
];
const BAD_HANDLE = -1;
const RTP_HEADER = 12;
const UNSUPPORTED = -11;
const OP = { none: 0, webm: 1, mkv: 2, append: 3, patch: 4, end: 5 } as const;

function codecNumber(
  name: string | undefined,
  kind: "audio" | "video",
): number {
  if (name === undefined) return 0;
  const allowed = kind === "video" ? ["vp8", "vp9", "h264"] : ["opus"];
  if (!allowed.includes(name)) {
    throw new RangeError(
      `Cannot record ${kind} codec "${name}": only ${
        allowed.join(", ")
      } can be recorded`,
    );
  }
  return CODECS[name as keyof typeof CODECS];
}

/** The loaded recording half of the module. */
export class RecordingWasm {
  #x: Exports;
  #input = new Uint8Array(0);
  #inputView = new DataView(new ArrayBuffer(0));

  private constructor(exports: Exports) {
    this.#x = exports;
  }

  /**
   * Loads a private instance of the module and checks its recording ABI.
   * @throws {Error} when the module speaks another recording ABI version
   */
  static async load(path?: URL): Promise<RecordingWasm> {
    const exports = await loadMediaWasm(REC_ABI, path);
    return new RecordingWasm(exports as unknown as Exports);
  }

  /**
   * Creates the recorder of one stream.
   * @throws {RangeError} for a codec that cannot be recorded (AV1, G.722…)
   * or a stream with neither video nor audio
   */
  create(options: RecorderOptions): RecorderHandle {
    const video = codecNumber(options.video, "video");
    const audio = codecNumber(options.audio, "audio");
    const flags = options.newFileOnResize ? 1 : 0;
    const r = this.#x.rec_new(video, audio, flags, options.nowMs >>> 0);
    if (r === UNSUPPORTED) {
      throw new RangeError(
        `Cannot record codecs "${options.video}"/"${options.audio}"`,
      );
    }
    if (r < 0) {
      throw new RangeError(
        `Cannot create a recorder: ${
          video === 0 && audio === 0 ? "no track" : `status ${r}`
        }`,
      );
    }
    return r as RecorderHandle;
  }

  /** Frees a recorder; false when it was already freed. */
  free(rec: RecorderHandle): boolean {
    return this.#x.rec_free(rec) === 0;
  }

  /**
   * Takes one RTP packet of the stream's audio or video track, as its
   * header fields and payload (a 12-byte header is rebuilt in the module's
   * memory, so nothing is allocated).
   * @throws {RangeError} on an unknown handle or a payload over 2036 bytes
   */
  packet(rec: RecorderHandle, p: RtpParts, nowMs: number): PacketOutcome {
    if (this.#input.byteLength === 0) this.#refresh();
    const len = RTP_HEADER + p.payload.length;
    if (len > this.#input.length) {
      throw new RangeError(
        `Cannot record a payload of ${p.payload.length} bytes: the input buffer holds ${this.#input.length}`,
      );
    }
    const v = this.#inputView;
    v.setUint8(0, 0x80);
    v.setUint8(1, p.marker ? 0x80 : 0);
    v.setUint16(2, p.seq);
    v.setUint32(4, p.timestamp >>> 0);
    v.setUint32(8, p.ssrc >>> 0);
    this.#input.set(p.payload, RTP_HEADER);
    const r = this.#x.rec_packet(
      rec,
      p.kind === "video" ? 1 : 0,
      len,
      nowMs >>> 0,
    );
    return OUTCOMES[r] ?? this.#fail(r);
  }

  /** Notes a sender report (NTP↔RTP) of one track. */
  senderReport(rec: RecorderHandle, report: RecorderSenderReport): void {
    const r = this.#x.rec_sender_report(
      rec,
      report.kind === "video" ? 1 : 0,
      Number(report.ntp >> 32n) >>> 0,
      Number(report.ntp & 0xffffffffn) >>> 0,
      report.rtpTimestamp >>> 0,
      report.nowMs >>> 0,
    );
    if (r < 0) this.#fail(r);
  }

  /** Gives up overdue holes; true when a keyframe should be requested. */
  tick(rec: RecorderHandle, nowMs: number): boolean {
    const r = this.#x.rec_tick(rec, nowMs >>> 0);
    return r < 0 ? this.#fail(r) : r === 1;
  }

  /** Writes out everything still buffered and ends the file. */
  close(rec: RecorderHandle, nowMs: number): void {
    const r = this.#x.rec_close(rec, nowMs >>> 0);
    if (r < 0) this.#fail(r);
  }

  /** The pending file writes, in order (copies, safe to keep). */
  *writes(rec: RecorderHandle): Generator<FileWrite> {
    for (;;) {
      const kind = this.#x.rec_next(rec);
      switch (kind) {
        case OP.none:
          return;
        case OP.webm:
          yield { type: "begin", extension: "webm" };
          break;
        case OP.mkv:
          yield { type: "begin", extension: "mkv" };
          break;
        case OP.append:
          yield { type: "append", bytes: this.#opBytes() };
          break;
        case OP.patch:
          yield {
            type: "patch",
            offset: this.#x.rec_op_offset() >>> 0,
            bytes: this.#opBytes(),
          };
          break;
        case OP.end:
          yield { type: "end" };
          break;
        default:
          this.#fail(kind);
      }
    }
  }

  #opBytes(): Uint8Array {
    const ptr = this.#x.rec_op_ptr();
    const len = this.#x.rec_op_len();
    return new Uint8Array(this.#x.memory.buffer, ptr, len).slice();
  }

  // The view is detached when the memory grows; rebuilt lazily.
  #refresh(): void {
    const ptr = this.#x.rec_in_ptr();
    this.#input = new Uint8Array(
      this.#x.memory.buffer,
      ptr,
      this.#x.rec_in_capacity(),
    );
    this.#inputView = new DataView(
      this.#input.buffer,
      this.#input.byteOffset,
      this.#input.byteLength,
    );
  }

  #fail(code: number): never {
    if (code === BAD_HANDLE) {
      throw new RangeError("Cannot use recorder: unknown handle");
    }
    throw new RangeError(`Cannot use recorder: status ${code}`);
  }
}
