/**
 * The UDP ports of `-udp-range`, handed out one socket at a time.
 *
 * Each bind tries the port after the last one tried, then the next, once
 * around the range: a port in use (by another connection, another process,
 * or the IPv6 socket of the same connection) is skipped, never an error.
 * Binding is the test of whether a port is free, so two sockets bound at the
 * same moment cannot both be handed the same port, as a probe-then-bind
 * would (werift 0.24.4's `findPort` probes, closes, then binds, and its
 * socket has no error handler: a lost race ended the process). Starting
 * after the last port rather than at the bottom keeps a port just released
 * from being bound again at once, while late datagrams of its old connection
 * may still arrive, and makes a bind one attempt in the usual case.
 *
 * @example
 * ```ts
 * const range = new PortRange(43000, 43999);
 * const socket = await range.bind("IPv4", (port) => openSocket(port));
 * ```
 *
 * @module
 */

/** A range of UDP ports with a cursor; see the module comment. */
export class PortRange {
  readonly low: number;
  readonly high: number;
  #next: number;

  /** @throws RangeError unless 1 ≤ low ≤ high ≤ 65535, both integers */
  constructor(low: number, high: number) {
    if (
      !Number.isInteger(low) || !Number.isInteger(high) || low < 1 ||
      high > 65535 || low > high
    ) {
      throw new RangeError(`Cannot use UDP port range ${low}-${high}`);
    }
    this.low = low;
    this.high = high;
    this.#next = low;
  }

  /** Number of ports in the range. */
  get size(): number {
    return this.high - this.low + 1;
  }

  toString(): string {
    return `${this.low}-${this.high}`;
  }

  /**
   * Calls `open` with the ports of the range in turn, from the one after the
   * last tried, until one does not throw `Deno.errors.AddrInUse`; `what`
   * names the sockets in the error (`IPv4`).
   * @throws Deno.errors.AddrInUse when every port of the range is in use
   * @throws whatever else `open` throws (the address itself cannot be bound)
   */
  async bind<T>(
    what: string,
    open: (port: number) => Promise<T>,
  ): Promise<T> {
    for (let tried = 0; tried < this.size; tried++) {
      // Advanced before the await: concurrent binds start on different ports.
      const port = this.#next;
      this.#next = port === this.high ? this.low : port + 1;
      try {
        return await open(port);
      } catch (e) {
        if (!(e instanceof Deno.errors.AddrInUse)) throw e;
      }
    }
    throw new Deno.errors.AddrInUse(
      `No free UDP port in ${this} for ${what}`,
    );
  }
}
