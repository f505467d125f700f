/**
 * The recording of one published stream, on the media node that carries
 * it: a media tap feeding a recorder in media-wasm, whose file writes go to
 * disk in order.
 *
 * @module
 */

import type {
  RecorderHandle,
  RecordingWasm,
} from "../../media-wasm/recording.ts";
import type { UpTrackInfo } from "../media/media_node.ts";
import type {
  MediaTap,
  TapOptions,
  TapPacket,
  TapSenderReport,
} from "../media/media_tap.ts";
import { RecordingFiles } from "./recording_files.ts";
import { recordingBaseName } from "./recording_names.ts";

/** How often holes are given up, keyframes asked for and writes flushed (ms). */
export const TICK_MS = 250;

const VIDEO_CODECS = ["vp8", "vp9", "h264"];

/** The tracks chosen for a stream, and why others were left out. */
export interface TrackChoice {
  video?: string;
  audio?: string;
  /** Human-readable reasons, for a warning to operators. */
  skipped: string[];
}

// Simulcast: the full layer first (Galène prefers the non-`l` track).
function rank(rid: string | undefined): number {
  if (rid === undefined || rid === "h" || rid === "f") return 0;
  return rid === "l" || rid === "q" ? 2 : 1;
}

/** Chooses what of a stream can be recorded: one video track and one Opus track. */
export function chooseTracks(tracks: readonly UpTrackInfo[]): TrackChoice {
  const choice: TrackChoice = { skipped: [] };
  const videos = tracks.filter((t) => t.kind === "video")
    .sort((a, b) => rank(a.rid) - rank(b.rid));
  for (const t of videos) {
    if (VIDEO_CODECS.includes(t.codec)) {
      choice.video ??= t.codec;
    } else {
      choice.skipped.push(
        `Cannot record ${t.codec.toUpperCase()} video: only VP8, VP9 and H.264 can be recorded`,
      );
    }
  }
  for (const t of tracks.filter((t) => t.kind === "audio")) {
    if (t.codec === "opus") choice.audio ??= "opus";
    else {
      choice.skipped.push(
        `Cannot record ${t.codec} audio: only Opus can be recorded`,
      );
    }
  }
  if (choice.video !== undefined) {
    choice.skipped = choice.skipped.filter((s) => !s.includes("video"));
  }
  return choice;
}

/** Options of {@link StreamRecorder.start}. */
export interface StreamRecorderOptions {
  wasm: RecordingWasm;
  /** Opens a tap on an up connection of this node; throws when it is gone. */
  openTap(options: TapOptions): MediaTap;
  /** The up connection to record. */
  upId: string;
  tracks: readonly UpTrackInfo[];
  /** The group's recordings folder. */
  directory: string;
  /** The publisher's username, for the file name. */
  username?: string | undefined;
  log(message: string): void;
  /** Wall clock for file names (tests pin it). */
  clock?: () => Date;
  /** The up connection closed under the recorder (the file is complete). */
  onEnded?: () => void;
}

/** Records one stream until closed. */
export class StreamRecorder {
  readonly upId: string;
  readonly choice: TrackChoice;
  readonly #options: StreamRecorderOptions;
  readonly #wasm: RecordingWasm;
  readonly #rec: RecorderHandle;
  readonly #files: RecordingFiles;
  readonly #tap: MediaTap;
  readonly #timer: ReturnType<typeof setInterval>;
  #videoTrack = -1;
  #videoRank = 99;
  #audioTrack = -1;
  #failures = 0;
  #closing: Promise<void> | undefined;

  private constructor(options: StreamRecorderOptions, choice: TrackChoice) {
    this.upId = options.upId;
    this.choice = choice;
    this.#options = options;
    this.#wasm = options.wasm;
    const clock = options.clock ?? (() => new Date());
    this.#rec = options.wasm.create({
      ...(choice.video ? { video: choice.video } : {}),
      ...(choice.audio ? { audio: choice.audio } : {}),
      nowMs: performance.now(),
    });
    this.#files = new RecordingFiles({
      directory: options.directory,
      baseName: () => recordingBaseName(clock(), options.username),
      log: options.log,
    });
    try {
      this.#tap = options.openTap({
        upId: options.upId,
        onPacket: this.#onPacket,
        onSenderReport: this.#onSenderReport,
        onClose: () => {
          this.close().then(() => options.onEnded?.());
        },
      });
    } catch (e) {
      options.wasm.free(this.#rec);
      throw e;
    }
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
  }

  /**
   * Starts recording a stream.
   * @throws {RangeError} when no track can be recorded ("no usable tracks
   * found", or the codec named) or the up connection is gone
   */
  static start(options: StreamRecorderOptions): StreamRecorder {
    const choice = chooseTracks(options.tracks);
    if (choice.video === undefined && choice.audio === undefined) {
      throw new RangeError(choice.skipped[0] ?? "no usable tracks found");
    }
    return new StreamRecorder(options, choice);
  }

  /** Every file written so far. */
  get paths(): readonly string[] {
    return this.#files.paths;
  }

  /** Ends the file and resolves once it is on disk; idempotent. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    clearInterval(this.#timer);
    this.#tap.close();
    this.#wasm.close(this.#rec, performance.now());
    this.#files.enqueue(this.#wasm.writes(this.#rec));
    this.#wasm.free(this.#rec);
    this.#closing = this.#files.flushed();
    return this.#closing;
  }

  readonly #onPacket = (p: TapPacket): void => {
    if (this.#closing) return;
    if (p.kind === "video") {
      if (p.codec !== this.choice.video) return;
      const r = rank(p.rid);
      if (r < this.#videoRank) {
        this.#videoRank = r;
        this.#videoTrack = p.track;
      }
      if (p.track !== this.#videoTrack) return;
    } else {
      if (p.codec !== this.choice.audio) return;
      if (this.#audioTrack < 0) this.#audioTrack = p.track;
      if (p.track !== this.#audioTrack) return;
    }
    try {
      this.#wasm.packet(this.#rec, p, p.arrival);
    } catch (e) {
      // A bad packet never stops the recording; say so once in a while.
      if (this.#failures++ % 1000 === 0) {
        this.#options.log(`recording ${this.upId}: ${e}`);
      }
    }
  };

  readonly #onSenderReport = (r: TapSenderReport): void => {
    if (this.#closing) return;
    const chosen = r.kind === "video" ? this.#videoTrack : this.#audioTrack;
    if (r.track !== chosen) return;
    this.#wasm.senderReport(this.#rec, {
      kind: r.kind,
      ntp: r.ntp,
      rtpTimestamp: r.rtpTimestamp,
      nowMs: r.arrival,
    });
  };

  #tick(): void {
    if (this.#closing) return;
    if (this.#wasm.tick(this.#rec, performance.now())) {
      this.#tap.requestKeyframe();
    }
    this.#files.enqueue(this.#wasm.writes(this.#rec));
  }
}
