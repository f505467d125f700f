/**
 * An IPv4 UDP socket owned through libc FFI, for the two calls Deno does not
 * offer: `sendmmsg` (many datagrams per system call) and `recvmmsg`. Deno
 * hides the descriptors of its own sockets, so this module owns its socket.
 *
 * Receiving: `receive` is one `recvmmsg(MSG_DONTWAIT)` on the event-loop
 * thread (~1 µs); the caller learns when to call it from the process's one
 * `epoll` loop (`receive_loop.ts`, through {@link LibcUdpSocket.fd}), so no
 * thread is parked per socket. Sending: `sendmmsg(MSG_DONTWAIT)` from the
 * event-loop thread; a full send buffer drops the rest of the batch (UDP).
 *
 * Memory: one arena per direction (≥ 64 KiB, so V8 keeps it off-heap and its
 * address is stable); struct pointers inside it are written once, and per
 * packet only lengths, ports and addresses change. The receive arena is
 * shared by every socket of the process with the same batch and slot sizes
 * (a receive's datagrams are read before the next receive, of any socket:
 * every call is synchronous on the event-loop thread). A socket's send arena
 * is made at its first send, for {@link SMALL_BATCH} datagrams, and for
 * {@link SEND_BATCH} once one fills: most of werift's sockets (one per local
 * candidate) only ever send STUN. A socket that sends media has its own
 * arena (34 KiB); with 50 subscribers one pair of 68 KiB per socket was
 * ~35 MiB, and a send batch of 32 cost another 1.7 MiB for nothing: the
 * loop flushes a subscriber's socket every millisecond of work, and its
 * batches average 2 to 12 datagrams.
 * libc is loaded once for all sockets, and unloaded with the last.
 *
 * @module
 */
import { LIBC_PATHS, openFirst } from "./dynamic_library.ts";

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  setsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
  },
  getsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  sendmmsg: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  recvmmsg: {
    parameters: ["i32", "buffer", "u32", "i32", "pointer"],
    result: "i32",
  },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

// Linux constants (asm-generic/socket.h, bits/socket.h, errno.h).
const AF_INET = 2, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1, SO_SNDBUF = 7, SO_RCVBUF = 8;
const SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33;
const MSG_DONTWAIT = 0x40, EAGAIN = 11, EADDRINUSE = 98;

// struct mmsghdr on LP64: msghdr (56 bytes) + msg_len, padded to 64.
const MMSG = 64, IOV = 16, NAME = 16;

/** Datagrams a socket's first send arena holds (STUN, DTLS, a few packets). */
export const SMALL_BATCH = 4;
/** Datagrams a media socket's send arena holds, per `sendmmsg` at most. */
export const SEND_BATCH = 16;

/** Options of {@link LibcUdpSocket.open}. */
export interface LibcUdpSocketOptions {
  /** IPv4 address to bind, e.g. "127.0.0.1" or "0.0.0.0". */
  address: string;
  port?: number;
  /** Datagrams per receive call (default 32); a send takes at most {@link SEND_BATCH}. */
  batch?: number;
  /** Largest datagram, bytes (default 2048). */
  slotBytes?: number;
  /** SO_RCVBUF / SO_SNDBUF request (default 4 MiB; Deno's own sockets use 64 KiB). */
  bufferBytes?: number;
}

/** Parses dotted-quad IPv4 into a u32, or -1. */
export function parseIpv4(address: string): number {
  const parts = address.split(".");
  if (parts.length !== 4) return -1;
  let v = 0;
  for (const p of parts) {
    const n = Number(p);
    if (p === "" || !Number.isInteger(n) || n < 0 || n > 255) return -1;
    v = v * 256 + n;
  }
  return v;
}

/** Formats a u32 IPv4 address. */
export function formatIpv4(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

class Arena {
  bytes: Uint8Array;
  view: DataView;
  data: number;
  /** Datagrams it holds. */
  batch: number;

  constructor(batch: number, slot: number) {
    this.batch = batch;
    this.data = batch * (MMSG + IOV + NAME);
    // Off the V8 heap (any typed array over 64 bytes is), so that the
    // addresses written below stay valid.
    this.bytes = new Uint8Array(this.data + batch * slot);
    this.view = new DataView(this.bytes.buffer);
    const base = BigInt(
      Deno.UnsafePointer.value(Deno.UnsafePointer.of(this.bytes)),
    );
    for (let i = 0; i < batch; i++) {
      const m = i * MMSG,
        iov = batch * MMSG + i * IOV,
        name = batch * (MMSG + IOV) + i * NAME;
      this.view.setBigUint64(m, base + BigInt(name), true);
      this.view.setUint32(m + 8, NAME, true);
      this.view.setBigUint64(m + 16, base + BigInt(iov), true);
      this.view.setBigUint64(m + 24, 1n, true);
      this.view.setBigUint64(iov, base + BigInt(this.data + i * slot), true);
      this.view.setBigUint64(iov + 8, BigInt(slot), true);
    }
  }
}

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>;

// What the process's sockets share: libc, and the receive arenas.
let shared: {
  lib: Libc;
  sockets: number;
  rx: Map<string, Arena>;
} | null = null;

function acquireLibc(): Libc | null {
  if (shared === null) {
    const lib = openFirst(LIBC_PATHS, SYMBOLS);
    if (lib === null) return null;
    shared = { lib, sockets: 0, rx: new Map() };
  }
  shared.sockets++;
  return shared.lib;
}

function releaseLibc(): void {
  if (shared === null || --shared.sockets > 0) return;
  shared.lib.close();
  shared = null;
}

function sharedRxArena(batch: number, slot: number): Arena {
  const key = `${batch}/${slot}`;
  let arena = shared!.rx.get(key);
  if (arena === undefined) {
    arena = new Arena(batch, slot);
    shared!.rx.set(key, arena);
  }
  return arena;
}

/** A UDP socket on libc; IPv4 only. */
export class LibcUdpSocket {
  #lib: Libc;
  #fd: number;
  #batch: number;
  #slot: number;
  #tx: Arena | null = null;
  #rx: Arena;
  #queued = 0;
  #dropped = 0;
  #closed = false;
  #port: number;
  #rcvbuf: number;
  #sndbuf: number;

  private constructor(
    lib: Deno.DynamicLibrary<typeof SYMBOLS>,
    fd: number,
    options: { batch: number; slot: number },
  ) {
    this.#lib = lib;
    this.#fd = fd;
    this.#batch = options.batch;
    this.#slot = options.slot;
    this.#rx = sharedRxArena(options.batch, options.slot);
    const name = new Uint8Array(16), len = new Uint32Array([16]);
    lib.symbols.getsockname(fd, name, len);
    this.#port = (name[2]! << 8) | name[3]!;
    this.#rcvbuf = this.#getInt(SO_RCVBUF);
    this.#sndbuf = this.#getInt(SO_SNDBUF);
  }

  /**
   * Opens and binds a socket, or returns null when libc cannot be loaded (no
   * FFI permission, not Linux) so the caller falls back to `node:dgram`.
   * @throws Deno.errors.AddrInUse when the port is taken on that address
   * @throws Error when the socket cannot be created or bound (names errno)
   */
  static open(options: LibcUdpSocketOptions): LibcUdpSocket | null {
    const ip = parseIpv4(options.address);
    if (ip < 0) {
      throw new TypeError(
        `Cannot bind UDP socket to "${options.address}": not an IPv4 address`,
      );
    }
    const lib = acquireLibc();
    if (lib === null) return null;
    const s = lib.symbols;
    const fd = s.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      const e = errno(lib);
      releaseLibc();
      throw new Error(`Cannot create UDP socket: errno ${e}`);
    }
    const bytes = options.bufferBytes ?? 4 * 1024 * 1024;
    const opt = new Int32Array([bytes]);
    // The FORCE variants pass net.core.rmem_max when we hold CAP_NET_ADMIN.
    if (s.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, opt, 4) !== 0) {
      s.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, opt, 4);
    }
    if (s.setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, opt, 4) !== 0) {
      s.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, opt, 4);
    }
    const addr = new Uint8Array(16);
    writeSockaddr(addr, 0, ip, options.port ?? 0);
    if (s.bind(fd, addr, 16) !== 0) {
      const e = errno(lib);
      s.close(fd);
      releaseLibc();
      const where = `${options.address}:${options.port ?? 0}`;
      if (e === EADDRINUSE) {
        throw new Deno.errors.AddrInUse(
          `Cannot bind UDP socket to ${where}: the address is in use`,
        );
      }
      throw new Error(`Cannot bind UDP socket to ${where}: errno ${e}`);
    }
    return new LibcUdpSocket(lib, fd, {
      batch: options.batch ?? 32,
      slot: options.slotBytes ?? 2048,
    });
  }

  /** The bound port. */
  get port(): number {
    return this.#port;
  }

  /** The descriptor, for an epoll set; -1 once closed. */
  get fd(): number {
    return this.#closed ? -1 : this.#fd;
  }

  /** Effective SO_RCVBUF and SO_SNDBUF in bytes, as the kernel reports them. */
  get bufferBytes(): { receive: number; send: number } {
    return { receive: this.#rcvbuf, send: this.#sndbuf };
  }

  /** Datagrams dropped because the send buffer was full or they were too large. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Datagrams waiting for {@link flush}. */
  get queued(): number {
    return this.#queued;
  }

  /**
   * Copies `data` into the next send slot for `ip:port`; false when the batch
   * is full (flush, then queue again). Oversized datagrams are dropped.
   */
  queue(data: Uint8Array, ip: number, port: number): boolean {
    const tx = this.#tx ??= new Arena(
      Math.min(SMALL_BATCH, this.#batch),
      this.#slot,
    );
    if (this.#queued === tx.batch) return false;
    if (data.length > this.#slot) {
      this.#dropped++;
      return true;
    }
    const i = this.#queued++, b = tx.batch;
    tx.bytes.set(data, tx.data + i * this.#slot);
    tx.view.setUint32(b * MMSG + i * IOV + 8, data.length, true);
    writeSockaddr(tx.bytes, b * (MMSG + IOV) + i * NAME, ip, port);
    return true;
  }

  /** Sends every queued datagram with as few `sendmmsg` calls as it takes; returns how many left. */
  flush(): number {
    const total = this.#queued;
    let sent = 0;
    while (sent < total) {
      const bytes = this.#tx!.bytes;
      const view = sent === 0 ? bytes : bytes.subarray(sent * MMSG);
      const n = this.#lib.symbols.sendmmsg(
        this.#fd,
        view,
        total - sent,
        MSG_DONTWAIT,
      );
      if (n > 0) {
        sent += n;
        continue;
      }
      // A full buffer (EAGAIN) drops the rest; any other error skips one datagram.
      if (n < 0 && errno(this.#lib) === EAGAIN) {
        this.#dropped += total - sent;
        break;
      }
      this.#dropped++;
      sent++;
    }
    // A full small arena: this socket sends media, give it a media arena.
    const media = Math.min(SEND_BATCH, this.#batch);
    if (total > 0 && total === this.#tx?.batch && total < media) {
      this.#tx = new Arena(media, this.#slot);
    }
    this.#queued = 0;
    return sent;
  }

  /**
   * Reads up to `batch` datagrams that are already queued, without waiting;
   * returns how many (0 when none, or on an error, or once closed). Read them
   * with {@link receivedData} before the next call.
   */
  receive(): number {
    if (this.#closed) return 0;
    const rx = this.#rx;
    for (let i = 0; i < this.#batch; i++) {
      rx.view.setUint32(i * MMSG + 8, NAME, true);
    }
    const n = this.#lib.symbols.recvmmsg(
      this.#fd,
      rx.bytes,
      this.#batch,
      MSG_DONTWAIT,
      null,
    );
    return n < 0 ? 0 : n;
  }

  /** Datagrams per receive call. */
  get batch(): number {
    return this.#batch;
  }

  /** The i-th datagram of the last receive, as a view into the arena valid until the next receive. */
  receivedData(i: number): Uint8Array {
    const start = this.#rx.data + i * this.#slot;
    return this.#rx.bytes.subarray(
      start,
      start + this.#rx.view.getUint32(i * MMSG + 56, true),
    );
  }

  /** The sender's IPv4 address (u32) of the i-th datagram of the last receive. */
  receivedIp(i: number): number {
    return this.#rx.view.getUint32(
      this.#batch * (MMSG + IOV) + i * NAME + 4,
      false,
    );
  }

  /** The sender's port of the i-th datagram of the last receive. */
  receivedPort(i: number): number {
    return this.#rx.view.getUint16(
      this.#batch * (MMSG + IOV) + i * NAME + 2,
      false,
    );
  }

  /**
   * Closes the descriptor and unloads libc; remove it from any epoll set
   * first (no thread reads it: every call here is synchronous). Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#lib.symbols.close(this.#fd);
    this.#tx = null;
    releaseLibc();
  }

  #getInt(opt: number): number {
    const v = new Int32Array(1), len = new Uint32Array([4]);
    this.#lib.symbols.getsockopt(
      this.#fd,
      SOL_SOCKET,
      opt,
      new Uint8Array(v.buffer),
      new Uint8Array(len.buffer),
    );
    return v[0]!;
  }
}

// Four positional parameters on purpose: this runs per packet, and an
// options object would be an allocation per packet.
function writeSockaddr(
  b: Uint8Array,
  at: number,
  ip: number,
  port: number,
): void {
  b[at] = AF_INET; // sa_family is host order (little-endian on our targets)
  b[at + 1] = 0;
  b[at + 2] = port >>> 8;
  b[at + 3] = port & 0xff;
  b[at + 4] = ip >>> 24;
  b[at + 5] = (ip >>> 16) & 0xff;
  b[at + 6] = (ip >>> 8) & 0xff;
  b[at + 7] = ip & 0xff;
}

function errno(lib: Libc): number {
  const p = lib.symbols.__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}
