/**
 * A group member whose "connection" is driven by HTTP requests instead of a
 * WebSocket: a {@link ClientSession} with a transport of our own. Requests
 * feed it the protocol messages a client would send (handshake, join,
 * offer, ice, …) and wait for its replies, so that a WHIP publisher or a
 * WHEP viewer is a member like any other: forwarding, recording, statistics,
 * kicks, `max-clients` and the media node all treat it the same.
 *
 * The session's keep-alive pings are answered here: such a member is alive
 * while its media is (its streams' ICE timeout ends it).
 *
 * @module
 */

import { ClientSession } from "../signalling/client_session.ts";
import type { SessionDeps } from "../signalling/session_deps.ts";

/** A message as the session sent it (parsed back from its wire text). */
export type Reply = Record<string, unknown>;

interface Waiter {
  match(m: Reply): boolean;
  resolve(m: Reply): void;
  reject(e: Error): void;
}

/** The member went away while a request waited for its reply. */
export class MemberClosed extends Error {
  override name = "MemberClosed";
}

/** Options of {@link HttpMember}. */
export interface HttpMemberOptions {
  deps: SessionDeps;
  /** The HTTP client's address, shown to operators by `identify`. */
  address: string;
  /** Every message the session sends, after any waiter took it. */
  onMessage(m: Reply): void;
  /** The session ended (kicked, timed out, deleted, server shutdown). */
  onClose(reason: string): void;
}

/** A {@link ClientSession} whose transport is this object. */
export class HttpMember {
  readonly session: ClientSession;
  readonly #options: HttpMemberOptions;
  #waiters = new Set<Waiter>();
  #closed = false;

  constructor(options: HttpMemberOptions) {
    this.#options = options;
    this.session = new ClientSession({
      send: (text) => this.#received(JSON.parse(text) as Reply),
      close: (_code, reason) => this.#ended(reason),
      bufferedAmount: () => 0,
    }, { address: options.address, deps: options.deps });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Hands a client message to the session. */
  send(message: Record<string, unknown>): void {
    if (!this.#closed) this.session.receive(JSON.stringify(message));
  }

  /**
   * Sends `message` (if any) and resolves with the first reply that
   * `match`es.
   * @throws {MemberClosed} when the session ends first
   * @throws {Error} after `timeoutMs`
   */
  request(
    message: Record<string, unknown> | null,
    options: { match(m: Reply): boolean; timeoutMs: number },
  ): Promise<Reply> {
    if (this.#closed) {
      return Promise.reject(new MemberClosed("The session is closed"));
    }
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`No reply within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      const waiter: Waiter = {
        match: options.match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.#waiters.add(waiter);
    });
    if (message !== null) this.send(message);
    return reply;
  }

  /** Ends the session (it leaves its group); idempotent. */
  close(reason: string): void {
    this.session.close(1000, reason);
  }

  #received(m: Reply): void {
    if (m["type"] === "ping") {
      // Not from inside the session's own send.
      queueMicrotask(() => this.send({ type: "pong" }));
      return;
    }
    for (const waiter of this.#waiters) {
      if (waiter.match(m)) {
        this.#waiters.delete(waiter);
        waiter.resolve(m);
      }
    }
    this.#options.onMessage(m);
  }

  #ended(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const waiter of this.#waiters) {
      waiter.reject(new MemberClosed(reason || "The session ended"));
    }
    this.#waiters.clear();
    this.#options.onClose(reason);
  }
}
