/**
 * One receive loop for every libc UDP socket of the process: a single
 * `epoll_wait` parked on a Deno worker thread, then, on the event-loop
 * thread, each ready socket drained with non-blocking `recvmmsg` calls.
 *
 * Why not one blocking receive per socket (the previous design): Deno runs
 * `nonblocking` FFI calls on tokio's blocking pool, capped at ~32 threads.
 * With more sockets than threads, a socket's receive waited in the pool's
 * queue behind others that were parked until their 250 ms timeout; with 50
 * subscribers, ICE failed and p99 latency reached 550 ms. Here at most one
 * thread is parked, whatever the number of sockets, and a datagram waits only
 * for one worker hand-off (tens of µs) plus the event loop's other work.
 *
 * The loop starts with the first socket and stops, closing its epoll
 * instance, when the last one leaves: an idle process (and a finished test)
 * has no pending operation. An `eventfd` wakes the wait at once on that last
 * removal; the timeout is only a safety net.
 *
 * @module
 */
import { Epoll, WAKE_KEY } from "./epoll.ts";

/**
 * What the loop did since its statistics were last taken: how often it
 * woke, and how long it kept the event loop each time (its "turns": a
 * datagram that arrives during a turn waits for the rest of it).
 */
export interface LoopStats {
  /** `epoll_wait` calls that returned. */
  wakes: number;
  /** Ready descriptors handled. */
  ready: number;
  /** Time spent handling them, ms. */
  busyMs: number;
  /** The longest turn, ms. */
  maxTurnMs: number;
  /** Turns longer than 1, 5 and 10 ms. */
  over1Ms: number;
  over5Ms: number;
  over10Ms: number;
}

function emptyStats(): LoopStats {
  return {
    wakes: 0,
    ready: 0,
    busyMs: 0,
    maxTurnMs: 0,
    over1Ms: 0,
    over5Ms: 0,
    over10Ms: 0,
  };
}

/** Drains one ready socket on the event-loop thread; must not block. */
export type ReadyHandler = () => void;

/** Options of {@link ReceiveLoop}. */
export interface ReceiveLoopOptions {
  /** Longest single `epoll_wait`, ms (default 250). */
  timeoutMs?: number;
  /** Where a throwing {@link ReadyHandler}'s error goes; default console.error. */
  onError?: (error: unknown) => void;
}

/** A process-wide set of descriptors read by one `epoll_wait` at a time. */
export class ReceiveLoop {
  #timeoutMs: number;
  #onError: (error: unknown) => void;
  #epoll: Epoll | null = null;
  #ready = new Map<number, ReadyHandler>();
  #nextKey = 1;
  #waiting: Promise<number> | null = null;
  #waits = 0;
  #stats = emptyStats();

  /** @throws RangeError when `timeoutMs` is not a positive integer */
  constructor(options: ReceiveLoopOptions = {}) {
    const t = options.timeoutMs ?? 250;
    if (!Number.isInteger(t) || t <= 0) {
      throw new RangeError(
        `Cannot use epoll timeout ${t}: not a positive integer`,
      );
    }
    this.#timeoutMs = t;
    this.#onError = options.onError ??
      ((e) => console.error("UDP receive handler failed:", e));
  }

  /**
   * The loop of this process, created on first use. Kept on `globalThis`
   * under a registered symbol so that two copies of this module (two import
   * specifiers) still share one loop and one parked thread.
   */
  static shared(): ReceiveLoop {
    const g = globalThis as unknown as Record<symbol, ReceiveLoop | undefined>;
    return (g[SHARED] ??= new ReceiveLoop());
  }

  /** Descriptors registered. */
  get size(): number {
    return this.#ready.size;
  }

  /** True while an `epoll_wait` is pending or its results are being handled. */
  get running(): boolean {
    return this.#waiting !== null;
  }

  /** How many `epoll_wait` calls returned since this loop was made (for tests). */
  get waits(): number {
    return this.#waits;
  }

  /** The statistics since the last call (or since the loop was made), reset. */
  takeStats(): LoopStats {
    const stats = this.#stats;
    this.#stats = emptyStats();
    return stats;
  }

  /**
   * Watches `fd` (non-blocking reads only, please) and calls `onReady` when it
   * has input; returns the key that {@link remove} takes.
   * @throws Error when epoll cannot be created or refuses the descriptor
   */
  add(fd: number, onReady: ReadyHandler): number {
    if (this.#epoll === null) {
      this.#epoll = Epoll.open();
      if (this.#epoll === null) {
        throw new Error("Cannot create epoll instance: libc did not load");
      }
    }
    const key = this.#nextKey;
    // Keys are never reused while u32 lasts, so an event returned for a
    // removed socket cannot reach a new one that got its descriptor number.
    this.#nextKey = key === 0xffffffff ? 1 : key + 1;
    this.#epoll.add(fd, key);
    this.#ready.set(key, onReady);
    if (this.#waiting === null) void this.#run(this.#epoll);
    return key;
  }

  /**
   * Stops watching `fd`; call before closing it. Resolves once the loop has
   * stopped when this was the last descriptor, else at once. Idempotent.
   */
  remove(fd: number, key: number): Promise<void> {
    if (!this.#ready.delete(key)) return Promise.resolve();
    this.#epoll?.remove(fd);
    const waiting = this.#waiting;
    if (this.#ready.size > 0 || waiting === null) return Promise.resolve();
    this.#epoll?.wake();
    // #run awaited this promise first, so its continuation (which closes
    // epoll when no descriptor is left) runs before this one.
    return waiting.then(() => {});
  }

  #count(ready: number, turnMs: number): void {
    const s = this.#stats;
    s.wakes++;
    s.ready += ready;
    s.busyMs += turnMs;
    if (turnMs > s.maxTurnMs) s.maxTurnMs = turnMs;
    if (turnMs > 1) s.over1Ms++;
    if (turnMs > 5) s.over5Ms++;
    if (turnMs > 10) s.over10Ms++;
  }

  async #run(epoll: Epoll): Promise<void> {
    while (this.#ready.size > 0) {
      this.#waiting = epoll.wait(this.#timeoutMs);
      const n = await this.#waiting;
      this.#waits++;
      const start = performance.now();
      for (let i = 0; i < n; i++) {
        const key = epoll.readyKey(i);
        if (key === WAKE_KEY) {
          epoll.clearWake();
          continue;
        }
        const onReady = this.#ready.get(key);
        if (onReady === undefined) continue; // removed since the wait began
        try {
          onReady();
        } catch (error) {
          this.#onError(error);
        }
      }
      this.#count(n, performance.now() - start);
    }
    this.#waiting = null;
    this.#epoll = null;
    epoll.close();
  }
}

const SHARED = Symbol.for("nereid.udpReceiveLoop");
