/**
 * Where TURN clients reach the server: one UDP socket (on the media fast
 * path's batched sockets), one TCP listener and optionally one TLS listener,
 * all handing messages to a {@link TurnServer}; and the same on IPv6 when
 * given `hostname6`: a second UDP socket (IPv6 only, same port), and for
 * TCP and TLS either a second listener or, when both addresses are the
 * wildcards, one listener on `::` that takes IPv4 too (Deno cannot bind
 * `::` IPv6-only beside `0.0.0.0`); IPv4 clients there are seen by their
 * IPv4 address, as on the IPv4 listener.
 *
 * Streams are bounded: at most `connections` in total (TCP and TLS
 * together) and `connectionsPerAddress` per client IP, further ones closed
 * as soon as accepted; a connection that completes no STUN message within
 * `handshakeMs` (silent, half a message, a TLS handshake never finished) is
 * closed, and so is one that holds no allocation and has sent nothing for
 * `idleMs` (an allocation's own lifetime bounds the others); one whose
 * client does not read has its messages dropped beyond `sendBufferBytes`
 * waiting (media tolerate loss; a stalled socket must not hold memory).
 * Both times are checked by one sweep, four times per the shorter one.
 *
 * @module
 */

import { UdpBatchSocket } from "../media/fast/udp_batch.ts";
import type { ClientLink } from "./allocation.ts";
import { looksLikeChannelData } from "./channel_data.ts";
import { looksLikeStun } from "./stun_message.ts";
import { StreamFramer } from "./stream_framer.ts";
import type { TurnServer } from "./turn_server.ts";

// Ports tried with port 0 before giving up: the UDP port the system picks
// may be in use for TCP by another process.
const PORT_ATTEMPTS = 16;

/** Options of {@link TurnListeners.open}. */
export interface TurnListenOptions {
  /** IPv4 address to listen on (default 0.0.0.0). */
  hostname?: string;
  /** IPv6 address to listen on as well (`::` or one address); none by default. */
  hostname6?: string;
  /** UDP and TCP port (0: any). */
  port: number;
  /** TURN over TLS: a port and the server's certificate (PEM). */
  tls?: { port: number; cert: string; key: string };
  connections?: number;
  connectionsPerAddress?: number;
  /** Default 10 s. */
  handshakeMs?: number;
  /** Default 60 s. */
  idleMs?: number;
  sendBufferBytes?: number;
  /** The clock of the handshake and idle times (tests). */
  now?: () => number;
  log?: (message: string) => void;
}

// A TCP or TLS connection's state, for the sweep.
interface Stream {
  key: string;
  opened: number;
  /** When it last sent bytes. */
  lastRead: number;
  greeted: boolean;
}

/** The listening sockets of a TURN server. */
export class TurnListeners {
  readonly #server: TurnServer;
  readonly #udp: UdpBatchSocket;
  readonly #udp6: UdpBatchSocket | null;
  readonly #tcp: Deno.Listener[];
  readonly #tls: Deno.TlsListener[];
  readonly #conns = new Map<Deno.Conn, Stream>();
  readonly #perAddress = new Map<string, number>();
  readonly #limits: Required<
    Pick<
      TurnListenOptions,
      | "connections"
      | "connectionsPerAddress"
      | "handshakeMs"
      | "idleMs"
      | "sendBufferBytes"
    >
  >;
  readonly #now: () => number;
  readonly #sweeper: ReturnType<typeof setInterval>;
  #sweeps = 0;
  readonly #log: (message: string) => void;
  readonly #accepting: Promise<void>[] = [];
  #nextId = 1;
  #closed = false;

  private constructor(
    parts: {
      server: TurnServer;
      udp: UdpBatchSocket;
      udp6: UdpBatchSocket | null;
      tcp: Deno.Listener[];
      tls: Deno.TlsListener[];
      options: TurnListenOptions;
    },
  ) {
    this.#server = parts.server;
    this.#udp = parts.udp;
    this.#udp6 = parts.udp6;
    this.#tcp = parts.tcp;
    this.#tls = parts.tls;
    const o = parts.options;
    this.#limits = {
      connections: o.connections ?? 4096,
      connectionsPerAddress: o.connectionsPerAddress ?? 256,
      handshakeMs: o.handshakeMs ?? 10_000,
      idleMs: o.idleMs ?? 60_000,
      sendBufferBytes: o.sendBufferBytes ?? 512 * 1024,
    };
    this.#now = o.now ?? (() => Date.now());
    const { handshakeMs, idleMs } = this.#limits;
    this.#sweeper = setInterval(
      () => this.#sweep(),
      Math.max(10, Math.min(handshakeMs, idleMs) / 4),
    );
    this.#log = o.log ?? ((m) => console.log(m));
    for (const l of this.#tcp) this.#accepting.push(this.#accept(l, "tcp"));
    for (const l of this.#tls) this.#accepting.push(this.#accept(l, "tls"));
  }

  /**
   * Binds UDP and TCP on `port` (the TCP port is the UDP one when `port` is
   * 0: a port whose TCP side is taken is given back and another tried), and
   * TLS when asked; on `hostname6` too when given.
   * @throws Error when a port cannot be bound
   */
  static async open(
    server: TurnServer,
    options: TurnListenOptions,
  ): Promise<TurnListeners> {
    for (let attempt = 1;; attempt++) {
      try {
        return await TurnListeners.#bind(server, options);
      } catch (e) {
        const free = options.port === 0 && e instanceof Deno.errors.AddrInUse;
        if (!free || attempt === PORT_ATTEMPTS) throw e;
      }
    }
  }

  static async #bind(
    server: TurnServer,
    options: TurnListenOptions,
  ): Promise<TurnListeners> {
    const hostname = options.hostname ?? "0.0.0.0";
    const log = options.log ?? console.log;
    const udp = await udpListener(server, {
      address: hostname,
      port: options.port,
      log,
    });
    let udp6: UdpBatchSocket | null = null;
    const tcp: Deno.Listener[] = [];
    const tls: Deno.TlsListener[] = [];
    try {
      if (options.hostname6 !== undefined) {
        udp6 = await udpListener(server, {
          address: options.hostname6,
          port: udp.port,
          log,
        });
      }
      for (const h of streamHosts(hostname, options.hostname6)) {
        tcp.push(
          Deno.listen({ hostname: h, port: udp.port, transport: "tcp" }),
        );
      }
      const t = options.tls;
      if (t !== undefined) {
        // With port 0, the IPv6 listener takes the port the first one got.
        let port = t.port;
        for (const h of streamHosts(hostname, options.hostname6)) {
          const l = Deno.listenTls({
            hostname: h,
            port,
            cert: t.cert,
            key: t.key,
          });
          tls.push(l);
          port = (l.addr as Deno.NetAddr).port;
        }
      }
    } catch (e) {
      for (const l of [...tcp, ...tls]) l.close();
      await udp6?.close();
      await udp.close();
      throw e;
    }
    return new TurnListeners({ server, udp, udp6, tcp, tls, options });
  }

  /** The UDP and TCP port. */
  get port(): number {
    return this.#udp.port;
  }

  /** The TLS port, when listening. */
  get tlsPort(): number | undefined {
    const l = this.#tls[0];
    return l ? (l.addr as Deno.NetAddr).port : undefined;
  }

  /** Open TCP/TLS connections. */
  get connectionCount(): number {
    return this.#conns.size;
  }

  /** Sweeps of the handshake and idle times done so far (tests). */
  get sweeps(): number {
    return this.#sweeps;
  }

  /** Stops listening and closes every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const l of [...this.#tcp, ...this.#tls]) l.close();
    for (const c of this.#conns.keys()) closeQuietly(c);
    await Promise.allSettled(this.#accepting);
    await this.#udp6?.close();
    await this.#udp.close();
  }

  async #accept(
    listener: Deno.Listener | Deno.TlsListener,
    transport: "tcp" | "tls",
  ): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (this.#closed) return;
        this.#log(`turn: ${transport} accept: ${e}`);
        continue;
      }
      const address = unmapped((conn.remoteAddr as Deno.NetAddr).hostname);
      const count = this.#perAddress.get(address) ?? 0;
      if (
        this.#closed || this.#conns.size >= this.#limits.connections ||
        count >= this.#limits.connectionsPerAddress
      ) {
        closeQuietly(conn);
        continue;
      }
      this.#serve(conn, transport).catch((e) =>
        this.#log(`turn: ${transport} connection: ${e}`)
      );
    }
  }

  // Closes connections past their handshake or idle time.
  #sweep(): void {
    const now = this.#now();
    const { handshakeMs, idleMs } = this.#limits;
    for (const [conn, s] of this.#conns) {
      if (
        s.greeted
          ? now - s.lastRead >= idleMs &&
            this.#server.allocation(s.key) === undefined
          : now - s.opened >= handshakeMs
      ) {
        closeQuietly(conn);
      }
    }
    this.#sweeps++;
  }

  async #serve(conn: Deno.Conn, transport: "tcp" | "tls"): Promise<void> {
    const remote = conn.remoteAddr as Deno.NetAddr;
    const address = unmapped(remote.hostname);
    const now = this.#now();
    const stream: Stream = {
      key: `${transport}${this.#nextId++}`,
      opened: now,
      lastRead: now,
      greeted: false,
    };
    this.#conns.set(conn, stream);
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    const writer = conn.writable.getWriter();
    let waiting = 0;
    let broken = false;
    const limit = this.#limits.sendBufferBytes;
    const link: ClientLink = {
      key: stream.key,
      transport,
      address,
      port: remote.port,
      stream: true,
      send: (bytes) => {
        if (broken || waiting + bytes.length > limit) return;
        waiting += bytes.length;
        const n = bytes.length;
        writer.write(bytes.slice()).then(
          () => waiting -= n,
          () => {
            broken = true;
            closeQuietly(conn);
          },
        );
      },
    };
    const framer = new StreamFramer();
    const onMessage = (m: Uint8Array) => {
      if (looksLikeChannelData(m)) {
        this.#server.channelData(link.key, m);
      } else {
        stream.greeted ||= looksLikeStun(m);
        this.#server.stun(m, link);
      }
    };
    try {
      const reader = conn.readable.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        stream.lastRead = this.#now();
        if (!framer.push(value, onMessage)) break;
      }
    } catch {
      // Reset by the peer, or closed by us: the same end.
    } finally {
      this.#server.linkClosed(link.key);
      this.#conns.delete(conn);
      const n = (this.#perAddress.get(address) ?? 1) - 1;
      if (n > 0) this.#perAddress.set(address, n);
      else this.#perAddress.delete(address);
      closeQuietly(conn);
    }
  }
}

function udpListener(
  server: TurnServer,
  o: { address: string; port: number; log: (message: string) => void },
): Promise<UdpBatchSocket> {
  let udp: UdpBatchSocket | null = null;
  const opening = UdpBatchSocket.open({
    address: o.address,
    port: o.port,
    onMessage: (data, address, port) => {
      const key = `u${address}:${port}`;
      if (looksLikeChannelData(data)) {
        server.channelData(key, data);
      } else if (looksLikeStun(data)) {
        // The link of an allocation is kept by it; others are made here.
        const link = server.allocation(key)?.link ??
          udpLink(udp!, key, address, port);
        server.stun(data, link);
      }
    },
    onError: (e) => o.log(`turn: udp: ${e}`),
  });
  return opening.then((u) => udp = u);
}

// Where TCP and TLS listen: one dual-stack `::` for both wildcards.
function streamHosts(hostname: string, hostname6?: string): string[] {
  if (hostname6 === undefined) return [hostname];
  if (hostname === "0.0.0.0" && hostname6 === "::") return ["::"];
  return [hostname, hostname6];
}

// An IPv4 client of a dual-stack listener appears as ::ffff:a.b.c.d.
function unmapped(address: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address)
    ? address.slice(7)
    : address;
}

function udpLink(
  udp: UdpBatchSocket,
  key: string,
  address: string,
  port: number,
): ClientLink {
  return {
    key,
    transport: "udp",
    address,
    port,
    stream: false,
    send: (bytes) => udp.send(bytes, port, address),
  };
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
