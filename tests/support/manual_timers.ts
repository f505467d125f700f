/**
 * A clock that moves only when a test says so, with one-shot timers that
 * fire, in order, as it passes them: for code that takes
 * {@link Timers} (server/media/local/track_report.ts), so that a test of a
 * delay is exact and takes no time.
 *
 * @example
 * ```ts
 * const timers = new ManualTimers();
 * const report = new TrackReport(tracks, onTracks, { timers });
 * timers.advance(199); // nothing yet
 * timers.advance(1); // the report
 * ```
 *
 * @module
 */

import type { TimerId, Timers } from "../../server/media/local/track_report.ts";

/** Manual clock and timers; time starts at 0 ms. */
export class ManualTimers implements Timers {
  #now = 0;
  #nextId = 1;
  readonly #pending = new Map<number, { at: number; run: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(run: () => void, ms: number): number {
    const id = this.#nextId++;
    this.#pending.set(id, { at: this.#now + Math.max(0, ms), run });
    return id;
  }

  clearTimeout(id: TimerId | undefined): void {
    if (typeof id === "number") this.#pending.delete(id);
  }

  /** Moves the clock `ms` forward, firing each timer due on the way. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let due: [number, { at: number; run: () => void }] | undefined;
      for (const entry of this.#pending) {
        if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) {
          due = entry;
        }
      }
      if (!due) break;
      this.#pending.delete(due[0]);
      this.#now = due[1].at;
      due[1].run();
    }
    this.#now = end;
  }
}
