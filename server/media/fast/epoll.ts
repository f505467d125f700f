/**
 * A Linux `epoll` instance with an `eventfd` to wake it, over libc FFI: the
 * readiness source of {@link ReceiveLoop} (`receive_loop.ts`).
 *
 * `wait` is the only `nonblocking` FFI call (it runs on a Deno worker thread);
 * `add`, `remove` and `wake` are plain system calls on the event-loop thread,
 * which the kernel allows while another thread is inside `epoll_wait`.
 *
 * @module
 */
import { LIBC_PATHS, openFirst } from "./dynamic_library.ts";

const SYMBOLS = {
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: {
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>;

// sys/epoll.h, sys/eventfd.h (O_CLOEXEC and O_NONBLOCK values).
const EPOLL_CLOEXEC = 0o2000000, EFD_NONBLOCK = 0o4000;
const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLLIN = 1;

// struct epoll_event is packed on x86-64 (u32 events, u64 data: 12 bytes)
// and naturally aligned elsewhere (16 bytes, data at 8).
const PACKED = Deno.build.arch === "x86_64";
const EVENT = PACKED ? 12 : 16, DATA = PACKED ? 4 : 8;

/** The key {@link Epoll.readyKey} reports for a {@link Epoll.wake}. */
export const WAKE_KEY = 0;

/** An epoll instance whose ready descriptors are named by u32 keys (0 is the wake-up). */
export class Epoll {
  #lib: Libc;
  #epfd: number;
  #wakefd: number;
  #events: Uint8Array;
  #view: DataView;
  #ctl = new Uint8Array(16);
  #ctlView = new DataView(this.#ctl.buffer);
  #one = new BigUint64Array([1n]);
  #drained = new BigUint64Array(1);
  #closed = false;

  private constructor(lib: Libc, fds: { epfd: number; wakefd: number }) {
    this.#lib = lib;
    this.#epfd = fds.epfd;
    this.#wakefd = fds.wakefd;
    // Filled by the kernel from a worker thread: an ArrayBuffer's backing
    // store never moves, and this object keeps it alive during the call.
    this.#events = new Uint8Array(EVENT * 256);
    this.#view = new DataView(this.#events.buffer);
  }

  /**
   * Creates an epoll instance and its eventfd, or returns null when libc
   * cannot be loaded (no FFI permission, not Linux).
   * @throws Error when the kernel refuses either descriptor (names errno)
   */
  static open(): Epoll | null {
    const lib = openFirst(LIBC_PATHS, SYMBOLS);
    if (lib === null) return null;
    const s = lib.symbols;
    const epfd = s.epoll_create1(EPOLL_CLOEXEC);
    const wakefd = epfd < 0 ? -1 : s.eventfd(0, EPOLL_CLOEXEC | EFD_NONBLOCK);
    if (wakefd < 0) {
      const e = errno(lib);
      if (epfd >= 0) s.close(epfd);
      lib.close();
      throw new Error(`Cannot create epoll instance: errno ${e}`);
    }
    const ep = new Epoll(lib, { epfd, wakefd });
    ep.add(wakefd, WAKE_KEY);
    return ep;
  }

  /** Most events one {@link wait} reports; level triggering reports the rest next time. */
  get capacity(): number {
    return this.#events.length / EVENT;
  }

  /**
   * Watches `fd` for input, level-triggered, reported under `key`.
   * @throws Error when epoll_ctl fails (names the descriptor and errno)
   */
  add(fd: number, key: number): void {
    this.#ctlView.setUint32(0, EPOLLIN, true);
    this.#ctlView.setBigUint64(DATA, BigInt(key >>> 0), true);
    if (this.#lib.symbols.epoll_ctl(this.#epfd, EPOLL_CTL_ADD, fd, this.#ctl)) {
      throw new Error(
        `Cannot watch descriptor ${fd} with epoll: errno ${errno(this.#lib)}`,
      );
    }
  }

  /** Stops watching `fd`; events already returned by a wait may still name its key. */
  remove(fd: number): void {
    this.#lib.symbols.epoll_ctl(this.#epfd, EPOLL_CTL_DEL, fd, this.#ctl);
  }

  /**
   * Waits off the event loop for up to `timeoutMs`; resolves with how many
   * events {@link readyKey} can read (0 on timeout or EINTR). One at a time.
   */
  wait(timeoutMs: number): Promise<number> {
    return this.#lib.symbols.epoll_wait(
      this.#epfd,
      this.#events,
      this.capacity,
      timeoutMs,
    );
  }

  /** The key of the i-th event of the last wait. */
  readyKey(i: number): number {
    return this.#view.getUint32(i * EVENT + DATA, true);
  }

  /** Makes a pending or the next {@link wait} return at once. */
  wake(): void {
    this.#lib.symbols.write(this.#wakefd, this.#one, 8n);
  }

  /** Resets the wake-up after a wait reported {@link WAKE_KEY}. */
  clearWake(): void {
    this.#lib.symbols.read(this.#wakefd, this.#drained, 8n);
  }

  /** Closes both descriptors and unloads libc; only when no wait is pending. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#lib.symbols.close(this.#wakefd);
    this.#lib.symbols.close(this.#epfd);
    this.#lib.close();
  }
}

function errno(lib: Libc): number {
  const p = lib.symbols.__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}
