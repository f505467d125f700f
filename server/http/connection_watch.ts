/**
 * When a client's connection must be closed, decided from what happens on
 * it: bytes crossing it either way, requests starting and completing, an
 * upgrade to WebSocket, the server's close frame. A pure state machine with
 * no I/O and no clock, so that every rule is tested exactly; the listener
 * (`relay_listener.ts`) feeds it and closes the connection at its deadline.
 *
 * The rules, after Go's `http.Server` as Galène configures it:
 * - Header timeout (`ReadHeaderTimeout`, 60 s in Galène): a request's head
 *   must arrive within it. It runs from the accept (which covers the TLS
 *   handshake) and, on a connection with no request in flight, from the
 *   first byte the client sends after the last response; the server calling
 *   the handler proves the head complete. So a client that trickles a head
 *   byte by byte, or never sends one, is closed.
 * - Idle timeout (`IdleTimeout`, 120 s): a connection silent both ways for
 *   that long is closed, whether between requests on a keep-alive
 *   connection or during one.
 * - Once the server answered `101 Switching Protocols`, HTTP is over and
 *   the WebSocket's own keep-alive (the session's pings) takes over, as Go
 *   leaves hijacked connections alone. When the server sends its close
 *   frame, the client has the close timeout to end the connection.
 *
 * The watch sees bytes only as activity, never their content: it works the
 * same over TLS, where the relay sees only ciphertext.
 *
 * @module
 */

/** Timeouts of a client's connection, in milliseconds. */
export interface ConnectionTimeouts {
  /** Time allowed for a request's head to arrive (Galène: 60 s). */
  headerTimeout: number;
  /** Time a connection may stay silent outside a WebSocket (Galène: 120 s). */
  idleTimeout: number;
  /** Time a WebSocket client has to end the connection once the server sent its close frame. */
  closeTimeout: number;
}

/**
 * Galène's `ReadHeaderTimeout` and `IdleTimeout`; Galène closes a WebSocket
 * right after its close frame, so a few seconds for the reply are generous.
 */
export const DEFAULT_CONNECTION_TIMEOUTS: ConnectionTimeouts = {
  headerTimeout: 60_000,
  idleTimeout: 120_000,
  closeTimeout: 5_000,
};

/** Why a connection is closed at its deadline. */
export type TimeoutReason = "header timeout" | "idle timeout" | "close timeout";

/** When a connection must be closed, and why. */
export interface Deadline {
  at: number;
  reason: TimeoutReason;
}

/** Tracks one connection; see the module header. */
export class ConnectionWatch {
  readonly #timeouts: ConnectionTimeouts;
  #lastActivity: number;
  /** Since when a request's head is awaited, or null when none is. */
  #headSince: number | null;
  #inFlight = 0;
  #upgraded = false;
  #closingSince: number | null = null;

  constructor(timeouts: ConnectionTimeouts, now: number) {
    this.#timeouts = timeouts;
    this.#lastActivity = now;
    this.#headSince = now;
  }

  /** Whether the connection became a WebSocket. */
  get upgraded(): boolean {
    return this.#upgraded;
  }

  /** Bytes from the client. */
  fromClient(now: number): void {
    this.#lastActivity = now;
    // With no request in flight, the client's bytes begin the next one.
    if (this.#inFlight === 0) this.#headSince ??= now;
  }

  /** Bytes from the server. */
  fromServer(now: number): void {
    this.#lastActivity = now;
  }

  /** The server received a request's head and called its handler. */
  requestStarted(now: number): void {
    this.#lastActivity = now;
    this.#inFlight++;
    this.#headSince = null;
  }

  /** A request's response was sent in full (or could not be). */
  requestCompleted(now: number): void {
    this.#lastActivity = now;
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }

  /** The server answered `101 Switching Protocols`. */
  upgrade(): void {
    this.#upgraded = true;
  }

  /** The server sent its WebSocket close frame, or is done with the connection. */
  closing(now: number): void {
    this.#closingSince ??= now;
  }

  /** When the connection must be closed if nothing else happens. */
  deadline(): Deadline | null {
    const t = this.#timeouts;
    let deadline: Deadline | null = null;
    if (!this.#upgraded) {
      deadline = {
        at: this.#lastActivity + t.idleTimeout,
        reason: "idle timeout",
      };
      if (this.#headSince !== null) {
        deadline = earlier(deadline, {
          at: this.#headSince + t.headerTimeout,
          reason: "header timeout",
        });
      }
    }
    if (this.#closingSince !== null) {
      deadline = earlier(deadline, {
        at: this.#closingSince + t.closeTimeout,
        reason: "close timeout",
      });
    }
    return deadline;
  }
}

function earlier(a: Deadline | null, b: Deadline): Deadline {
  return a === null || b.at < a.at ? b : a;
}
