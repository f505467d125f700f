/**
 * The public listener: accepts TCP connections itself and relays each one,
 * byte for byte, to a `Deno.serve` server on a private loopback port, so
 * that a connection can be closed when its time is up.
 *
 * `Deno.serve` has no header or idle timeout (Deno 2.9), and a WebSocket
 * whose client ignores the close frame stays open. Nor can a TLS connection
 * from `Deno.listenTls` be closed before its handshake completes (Deno
 * finishes the handshake first, and a client that sends nothing keeps the
 * socket forever). Relaying plain TCP solves both while keeping Deno's HTTP,
 * TLS and WebSocket implementations: the private server does TLS (and
 * offers HTTP/2 as before), the relay owns the public socket and closes it
 * at the deadline its {@link ConnectionWatch} sets, which ends the private
 * connection too. The watch learns of requests from the private server's
 * handler, which the relay wraps: the private connection is matched to its
 * public one by the port the relay connects from. Each request reaches the
 * application with the client's own address and a {@link ConnectionHandle}
 * that the WebSocket route uses to start the close timeout. Requests that
 * did not come through the relay (another local process finding the
 * private port) are refused.
 *
 * @module
 */

import {
  type ConnectionTimeouts,
  ConnectionWatch,
  type Deadline,
} from "./connection_watch.ts";

/** What the relay lets the application do with a request's connection. */
export interface ConnectionHandle {
  /**
   * The server has sent its WebSocket close frame: the client has the close
   * timeout to end the connection. Idempotent.
   */
  closing(): void;
}

/** The second argument of the handler: Hono's `c.env` under `Deno.serve`. */
export interface RelayEnv {
  /** The client's address, as `Deno.serve` would give it. */
  remoteAddr: Deno.NetAddr;
  completed: Promise<void>;
  connection: ConnectionHandle;
}

/** Options of {@link serveRelayed}. */
export interface RelayOptions {
  hostname: string;
  port: number;
  /** PEM certificate and key: HTTPS when given. */
  tls?: { cert: string; key: string };
  timeouts: ConnectionTimeouts;
  handler: (request: Request, env: RelayEnv) => Response | Promise<Response>;
  /** Answers a request whose handler threw. */
  onError: (error: unknown) => Response | Promise<Response>;
  log: (message: string) => void;
}

/** A running relayed server. */
export interface RelayServer {
  /** The public address. */
  readonly addr: Deno.NetAddr;
  /**
   * Stops accepting, lets requests in flight finish and closes every
   * connection; connections still open after the close timeout are cut.
   */
  shutdown(): Promise<void>;
}

/** The connection handle of a request, when it came through the relay. */
export function connectionOf(env: unknown): ConnectionHandle | undefined {
  const connection = (env as Partial<RelayEnv> | undefined)?.connection;
  return typeof connection?.closing === "function" ? connection : undefined;
}

/** Relay buffer per direction: one maximal TLS record. */
const CHUNK = 16 * 1024;
/** Pause after a failed accept (out of file descriptors, say), as Go does. */
const ACCEPT_BACKOFF_MS = 100;

/**
 * Listens on the public address and serves `handler` through the relay.
 * Resolves once both listeners are open.
 */
export async function serveRelayed(
  options: RelayOptions,
): Promise<RelayServer> {
  const byPort = new Map<number, RelayedConnection>();
  const all = new Set<RelayedConnection>();
  const internalListening = Promise.withResolvers<Deno.NetAddr>();
  const internal = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    ...(options.tls ? { cert: options.tls.cert, key: options.tls.key } : {}),
    onListen: (addr) => internalListening.resolve(addr as Deno.NetAddr),
    onError: options.onError,
  }, async (request, info) => {
    const relayed = byPort.get(info.remoteAddr.port);
    if (relayed === undefined) {
      return new Response("Forbidden", { status: 403 });
    }
    relayed.requestStarted();
    const completed = () => relayed.requestCompleted();
    info.completed.then(completed, completed);
    const response = await options.handler(request, {
      remoteAddr: relayed.remoteAddr,
      completed: info.completed,
      connection: relayed,
    });
    if (response.status === 101) relayed.upgraded();
    return response;
  });
  const internalAddr = await internalListening.promise;

  const listener = Deno.listen({
    hostname: options.hostname,
    port: options.port,
  });
  const context: RelayContext = {
    timeouts: options.timeouts,
    internalPort: internalAddr.port,
    register: (port, c) => byPort.set(port, c),
    unregister: (port) => byPort.delete(port),
    forget: (c) => all.delete(c),
    log: options.log,
  };

  let stopping = false;
  const accepting = (async () => {
    while (!stopping) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (stopping) break;
        options.log(`http: accept failed: ${e}`);
        await new Promise((r) => setTimeout(r, ACCEPT_BACKOFF_MS));
        continue;
      }
      const relayed = new RelayedConnection(conn, context);
      all.add(relayed);
      relayed.start();
    }
  })();

  let stopped: Promise<void> | null = null;
  return {
    addr: listener.addr,
    shutdown() {
      stopped ??= (async () => {
        stopping = true;
        listener.close();
        await accepting;
        const cut = setTimeout(() => {
          for (const c of all) c.close();
        }, options.timeouts.closeTimeout);
        await internal.shutdown();
        clearTimeout(cut);
        const left = [...all];
        for (const c of left) c.close();
        await Promise.all(left.map((c) => c.done));
      })();
      return stopped;
    },
  };
}

/** What a relayed connection shares with its listener. */
interface RelayContext {
  timeouts: ConnectionTimeouts;
  internalPort: number;
  register(port: number, connection: RelayedConnection): void;
  unregister(port: number): void;
  forget(connection: RelayedConnection): void;
  log(message: string): void;
}

/** One client connection and its private twin. */
class RelayedConnection implements ConnectionHandle {
  readonly remoteAddr: Deno.NetAddr;
  readonly #external: Deno.TcpConn;
  readonly #context: RelayContext;
  readonly #watch: ConnectionWatch;
  #internal: Deno.TcpConn | null = null;
  #internalPort = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #closed = false;
  /** The client sent its FIN. */
  #clientDone = false;
  /** The private server closed its side: only the client's FIN is awaited. */
  #serverDone = false;
  #pumps: Promise<void>[] = [];
  readonly #finished = Promise.withResolvers<void>();

  constructor(external: Deno.TcpConn, context: RelayContext) {
    this.#external = external;
    this.#context = context;
    this.remoteAddr = external.remoteAddr;
    this.#watch = new ConnectionWatch(context.timeouts, Date.now());
    external.setNoDelay(true);
  }

  /** Resolves once both directions have stopped. */
  get done(): Promise<void> {
    return this.#finished.promise;
  }

  start(): void {
    this.#schedule();
    const first = this.#clientToServer();
    this.#pumps.push(first);
    void first.then(async () => {
      // The other direction starts with the first byte, before this ends.
      await Promise.all(this.#pumps.slice(1));
      this.#finished.resolve();
    });
  }

  requestStarted(): void {
    this.#watch.requestStarted(Date.now());
  }

  requestCompleted(): void {
    this.#watch.requestCompleted(Date.now());
  }

  upgraded(): void {
    this.#watch.upgrade();
  }

  closing(): void {
    if (this.#closed) return;
    this.#watch.closing(Date.now());
    this.#schedule();
  }

  /** Closes both sockets; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    if (this.#internalPort) this.#context.unregister(this.#internalPort);
    this.#context.forget(this);
    closeQuietly(this.#external);
    if (this.#internal) closeQuietly(this.#internal);
  }

  /**
   * The private connection is opened with the first client byte, so that a
   * connection that never sends costs one descriptor, not three.
   */
  async #clientToServer(): Promise<void> {
    const buffer = new Uint8Array(CHUNK);
    for (;;) {
      let n: number | null;
      try {
        n = await this.#external.read(buffer);
      } catch {
        // A reset or a closed socket: the connection is over, and nothing
        // in it concerns anyone else.
        this.close();
        return;
      }
      if (n === null || this.#closed) break;
      // Once the server is done, what the client still sends is dropped.
      if (this.#serverDone) continue;
      this.#watch.fromClient(Date.now());
      this.#schedule();
      const internal = this.#internal ?? await this.#connect();
      if (internal === null) return;
      try {
        await writeAll(internal, buffer.subarray(0, n));
      } catch {
        // The server closed with this input unread; what it sent before
        // is still to be relayed, so only this direction stops.
        this.#serverDone = true;
      }
    }
    this.#clientDone = true;
    if (this.#internal === null || this.#serverDone) {
      this.close();
      return;
    }
    // The client is done sending; the response may still be on its way.
    try {
      await this.#internal.closeWrite();
    } catch {
      this.close();
    }
  }

  async #serverToClient(internal: Deno.TcpConn): Promise<void> {
    const buffer = new Uint8Array(CHUNK);
    for (;;) {
      let n: number | null;
      try {
        n = await internal.read(buffer);
      } catch {
        // Reset by the server: done, as with an end of stream.
        n = null;
      }
      if (n === null || this.#closed) break;
      this.#watch.fromServer(Date.now());
      try {
        await writeAll(this.#external, buffer.subarray(0, n));
      } catch {
        this.close();
        return;
      }
    }
    if (this.#closed || this.#clientDone) {
      this.close();
      return;
    }
    // The server is done with the connection. Closing a socket that has
    // unread input resets it, and the client may lose the last response (an
    // error message before a close frame, say): send a FIN instead, and
    // close once the client closes too, or at the close timeout.
    this.#serverDone = true;
    try {
      await this.#external.closeWrite();
    } catch {
      this.close();
      return;
    }
    this.closing();
  }

  async #connect(): Promise<Deno.TcpConn | null> {
    let internal: Deno.TcpConn;
    try {
      internal = await Deno.connect({
        hostname: "127.0.0.1",
        port: this.#context.internalPort,
      });
    } catch (e) {
      this.#context.log(`http: cannot reach the private listener: ${e}`);
      this.close();
      return null;
    }
    if (this.#closed) {
      closeQuietly(internal);
      return null;
    }
    internal.setNoDelay(true);
    this.#internal = internal;
    this.#internalPort = internal.localAddr.port;
    this.#context.register(this.#internalPort, this);
    this.#pumps.push(this.#serverToClient(internal));
    return internal;
  }

  /**
   * Keeps one timer, set for the earliest deadline. Activity only moves a
   * deadline later, so the timer is moved only when one comes earlier (a
   * new head, a close frame); when it fires early, it is set again.
   */
  #schedule(): void {
    if (this.#closed) return;
    const deadline = this.#watch.deadline();
    if (deadline === null || deadline.at >= this.#timerAt) return;
    this.#arm(deadline);
  }

  #arm(deadline: Deadline): void {
    clearTimeout(this.#timer);
    this.#timerAt = deadline.at;
    this.#timer = setTimeout(
      () => this.#expire(),
      Math.max(0, deadline.at - Date.now()),
    );
  }

  #expire(): void {
    this.#timerAt = Infinity;
    if (this.#closed) return;
    const deadline = this.#watch.deadline();
    if (deadline === null) return;
    if (deadline.at > Date.now()) this.#arm(deadline);
    else this.close();
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await conn.write(bytes.subarray(written));
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
