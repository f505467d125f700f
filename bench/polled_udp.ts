/**
 * The load bots' UDP: libc sockets that one 1 ms timer polls with
 * `recvmmsg(MSG_DONTWAIT)`, and `sendmmsg` batches — installed in place of
 * werift's `UdpTransport.init` in the bot process only.
 *
 * Why not the server's fast path here: when the bots were written, its
 * receive ran one `nonblocking` FFI call per socket and batch (a
 * worker-thread hand-off and a promise, ~12 µs measured in the bot), and
 * with N subscriber sockets each batch held about one packet. Polling all
 * N+1 sockets from one timer costs one plain system call per socket and
 * tick, and drains up to {@link BATCH} datagrams each: the bots stay cheap
 * per packet, at the price of up to ~1 ms of polling delay in the measured
 * latency (the same for every SFU). The server now waits on one `epoll` for
 * all its sockets (`receive_loop.ts`); moving the bots onto it would remove
 * this file, and needs the benchmark measured again.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { UdpTransport } from "werift";
import { COPYING_SEND } from "../server/media/fast/raw_rtp.ts";

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  setsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
  },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  recvmmsg: {
    parameters: ["i32", "buffer", "u32", "i32", "pointer"],
    result: "i32",
  },
  sendmmsg: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>;

// Linux x86-64/arm64 values (bits/socket.h, asm-generic/socket.h).
const AF_INET = 2, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1, SO_SNDBUFFORCE = 32, SO_RCVBUFFORCE = 33;
const SO_SNDBUF = 7, SO_RCVBUF = 8, MSG_DONTWAIT = 0x40;
/** Datagrams per system call. */
export const BATCH = 64;
// struct mmsghdr (LP64): msghdr of 56 bytes + msg_len, padded to 64;
// struct iovec 16; struct sockaddr_in 16; one slot per datagram.
const MMSG = 64, IOV = 16, NAME = 16, SLOT = 2048;
const BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * One direction's memory: headers, iovecs, addresses and datagram slots in
 * one ArrayBuffer of >64 KiB (V8 keeps such buffers off-heap: the addresses
 * written into the headers stay valid).
 */
class Arena {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly iovAt = MMSG * BATCH;
  readonly nameAt = this.iovAt + IOV * BATCH;
  readonly dataAt = this.nameAt + NAME * BATCH;

  constructor() {
    const buffer = new ArrayBuffer(this.dataAt + SLOT * BATCH);
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
    const base = BigInt(
      Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)),
    );
    for (let i = 0; i < BATCH; i++) {
      const h = MMSG * i, iov = this.iovAt + IOV * i;
      this.view.setBigUint64(h, base + BigInt(this.nameAt + NAME * i), true);
      this.view.setUint32(h + 8, NAME, true);
      this.view.setBigUint64(h + 16, base + BigInt(iov), true);
      this.view.setBigUint64(h + 24, 1n, true);
      this.view.setBigUint64(iov, base + BigInt(this.dataAt + SLOT * i), true);
      this.view.setBigUint64(iov + 8, BigInt(SLOT), true);
    }
  }
}

/** Polls every socket it holds once per millisecond. */
export class UdpPoller {
  readonly #libc: Libc;
  readonly #sockets = new Set<PolledSocket>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /** @throws Error when libc cannot be loaded */
  constructor() {
    this.#libc = Deno.dlopen("libc.so.6", SYMBOLS);
  }

  /** Makes werift open its IPv4 sockets here; returns the undo. */
  installIntoWerift(): () => void {
    const statics = UdpTransport as unknown as {
      init: (
        type: string,
        o?: { interfaceAddresses?: { udp4?: string } },
      ) => Promise<unknown>;
    };
    const original = statics.init;
    statics.init = (type, o = {}) =>
      type === "udp4"
        ? Promise.resolve(this.open(o.interfaceAddresses?.udp4 ?? "0.0.0.0"))
        : original.call(UdpTransport, type, o);
    return () => {
      statics.init = original;
    };
  }

  /**
   * Binds a socket on `host`, port chosen by the kernel.
   * @throws Error when a system call fails
   */
  open(host: string): PolledSocket {
    const socket = new PolledSocket(
      this.#libc,
      host,
      (s) => this.#sockets.delete(s),
    );
    this.#sockets.add(socket);
    this.#timer ??= setInterval(() => this.poll(), 1);
    return socket;
  }

  /** Receives what every socket has waiting. */
  poll(): void {
    for (const socket of this.#sockets) socket.drain();
  }

  close(): void {
    clearInterval(this.#timer);
    for (const socket of [...this.#sockets]) socket.close();
    this.#libc.close();
  }
}

type Address = [string, number];

/** werift's `UdpTransport` surface over one polled libc socket. */
export class PolledSocket {
  readonly type = "udp";
  readonly socketType = "udp4";
  /** `send` copies at once (raw_rtp.ts may then pass its scratch buffer). */
  readonly [COPYING_SEND] = true;
  closed = false;
  /** werift's handler: gets a copy of each datagram. */
  onData: (data: Buffer, addr: Address) => void = () => {};
  /**
   * Looked at first, with a view into the receive arena that is valid only
   * during the call; true when it consumed the datagram.
   */
  tap: ((data: Uint8Array) => boolean) | null = null;
  readonly #libc: Libc;
  readonly #fd: number;
  readonly #host: string;
  readonly #port: number;
  readonly #rx = new Arena();
  readonly #tx = new Arena();
  readonly #onClose: (s: PolledSocket) => void;
  #queued = 0;
  #scheduled = false;
  // The last destination, parsed: a bot sends to one address.
  #toName = "";
  #toIp = 0;
  #last: Address = ["", 0];

  constructor(libc: Libc, host: string, onClose: (s: PolledSocket) => void) {
    this.#libc = libc;
    this.#host = host;
    this.#onClose = onClose;
    const s = libc.symbols;
    const fd = s.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw new Error("Cannot create a UDP socket");
    this.#fd = fd;
    const size = new Int32Array([BUFFER_BYTES]);
    for (
      const [forced, plain] of [[SO_RCVBUFFORCE, SO_RCVBUF], [
        SO_SNDBUFFORCE,
        SO_SNDBUF,
      ]]
    ) {
      if (s.setsockopt(fd, SOL_SOCKET, forced!, size, 4) < 0) {
        s.setsockopt(fd, SOL_SOCKET, plain!, size, 4);
      }
    }
    const name = new Uint8Array(NAME);
    writeName(name, 0, parseIp(host), 0);
    if (s.bind(fd, name, NAME) < 0) {
      s.close(fd);
      throw new Error(`Cannot bind a UDP socket on ${host}`);
    }
    const length = new Uint32Array([NAME]);
    s.getsockname(fd, name, length);
    this.#port = (name[2]! << 8) | name[3]!;
  }

  get port(): number {
    return this.#port;
  }

  get host(): string {
    return this.#host;
  }

  get address(): { address: string; port: number; family: string } {
    return { address: this.#host, port: this.#port, family: "IPv4" };
  }

  get rinfo(): { address: string; port: number } {
    return { address: this.#last[0], port: this.#last[1] };
  }

  /** Queues a copy; the batch leaves at the end of this event-loop turn. */
  send = (data: Uint8Array, addr?: Address): undefined => {
    if (this.closed || data.length > SLOT) return undefined;
    const to = addr ?? this.#last;
    if (this.#queued === BATCH) this.flush();
    const i = this.#queued++;
    const tx = this.#tx;
    tx.bytes.set(data, tx.dataAt + SLOT * i);
    tx.view.setBigUint64(tx.iovAt + IOV * i + 8, BigInt(data.length), true);
    if (to[0] !== this.#toName) {
      this.#toIp = parseIp(to[0]);
      this.#toName = to[0];
    }
    writeName(tx.bytes, tx.nameAt + NAME * i, this.#toIp, to[1]);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
    return undefined;
  };

  /** Sends the queued batch; what the kernel refuses is dropped (UDP). */
  flush(): void {
    this.#scheduled = false;
    if (this.#queued === 0 || this.closed) return;
    this.#libc.symbols.sendmmsg(
      this.#fd,
      this.#tx.bytes,
      this.#queued,
      MSG_DONTWAIT,
    );
    this.#queued = 0;
  }

  /** Delivers every datagram waiting in the socket. */
  drain(): void {
    const rx = this.#rx;
    for (;;) {
      if (this.closed) return;
      const n = this.#libc.symbols.recvmmsg(
        this.#fd,
        rx.bytes,
        BATCH,
        MSG_DONTWAIT,
        null,
      );
      if (n <= 0) return;
      for (let i = 0; i < n; i++) {
        const length = rx.view.getUint32(MMSG * i + 56, true);
        const data = rx.bytes.subarray(
          rx.dataAt + SLOT * i,
          rx.dataAt + SLOT * i + length,
        );
        if (this.tap?.(data)) continue;
        const at = rx.nameAt + NAME * i;
        const port = (rx.bytes[at + 2]! << 8) | rx.bytes[at + 3]!;
        const ip = rx.bytes.subarray(at + 4, at + 8).join(".");
        if (this.#last[0] !== ip || this.#last[1] !== port) {
          this.#last = [ip, port];
        }
        this.onData(Buffer.from(data), this.#last);
      }
      if (n < BATCH) return;
    }
  }

  close = (): Promise<void> => {
    if (!this.closed) {
      this.flush();
      this.closed = true;
      this.#libc.symbols.close(this.#fd);
      this.#onClose(this);
    }
    return Promise.resolve();
  };
}

/** Dotted IPv4 to its 32-bit value. @throws {TypeError} for anything else */
function parseIp(address: string): number {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) {
    throw new TypeError(`Cannot use "${address}": not an IPv4 address`);
  }
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) |
    parts[3]!) >>> 0;
}

// struct sockaddr_in: family (host order), port and address (network order).
function writeName(b: Uint8Array, at: number, ip: number, port: number): void {
  b[at] = AF_INET;
  b[at + 1] = 0;
  b[at + 2] = port >> 8;
  b[at + 3] = port & 0xff;
  b[at + 4] = ip >>> 24;
  b[at + 5] = (ip >>> 16) & 0xff;
  b[at + 6] = (ip >>> 8) & 0xff;
  b[at + 7] = ip & 0xff;
}
