/**
 * When an up connection tells signalling about its tracks: once every track
 * its offer announced has started (or after a bounded wait), then again on
 * each change. Subscribers then get one offer with every track rather than
 * an offer followed by a renegotiation per late track.
 *
 * @module
 */

import type { UpTrackInfo } from "../media_node.ts";

// Debounce of a report: lets every track of an offer arrive first.
const DEBOUNCE_MS = 200;
// Until every announced track has sent its first packet, the report waits,
// at most this long after the first one.
const MAX_WAIT_MS = 2000;

/** How many tracks an offer announces: one per sending m-line or rid. */
export function announcedTracks(sdp: string): number {
  let n = 0;
  for (const section of sdp.split(/\r?\nm=/).slice(1)) {
    if (/^\S+ 0 /.test(section)) continue; // rejected m-line
    if (/\r?\na=(inactive|recvonly)\b/.test(section)) continue;
    const rids = section.match(/\r?\na=rid:\S+ send\b/g)?.length ?? 0;
    n += Math.max(1, rids);
  }
  return n;
}

/** What {@link Timers.setTimeout} returns: the runtime's, or a test's number. */
export type TimerId = ReturnType<typeof setTimeout> | number;

/** A clock and one-shot timers, in ms; tests pass a manual one. */
export interface Timers {
  now(): number;
  setTimeout(run: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId | undefined): void;
}

/** The process's own clock and timers. */
export const SYSTEM_TIMERS: Timers = {
  now: () => performance.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (id) => clearTimeout(id),
};

/** Debounced reports of one up connection's live tracks. */
export class TrackReport {
  readonly #tracks: () => readonly UpTrackInfo[];
  readonly #onTracks: (tracks: readonly UpTrackInfo[]) => void;
  readonly #timers: Timers;
  #announced = 0;
  #firstAt = -1;
  #timer: TimerId | undefined;
  #reported: string | undefined;
  #closed = false;

  /**
   * @param tracks the connection's live tracks now
   * @param onTracks called with them when they are reported
   * @param options.timers the clock and timers (default {@link SYSTEM_TIMERS})
   */
  constructor(
    tracks: () => readonly UpTrackInfo[],
    onTracks: (tracks: readonly UpTrackInfo[]) => void,
    options: { timers?: Timers } = {},
  ) {
    this.#tracks = tracks;
    this.#onTracks = onTracks;
    this.#timers = options.timers ?? SYSTEM_TIMERS;
  }

  /** Notes how many tracks the latest offer announces. */
  announce(sdp: string): void {
    this.#announced = announcedTracks(sdp);
  }

  /** A track received its first packet: schedules a report. */
  trackStarted(): void {
    if (this.#closed) return;
    this.#timers.clearTimeout(this.#timer);
    const now = this.#timers.now();
    if (this.#firstAt < 0) this.#firstAt = now;
    const complete = this.#tracks().length >= this.#announced;
    const delay = complete
      ? DEBOUNCE_MS
      : Math.max(DEBOUNCE_MS, this.#firstAt + MAX_WAIT_MS - now);
    this.#timer = this.#timers.setTimeout(() => this.#report(), delay);
  }

  /** Cancels a pending report. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#timers.clearTimeout(this.#timer);
  }

  #report(): void {
    this.#timer = undefined;
    const tracks = this.#tracks();
    const key = JSON.stringify(tracks);
    if (this.#closed || key === this.#reported) return;
    this.#reported = key;
    this.#onTracks(tracks);
  }
}
