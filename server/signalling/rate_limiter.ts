/**
 * A token bucket: how many messages (or bytes) a client may send in a burst
 * and how fast the allowance comes back. Pure: the caller passes the clock.
 *
 * @module
 */

/** A token bucket over a caller-supplied clock in milliseconds. */
export class RateLimiter {
  readonly #capacity: number;
  readonly #perSecond: number;
  #tokens: number;
  #last: number;

  constructor(options: { capacity: number; perSecond: number }, now: number) {
    if (!(options.capacity > 0) || !(options.perSecond > 0)) {
      throw new RangeError("A rate limiter needs a positive capacity and rate");
    }
    this.#capacity = options.capacity;
    this.#perSecond = options.perSecond;
    this.#tokens = options.capacity;
    this.#last = now;
  }

  /** Takes `amount` tokens (default one); false when fewer are left. */
  take(now: number, amount = 1): boolean {
    const elapsed = Math.max(0, now - this.#last) / 1000;
    this.#last = now;
    this.#tokens = Math.min(
      this.#capacity,
      this.#tokens + elapsed * this.#perSecond,
    );
    if (this.#tokens < amount) return false;
    this.#tokens -= amount;
    return true;
  }
}
