/**
 * A UDP socket that queues outgoing datagrams and sends them in `sendmmsg`
 * batches, on a libc-owned socket (`libc_socket.ts`); `node:dgram` is the
 * portable fallback. A batch leaves when it is full (`SEND_BATCH`), when
 * the receive loop has worked {@link FLUSH_AFTER_MS} since the oldest
 * datagram queued on any socket, after each socket the loop drains, and at
 * the end of the event-loop turn (a microtask), whichever comes first: a
 * forwarded packet waits at most about a millisecond of the loop's work for
 * its batch.
 *
 * Why own the socket rather than share werift's: Deno exposes no descriptor
 * for its sockets, and a second socket on the same port would split incoming
 * traffic. Owning it also moves receiving off Deno's `node:dgram` (~20–30k
 * packets/s, 64 KiB buffer) onto `recvmmsg` batches, read on the event-loop
 * thread when the process's one `epoll` loop (`receive_loop.ts`) reports the
 * socket ready.
 *
 * IPv6 sockets take the `node:dgram` path (the libc socket is IPv4 only),
 * bound IPV6_V6ONLY so that they share no port with the IPv4 sockets. Errors
 * a `node:dgram` socket reports after binding are failed sends (an ICMP
 * "unreachable" for one destination): they count as dropped datagrams, as a
 * full send buffer does on the sendmmsg path, and never end the process.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createSocket } from "node:dgram";
import { isIPv6 } from "node:net";
import type { Socket } from "node:dgram";
import { formatIpv4, LibcUdpSocket, parseIpv4 } from "./libc_socket.ts";
import { ReceiveLoop } from "./receive_loop.ts";

// Receive batches read per socket per wake-up: a flooded socket yields to the
// others after this many, and level-triggered epoll reports it again next.
const ROUNDS_PER_WAKE = 4;

/**
 * How long a queued datagram may wait for its batch to fill while the
 * receive loop works, ms. A publisher's packet goes to N subscribers, each
 * on its own socket: one batch per socket would fill only after 32 incoming
 * packets, ~6 ms of work at N = 50, which every packet of that batch waited.
 */
export const FLUSH_AFTER_MS = 1;

/** sendmmsg calls and datagrams they carried, process-wide (for the bench). */
export interface SendStats {
  calls: number;
  datagrams: number;
}

// Sockets with queued datagrams, and when the first of those was queued:
// the receive loop flushes them all once that is FLUSH_AFTER_MS old, and
// after every socket it drains.
const outbox: UdpBatchSocket[] = [];
let oldestQueued = 0;
let sendStats: SendStats = { calls: 0, datagrams: 0 };

/** The send statistics since the last call, reset. */
export function takeSendStats(): SendStats {
  const stats = sendStats;
  sendStats = { calls: 0, datagrams: 0 };
  return stats;
}

function flushOutbox(): void {
  // A flush may not add to the outbox (sends only queue), so one pass does.
  for (let i = 0; i < outbox.length; i++) outbox[i]!.flush();
  outbox.length = 0;
}

/** Which send path a socket uses. */
export type UdpBatchKind = "sendmmsg" | "dgram";

/**
 * Called per datagram. `data` is valid only during the call (it is a view into
 * a reused receive arena on the sendmmsg path): copy it to keep it.
 */
export type UdpMessageHandler = (
  data: Uint8Array,
  address: string,
  port: number,
) => void;

/** Options of {@link UdpBatchSocket.open}. */
export interface UdpBatchOptions {
  /** IPv4 or IPv6 address to bind ("::" binds every IPv6 address, and no IPv4 one). */
  address: string;
  port?: number;
  onMessage: UdpMessageHandler;
  /** Force the portable path with "dgram"; "auto" (default) prefers sendmmsg. */
  kind?: "auto" | "dgram";
  /** SO_RCVBUF/SO_SNDBUF request, default 4 MiB. */
  bufferBytes?: number;
  /** Datagrams per recvmmsg, default 32; a sendmmsg takes at most `SEND_BATCH`. */
  batch?: number;
  /** Where a throwing handler's error goes; default console.error. */
  onError?: (error: unknown) => void;
  /** The receive loop of the sendmmsg path; default {@link ReceiveLoop.shared}. */
  loop?: ReceiveLoop;
}

/** A batching UDP socket; `send` copies, so callers may reuse their buffers at once. */
export class UdpBatchSocket {
  #libc: LibcUdpSocket | null;
  #dgram: Socket | null;
  #onMessage: UdpMessageHandler;
  #onError: (error: unknown) => void;
  #scheduled = false;
  // Every socket with queued datagrams is in the outbox: flush them all.
  #flushTask = (): void => flushOutbox();
  #ips = new Map<string, number>();
  #lastAddress = "";
  #lastIp = -1;
  #names = new Map<number, string>();
  #loop: ReceiveLoop | null = null;
  #key = 0;
  #closed = false;
  #sent = 0;
  #failedSends = 0;

  private constructor(
    parts: {
      libc: LibcUdpSocket | null;
      dgram: Socket | null;
      options: UdpBatchOptions;
    },
  ) {
    this.#libc = parts.libc;
    this.#dgram = parts.dgram;
    this.#onMessage = parts.options.onMessage;
    this.#onError = parts.options.onError ??
      ((e) => console.error("UDP message handler failed:", e));
    if (this.#libc !== null) {
      this.#loop = parts.options.loop ?? ReceiveLoop.shared();
      this.#key = this.#loop.add(this.#libc.fd, this.#drain);
    }
  }

  /**
   * Binds a socket, on libc when it loads (IPv4), else on `node:dgram`.
   * @throws Deno.errors.AddrInUse when the port is taken on that address
   * @throws Error when the address cannot be bound for another reason
   */
  static async open(options: UdpBatchOptions): Promise<UdpBatchSocket> {
    const ipv6 = isIPv6(options.address);
    if (options.kind !== "dgram" && !ipv6) {
      const libc = LibcUdpSocket.open({
        address: options.address,
        ...(options.port === undefined ? {} : { port: options.port }),
        ...(options.batch === undefined ? {} : { batch: options.batch }),
        ...(options.bufferBytes === undefined
          ? {}
          : { bufferBytes: options.bufferBytes }),
      });
      if (libc !== null) {
        return new UdpBatchSocket({ libc, dgram: null, options });
      }
    }
    const dgram = createSocket(
      ipv6 ? { type: "udp6", ipv6Only: true } : { type: "udp4" },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        dgram.once("error", reject);
        dgram.bind(
          { address: options.address, port: options.port ?? 0 },
          () => {
            dgram.off("error", reject);
            resolve();
          },
        );
      });
    } catch (e) {
      dgram.close();
      if ((e as { code?: unknown }).code !== "EADDRINUSE") throw e;
      throw new Deno.errors.AddrInUse(
        `Cannot bind UDP socket to ${options.address}:${
          options.port ?? 0
        }: the address is in use`,
      );
    }
    const bytes = options.bufferBytes ?? 4 * 1024 * 1024;
    try {
      dgram.setRecvBufferSize(bytes);
      dgram.setSendBufferSize(bytes);
    } catch {
      // Not supported by this runtime's node:dgram: keep its default.
    }
    const socket = new UdpBatchSocket({ libc: null, dgram, options });
    dgram.on("error", () => socket.#failedSends++);
    dgram.on(
      "message",
      (msg: Buffer, rinfo: { address: string; port: number }) => {
        socket.#deliver(msg, rinfo.address, rinfo.port);
      },
    );
    return socket;
  }

  /** The send path in use. */
  get kind(): UdpBatchKind {
    return this.#libc !== null ? "sendmmsg" : "dgram";
  }

  /** The bound port. */
  get port(): number {
    return this.#libc?.port ?? this.#dgram!.address().port;
  }

  /** Datagrams handed to the kernel and datagrams dropped (or failed). */
  get stats(): { sent: number; dropped: number } {
    return {
      sent: this.#sent,
      dropped: (this.#libc?.dropped ?? 0) + this.#failedSends,
    };
  }

  /**
   * Queues a copy of `data` for `address:port` (an address of the socket's
   * family); it leaves at the end of this event-loop turn, or at once when
   * the batch is full.
   * @throws TypeError when `address` is not IPv4 on the sendmmsg path
   */
  send(data: Uint8Array, port: number, address: string): void {
    if (this.#closed) return;
    const libc = this.#libc;
    if (libc === null) {
      this.#dgram!.send(Buffer.from(data), port, address);
      this.#sent++;
      return;
    }
    const ip = this.#ip(address);
    if (!libc.queue(data, ip, port)) {
      this.flush();
      libc.queue(data, ip, port);
    }
    if (!this.#scheduled) {
      // The first datagram of a batch: flushed by the receive loop (see
      // FLUSH_AFTER_MS), else at the end of this event-loop turn.
      this.#scheduled = true;
      if (outbox.length === 0) oldestQueued = performance.now();
      outbox.push(this);
      queueMicrotask(this.#flushTask);
    }
  }

  /** Sends everything queued now. */
  flush(): void {
    this.#scheduled = false;
    const libc = this.#libc;
    if (libc !== null && libc.queued > 0 && !this.#closed) {
      const n = libc.flush();
      this.#sent += n;
      sendStats.calls++;
      sendStats.datagrams += n;
    }
  }

  /** Flushes, stops receiving and closes the socket. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.flush();
    this.#closed = true; // from now on, a flush from the outbox does nothing
    if (this.#libc !== null) {
      const stopped = this.#loop!.remove(this.#libc.fd, this.#key);
      this.#libc.close();
      await stopped;
    } else {
      const d = this.#dgram!;
      await new Promise<void>((resolve) => d.close(() => resolve()));
    }
  }

  // Runs when epoll reports input: read what is queued, without waiting.
  #drain = (): void => {
    const libc = this.#libc!;
    for (let round = 0; round < ROUNDS_PER_WAKE; round++) {
      const n = libc.receive();
      for (let i = 0; i < n && !this.#closed; i++) {
        this.#deliver(
          libc.receivedData(i),
          this.#name(libc.receivedIp(i)),
          libc.receivedPort(i),
        );
        if (
          outbox.length > 0 &&
          performance.now() - oldestQueued >= FLUSH_AFTER_MS
        ) {
          flushOutbox();
        }
      }
      if (n < libc.batch || this.#closed) break;
    }
    // Datagrams queued by the handlers (this socket's, and the forwarded
    // ones on other sockets) leave now, not after every ready socket.
    flushOutbox();
  };

  #deliver(data: Uint8Array, address: string, port: number): void {
    try {
      this.#onMessage(data, address, port);
    } catch (error) {
      this.#onError(error);
    }
  }

  // Address strings ↔ u32, cached: a peer sends and receives from few
  // addresses, so the per-packet cost is one Map lookup. Bounded at 4096.
  #ip(address: string): number {
    // A peer connection sends to one address: most sends stop here, on a
    // string comparison that is a pointer comparison for the same string.
    if (address === this.#lastAddress) return this.#lastIp;
    let ip = this.#ips.get(address);
    if (ip === undefined) {
      ip = parseIpv4(address);
      if (ip < 0) {
        throw new TypeError(
          `Cannot send UDP to "${address}": not an IPv4 address`,
        );
      }
      if (this.#ips.size > 4096) this.#ips.clear();
      this.#ips.set(address, ip);
    }
    this.#lastAddress = address;
    this.#lastIp = ip;
    return ip;
  }

  #name(ip: number): string {
    let name = this.#names.get(ip);
    if (name === undefined) {
      name = formatIpv4(ip);
      if (this.#names.size > 4096) this.#names.clear();
      this.#names.set(ip, name);
    }
    return name;
  }
}
