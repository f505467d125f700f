/**
 * Active speaker choice from audio levels: the loudest stream above a
 * threshold, held for a moment so the highlight does not flicker between
 * words.
 *
 * @module
 */

/** Options of {@link SpeakerDetector}. */
export interface SpeakerOptions {
  /** Level (0…1, as getStats' audioLevel) that counts as speech. */
  threshold?: number;
  /** How long a speaker keeps the highlight after falling silent (ms). */
  holdMs?: number;
}

/** Tracks who speaks; feed it levels, read the speaker. */
export class SpeakerDetector {
  readonly #threshold: number;
  readonly #holdMs: number;
  #speaker: string | null = null;
  #lastHeard = 0;

  constructor(options: SpeakerOptions = {}) {
    // audioLevel is linear: 0.02 is about -34 dBov, above room noise from a
    // laptop microphone with noise suppression, below quiet speech.
    this.#threshold = options.threshold ?? 0.02;
    this.#holdMs = options.holdMs ?? 1500;
  }

  /** The current speaker's stream id, or null. */
  get speaker(): string | null {
    return this.#speaker;
  }

  /** Takes one sample of levels by stream id; returns the speaker. */
  update(levels: ReadonlyMap<string, number>, now: number): string | null {
    let loudest: string | null = null;
    let max = this.#threshold;
    for (const [id, level] of levels) {
      if (level >= max) {
        max = level;
        loudest = id;
      }
    }
    if (loudest !== null) {
      // Keep the current speaker if still speaking: no ping-pong on overlap.
      const current = this.#speaker;
      const keep = current !== null &&
        (levels.get(current) ?? 0) >= this.#threshold;
      this.#speaker = keep ? current : loudest;
      this.#lastHeard = now;
    } else if (this.#speaker !== null && now - this.#lastHeard > this.#holdMs) {
      this.#speaker = null;
    }
    if (this.#speaker !== null && !levels.has(this.#speaker)) {
      this.#speaker = null;
    }
    return this.#speaker;
  }
}
