/**
 * One negotiation at a time for one stream, and ICE restarts spaced out
 * after failures. A path that fails at once (a server whose every check is
 * refused) would otherwise make the client offer again as fast as the
 * answers come back: dozens of offers a second, answers that arrive for an
 * offer already replaced, and no chance for anything to recover.
 *
 * A restart asked for while a negotiation is under way waits for its end;
 * restarts after failures wait {@link RESTART_DELAYS_MS} (growing, reset
 * once ICE connects); a restart the user asks for goes at once. Timers are
 * injected, so the schedule is tested without waiting.
 *
 * @module
 */

/**
 * Delays before the ICE restarts after consecutive failures, in ms; the
 * last one repeats. The first is short, as a blip (a network change) is
 * the common case; then patient, as a reconnection is (app.ts).
 */
export const RESTART_DELAYS_MS: readonly number[] = [
  500,
  1000,
  2000,
  4000,
  8000,
  15000,
  30000,
];

/**
 * How long a negotiation may wait for the other side (our offer's answer,
 * or the server's offer we asked for) before it counts as failed.
 */
export const NEGOTIATION_TIMEOUT_MS = 10_000;

/** Timer functions (globalThis's by default; tests pass a fake clock). */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Options of {@link Renegotiator}. */
export interface RenegotiatorOptions {
  /**
   * Starts a negotiation: an ICE-restart offer, or asking the server for
   * one. The stream calls {@link Renegotiator.done} once it is over.
   */
  start: () => Promise<void>;
  /** A restart's `start` failed (the negotiation counts as over). */
  onError: (error: unknown) => void;
  delays?: readonly number[];
  timeoutMs?: number;
  timers?: Timers;
}

const GLOBAL_TIMERS: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** The negotiations of one stream. */
export class Renegotiator {
  readonly #start: () => Promise<void>;
  readonly #onError: (error: unknown) => void;
  readonly #delays: readonly number[];
  readonly #timeoutMs: number;
  readonly #timers: Timers;
  #busy = false;
  /** Another negotiation is wanted once the current one is over. */
  #queued = false;
  /** A restart waiting out its delay. */
  #backoff: unknown = null;
  #watchdog: unknown = null;
  #failures = 0;
  #closed = false;

  constructor(options: RenegotiatorOptions) {
    this.#start = options.start;
    this.#onError = options.onError;
    this.#delays = options.delays ?? RESTART_DELAYS_MS;
    this.#timeoutMs = options.timeoutMs ?? NEGOTIATION_TIMEOUT_MS;
    this.#timers = options.timers ?? GLOBAL_TIMERS;
  }

  /** True while a negotiation waits for the other side. */
  get busy(): boolean {
    return this.#busy;
  }

  /** True while a restart is scheduled or queued. */
  get pending(): boolean {
    return this.#backoff !== null || this.#queued;
  }

  /**
   * Negotiates now, or right after the negotiation under way: the first
   * offer, or a restart the user asked for (no delay). Rejects as `start`
   * does; resolves at once when queued.
   */
  negotiate(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#backoff !== null) {
      this.#timers.clear(this.#backoff);
      this.#backoff = null;
    }
    return this.#run();
  }

  /** The negotiation under way is over (its answer is applied). */
  done(): void {
    if (!this.#busy) return;
    this.#busy = false;
    this.#clearWatchdog();
    if (this.#queued) {
      this.#queued = false;
      this.#run().catch(this.#onError);
    }
  }

  /**
   * ICE failed (or the server says it did): restart after the next delay.
   * Failures while a restart is pending add nothing.
   */
  failed(): void {
    if (this.#closed || this.pending) return;
    const delay =
      this.#delays[Math.min(this.#failures, this.#delays.length - 1)] ??
        0;
    this.#failures++;
    this.#backoff = this.#timers.set(() => {
      this.#backoff = null;
      this.#run().catch(this.#onError);
    }, delay);
  }

  /** ICE connected: the next failure starts from the shortest delay. */
  connected(): void {
    this.#failures = 0;
  }

  /** Cancels everything; idempotent. */
  close(): void {
    this.#closed = true;
    this.#queued = false;
    if (this.#backoff !== null) this.#timers.clear(this.#backoff);
    this.#backoff = null;
    this.#clearWatchdog();
  }

  #run(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#busy) {
      this.#queued = true;
      return Promise.resolve();
    }
    this.#busy = true;
    this.#watchdog = this.#timers.set(() => {
      // The other side never answered: try again, spaced as a failure.
      this.#watchdog = null;
      this.#busy = false;
      this.#queued = false;
      this.failed();
    }, this.#timeoutMs);
    let started: Promise<void>;
    try {
      started = this.#start();
    } catch (e) {
      started = Promise.reject(e);
    }
    started.catch(() => this.done());
    return started;
  }

  #clearWatchdog(): void {
    if (this.#watchdog !== null) this.#timers.clear(this.#watchdog);
    this.#watchdog = null;
  }
}
