/**
 * Keeps a connection's failures its own.
 *
 * Every callback a connection hands to werift or to a timer (werift events,
 * the per-packet RTP interceptor, RTCP handlers, ticks) and every call another
 * connection's loop makes into it runs under the connection's guard. An
 * exception there (a bug, a werift event that throws, a WebAssembly trap in
 * the per-packet pipeline) is logged once with the connection's name and
 * closes that connection, and nothing else. Without the guard, werift drops
 * an exception from its event handlers without a word (the connection goes
 * on, broken, or takes a publisher's subscribers with it), and one from a
 * timer or an unhandled rejection ends the process.
 *
 * @example
 * ```ts
 * const guard = new ConnectionGuard("up s1", { testFaults: {}, log, close });
 * setInterval(guard.wrap("tick", undefined, () => tick()), 500);
 * ```
 *
 * @module
 */

import type { FaultSite, TestFaults } from "./test_faults.ts";

/** Options of {@link ConnectionGuard}. */
export interface ConnectionGuardOptions {
  /** The node's test-only faults, read at every guarded call. */
  testFaults: TestFaults;
  log(message: string): void;
  /** Closes the connection; called once, on a microtask, after a failure. */
  close(): void;
}

// A log line carries at most this much of an error (its stack included).
const MAX_ERROR_CHARS = 600;

/** One connection's guard: see the module comment. */
export class ConnectionGuard {
  /** The connection's name in log lines: `up ID` or `down ID to CLIENT`. */
  readonly name: string;
  readonly #options: ConnectionGuardOptions;
  #failed = false;

  constructor(name: string, options: ConnectionGuardOptions) {
    this.name = name;
    this.#options = options;
  }

  /** True once a guarded call has failed. */
  get failed(): boolean {
    return this.#failed;
  }

  /**
   * Returns `fn` guarded: a throw fails the connection and the call returns
   * `fallback`. Made once per callback, so a guarded per-packet callback
   * allocates nothing per call.
   */
  wrap<T, R>(site: FaultSite, fallback: R, fn: (arg: T) => R): (arg: T) => R {
    return (arg: T): R => {
      try {
        this.inject(site);
        return fn(arg);
      } catch (error) {
        this.fail(site, error);
        return fallback;
      }
    };
  }

  /**
   * Throws the fault a test asked for at `site` of this connection, if any
   * (`TestFaults.throwIn`); at "rtp" it is a real WebAssembly trap.
   */
  inject(site: FaultSite): void {
    const throwIn = this.#options.testFaults.throwIn;
    if (throwIn === undefined || throwIn.get(this.name) !== site) return;
    if (site === "rtp") trap();
    throw new Error(`Injected fault at ${site} of ${this.name}`);
  }

  /** Logs `error` with the connection's name, then closes it. Idempotent. */
  fail(site: FaultSite, error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    const text = error instanceof Error
      ? error.stack ?? `${error.name}: ${error.message}`
      : String(error);
    this.#options.log(
      `${this.name}: ${site} callback failed, closing the connection: ${
        text.slice(0, MAX_ERROR_CHARS)
      }`,
    );
    // Not from inside the callback: werift, or the up connection's loop
    // over its subscribers, is still on the stack.
    queueMicrotask(() => this.#options.close());
  }
}

// (module (func (export "trap") unreachable)): raises what a panic in
// media-wasm raises (panic = "abort"), a WebAssembly.RuntimeError.
const TRAP_MODULE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // magic, version 1
  0x01,
  0x04,
  0x01,
  0x60,
  0x00,
  0x00, // types: () -> ()
  0x03,
  0x02,
  0x01,
  0x00, // functions: one of type 0
  0x07,
  0x08,
  0x01,
  0x04,
  0x74,
  0x72,
  0x61,
  0x70,
  0x00,
  0x00, // export "trap"
  0x0a,
  0x05,
  0x01,
  0x03,
  0x00,
  0x00,
  0x0b, // code: unreachable, end
]);

function trap(): never {
  const instance = new WebAssembly.Instance(
    new WebAssembly.Module(TRAP_MODULE),
  );
  (instance.exports["trap"] as () => void)();
  throw new Error("The trap module did not trap");
}
