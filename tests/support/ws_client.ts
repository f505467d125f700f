/**
 * A small protocol client over a real WebSocket, for the conformance suite:
 * it queues what the server sends and lets a test wait for the next message
 * that matches, with no sleeps.
 *
 * @module
 */

/** A message as it travels on the wire. */
export type Message = Record<string, unknown>;

/** How the server closed the socket. */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Sent as the `Origin` header of the upgrade request. */
  origin?: string;
  /** Sent as the `Host` header of the upgrade request. */
  host?: string;
}

/** A predicate over messages, or a partial message every field must equal. */
export type Matcher = ((m: Message) => boolean) | Message;

const DEFAULT_TIMEOUT = 3000;

function matches(m: Message, matcher: Matcher): boolean {
  if (typeof matcher === "function") return matcher(m);
  return Object.entries(matcher).every(([k, v]) =>
    JSON.stringify(m[k]) === JSON.stringify(v)
  );
}

function describe(matcher: Matcher): string {
  return typeof matcher === "function"
    ? matcher.toString()
    : JSON.stringify(matcher);
}

/** A random client id as the stock client makes them: 16 bytes of hex. */
export function randomId(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/** A connected test client. */
export class WsClient {
  /** The id sent in the handshake. */
  id = randomId();
  /** The username the server assigned at join. */
  username = "";
  readonly closed: Promise<CloseInfo>;
  readonly #ws: WebSocket;
  #queue: Message[] = [];
  #history: Message[] = [];
  #waiters = new Set<{ matcher: Matcher; resolve: (m: Message) => void }>();
  #closeInfo: CloseInfo | null = null;

  constructor(ws: WebSocket) {
    this.#ws = ws;
    const { promise, resolve } = Promise.withResolvers<CloseInfo>();
    this.closed = promise;
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as Message;
      this.#history.push(m);
      for (const w of this.#waiters) {
        if (matches(m, w.matcher)) {
          this.#waiters.delete(w);
          w.resolve(m);
          return;
        }
      }
      this.#queue.push(m);
    };
    ws.onclose = (e) => {
      this.#closeInfo = { code: e.code, reason: e.reason };
      resolve(this.#closeInfo);
    };
  }

  /** Whether the socket has closed. */
  get isClosed(): boolean {
    return this.#closeInfo !== null;
  }

  /** Every message received, in order, taken or not. */
  get history(): readonly Message[] {
    return this.#history;
  }

  /** The messages received and not yet taken by {@link next}. */
  get pending(): readonly Message[] {
    return this.#queue;
  }

  /** Sends a message (serialised as JSON) or a raw text frame. */
  send(message: Message | string): void {
    this.#ws.send(
      typeof message === "string" ? message : JSON.stringify(message),
    );
  }

  /**
   * Takes the first queued or future message that matches; rejects after
   * `timeoutMs` or when the socket closes first.
   */
  next(matcher: Matcher, timeoutMs = DEFAULT_TIMEOUT): Promise<Message> {
    const i = this.#queue.findIndex((m) => matches(m, matcher));
    if (i >= 0) return Promise.resolve(this.#queue.splice(i, 1)[0]!);
    const { promise, resolve, reject } = Promise.withResolvers<Message>();
    const waiter = { matcher, resolve };
    this.#waiters.add(waiter);
    const fail = (why: string) => {
      if (!this.#waiters.delete(waiter)) return;
      reject(
        new Error(
          `${why} waiting for ${describe(matcher)}; queued: ${
            JSON.stringify(this.#queue).slice(0, 1500)
          }`,
        ),
      );
    };
    const timer = setTimeout(() => fail(`Timed out`), timeoutMs);
    // Every message is delivered before the close event, so a waiter still
    // pending at the close will never be satisfied.
    void this.closed.then((c) => fail(`Socket closed (${c.code} ${c.reason})`));
    return promise.finally(() => clearTimeout(timer));
  }

  /** Takes the next message of a type (and kind, when given). */
  nextOf(type: string, kind?: string, timeoutMs?: number): Promise<Message> {
    return this.next(kind === undefined ? { type } : { type, kind }, timeoutMs);
  }

  /**
   * Round-trips a ping: every message the server sent in reply to what this
   * client sent before is queued once this resolves.
   */
  async sync(): Promise<void> {
    this.send({ type: "ping" });
    await this.nextOf("pong");
  }

  /** Whether a queued message matches (call after {@link sync}). */
  has(matcher: Matcher): boolean {
    return this.#queue.some((m) => matches(m, matcher));
  }

  /** Drops every queued message. */
  drain(): void {
    this.#queue = [];
  }

  /** Sends a handshake with this client's id and waits for the answer. */
  async handshake(
    options: { version?: string[]; id?: string | null } = {},
  ): Promise<Message> {
    if (options.id !== undefined) this.id = options.id ?? "";
    this.send({
      type: "handshake",
      version: options.version ?? ["2"],
      ...(options.id === null ? {} : { id: this.id }),
    });
    return await this.nextOf("handshake");
  }

  /**
   * Joins a group and returns the `joined` answer (whatever its kind); on
   * success, waits for the server's `user add` of this client too.
   */
  async join(
    group: string,
    username: string | undefined,
    password?: string,
    extra: Message = {},
  ): Promise<Message> {
    this.send({
      type: "join",
      kind: "join",
      group,
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password }),
      ...extra,
    });
    const joined = await this.next({ type: "joined", group } as Message);
    if (joined["kind"] === "join") {
      this.username = String(joined["username"] ?? "");
      await this.next({ type: "user", kind: "add", id: this.id });
    }
    return joined;
  }

  /** A chat message from this client. */
  chat(value: string, extra: Message = {}): void {
    this.send({
      type: "chat",
      source: this.id,
      username: this.username,
      value,
      ...extra,
    });
  }

  /** Closes the socket and waits for the close to complete. */
  async close(): Promise<void> {
    if (this.#closeInfo === null) this.#ws.close(1000);
    await this.closed;
  }
}

/**
 * Opens a WebSocket and resolves once it is open.
 * @throws {Error} when the server refuses the upgrade
 */
export function connect(
  url: string,
  options: ConnectOptions = {},
): Promise<WsClient> {
  const headers: Record<string, string> = {};
  if (options.origin !== undefined) headers["origin"] = options.origin;
  if (options.host !== undefined) headers["host"] = options.host;
  // Deno's WebSocket takes handshake headers (non-standard); the DOM
  // typings in deno.json do not know it.
  const DenoWebSocket = WebSocket as unknown as new (
    url: string,
    options: { headers: Record<string, string> },
  ) => WebSocket;
  const ws = new DenoWebSocket(url, { headers });
  const client = new WsClient(ws);
  const { promise, resolve, reject } = Promise.withResolvers<WsClient>();
  ws.onopen = () => resolve(client);
  ws.onerror = (e) => {
    const message = e instanceof ErrorEvent ? e.message : "WebSocket error";
    // Wait for the close so that no resource outlives the failed attempt.
    void client.closed.then(() => reject(new Error(message)));
  };
  return promise;
}

/**
 * Connects to `url`, handshakes and joins `group` as `username`.
 *
 * @throws {Error} `USERNAME could not join GROUP: …` (the server's reply)
 * unless the join succeeds; the client is then closed.
 */
export async function joinedClient(
  url: string,
  join: {
    group: string;
    username: string;
    password?: string;
    connect?: ConnectOptions;
  },
): Promise<WsClient> {
  const client = await connect(url, join.connect);
  try {
    await client.handshake();
    const joined = await client.join(join.group, join.username, join.password);
    if (joined["kind"] !== "join") {
      throw new Error(
        `${join.username} could not join ${join.group}: ${
          JSON.stringify(joined)
        }`,
      );
    }
    return client;
  } catch (e) {
    await client.close();
    throw e;
  }
}
