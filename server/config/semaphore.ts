/**
 * A counting semaphore, used to bound how many password hashes run at once.
 *
 * @module
 */

/**
 * Runs at most `limit` tasks at a time; the others wait in FIFO order.
 *
 * @example
 * ```ts
 * const hashing = new Semaphore(2);
 * const digest = await hashing.run(() => crypto.subtle.digest("SHA-256", data));
 * ```
 */
export class Semaphore {
  #limit: number;
  #active = 0;
  #waiting: Array<() => void> = [];

  /**
   * Creates a semaphore admitting `limit` concurrent tasks.
   *
   * @throws {RangeError} When `limit` is not a positive integer.
   */
  constructor(limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) {
      throw new RangeError(
        `Semaphore limit must be a positive integer, got ${limit}`,
      );
    }
    this.#limit = limit;
  }

  /** Number of tasks currently running. */
  get active(): number {
    return this.#active;
  }

  /** Number of tasks waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `task` once a slot is free and releases the slot when it settles. */
  async run<T>(task: () => Promise<T> | T): Promise<T> {
    await this.#acquire();
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(): Promise<void> {
    if (this.#active < this.#limit) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    // The slot passes straight to the next waiter, so #active is unchanged.
    if (next) next();
    else this.#active--;
  }
}
