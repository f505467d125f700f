/**
 * One timer for many periodic callbacks: the media node's up connections
 * each run a tick every 500 ms (keyframe requests, sender reports, layer
 * choice, REMB and receiver reports), and with one `setInterval` each, a
 * node with P publishers woke 2·P times a second. A {@link Ticker} wakes
 * twice a second whatever P, and not at all while nothing is registered.
 *
 * @example
 * ```ts
 * const ticker = new Ticker(500);
 * const stop = ticker.add(() => console.log("tick"));
 * stop(); // the last one gone, the timer is cleared
 * ```
 *
 * @module
 */

/** Timer functions, injectable for tests. */
export interface TimerApi {
  setInterval(fn: () => void, ms: number): number;
  clearInterval(id: number): void;
}

/** Calls every registered callback from one interval timer. */
export class Ticker {
  readonly #ms: number;
  readonly #timers: TimerApi;
  #callbacks: (() => void)[] = [];
  #timer: number | undefined;

  constructor(ms: number, timers: TimerApi = globalThis) {
    this.#ms = ms;
    this.#timers = timers;
  }

  /** Callbacks registered. */
  get size(): number {
    return this.#callbacks.length;
  }

  /** True while the timer runs (something is registered). */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /**
   * Calls `fn` every period from now on, in registration order with the
   * others; `fn` must not throw (wrap it in its connection's guard). Returns
   * the function that removes it (idempotent).
   */
  add(fn: () => void): () => void {
    this.#callbacks = [...this.#callbacks, fn];
    this.#timer ??= this.#timers.setInterval(this.#run, this.#ms);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.#callbacks = this.#callbacks.filter((f) => f !== fn);
      if (this.#callbacks.length === 0 && this.#timer !== undefined) {
        this.#timers.clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  // The array is replaced, never changed, so a callback may add or remove.
  readonly #run = (): void => {
    for (const fn of this.#callbacks) fn();
  };
}
