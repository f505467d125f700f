/**
 * Nereid's connection to Redis: one ioredis client for commands and, from
 * the first subscription on, a second one for pub/sub (a subscribed Redis
 * connection can run nothing else).
 *
 * - It never throws out of an event handler, and never hangs: commands
 *   fail at once while Redis is unreachable (no offline queue), a reply
 *   that does not come within `commandTimeoutMs` fails the command, and a
 *   command whose fate is unknown after a disconnection fails rather than
 *   being sent again (an `XADD` must not run twice).
 * - It reconnects by itself (backoff up to `maxRetryDelayMs`), subscribes
 *   its channels again, and only then reports Redis as up.
 * - It logs once per transition: "Redis connected", "Redis unreachable"
 *   (with the reason), "Redis back". Log lines show the URL without its
 *   credentials, and a subscriber callback that throws is logged, not
 *   propagated.
 *
 * @example
 * ```ts
 * const redis = openRedisConnection("redis://127.0.0.1:6379", { log: console.log });
 * await redis.whenUp();
 * await redis.command((r) => r.set("k", "v"));
 * await redis.close();
 * ```
 *
 * @module
 */

import { Redis } from "ioredis";
import { parseRedisUrl, type RedisAddress } from "./redis_url.ts";

/** Where a {@link RedisConnection} stands. */
export type RedisState = "connecting" | "up" | "down" | "closed";

/** Options of {@link openRedisConnection}. */
export interface RedisConnectionOptions {
  log: (message: string) => void;
  /** Sent as `CLIENT SETNAME` (shows in `CLIENT LIST`), e.g. "nereid-edge". */
  name?: string;
  /** A command without a reply after this long fails (default 2000 ms). */
  commandTimeoutMs?: number;
  /** Longest wait between two reconnection attempts (default 1000 ms). */
  maxRetryDelayMs?: number;
  /** A TCP connection not up after this long is retried (default 2000 ms). */
  connectTimeoutMs?: number;
}

/** A command could not run because Redis is unreachable or did not answer. */
export class RedisUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RedisUnavailableError";
  }
}

/** Receives one pub/sub message, as published. */
export type MessageHandler = (message: string) => void;

type ClientState = "connecting" | "ready" | "down";

interface Client {
  redis: Redis;
  role: "commands" | "subscriber";
  state: ClientState;
  /** Called once at the client's next change of state. */
  onChange: (() => void)[];
}

// Library messages are bounded before they reach a log line.
const MAX_REASON_CHARS = 200;

/** See the module documentation. */
export class RedisConnection {
  readonly #address: RedisAddress;
  readonly #options: Required<Omit<RedisConnectionOptions, "name">> & {
    name: string | undefined;
  };
  readonly #commands: Client;
  #subscriber: Client | undefined;
  readonly #handlers = new Map<string, Set<MessageHandler>>();
  #state: RedisState = "connecting";
  #waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];

  /** @throws {TypeError} When the URL is not a `redis://` URL. */
  constructor(url: string, options: RedisConnectionOptions) {
    this.#address = parseRedisUrl(url);
    this.#options = {
      log: options.log,
      name: options.name,
      commandTimeoutMs: options.commandTimeoutMs ?? 2000,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 1000,
      connectTimeoutMs: options.connectTimeoutMs ?? 2000,
    };
    this.#commands = this.#client("commands");
  }

  /** Where the connection stands now. */
  get state(): RedisState {
    return this.#state;
  }

  /** `true` while every client is connected (and subscribed). */
  get up(): boolean {
    return this.#state === "up";
  }

  /** `redis://HOST:PORT`, without credentials. */
  get address(): string {
    return this.#address.display;
  }

  /** Resolves when Redis is up (at once if it is). */
  whenUp(): Promise<void> {
    if (this.#state === "up") return Promise.resolve();
    if (this.#state === "closed") {
      return Promise.reject(
        new RedisUnavailableError("Redis connection is closed"),
      );
    }
    return new Promise((resolve, reject) =>
      this.#waiters.push({ resolve, reject })
    );
  }

  /**
   * Runs commands on the command client.
   *
   * @throws {RedisUnavailableError} When Redis is unreachable, the reply
   * timed out or the connection dropped meanwhile. Error replies from Redis
   * and errors of `fn` itself pass through.
   */
  async command<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
    if (this.#state !== "up") {
      throw new RedisUnavailableError(
        this.#state === "closed"
          ? "Redis connection is closed"
          : `Redis is unreachable at ${this.address}`,
      );
    }
    try {
      return await fn(this.#commands.redis);
    } catch (error) {
      if (isConnectionError(error)) {
        throw new RedisUnavailableError(
          `Redis command failed at ${this.address}: ${reason(error)}`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  /** Publishes on a channel; resolves to the number of receivers. */
  publish(channel: string, message: string): Promise<number> {
    return this.command((redis) => redis.publish(channel, message));
  }

  /**
   * Calls `handler` with each message published on `channel`, from now on
   * and again after reconnections (messages published while Redis was
   * unreachable are lost: pub/sub keeps nothing). Resolves once the
   * subscription is in place, or at once while Redis is unreachable (it is
   * made when Redis is back). Returns the function that unsubscribes.
   */
  async subscribe(
    channel: string,
    handler: MessageHandler,
  ): Promise<() => Promise<void>> {
    if (this.#state === "closed") {
      throw new RedisUnavailableError("Redis connection is closed");
    }
    const subscriber = this.#subscriber ??= this.#client("subscriber");
    // A wrapper per call, so the same function may subscribe twice.
    const entry: MessageHandler = (message) => handler(message);
    let handlers = this.#handlers.get(channel);
    if (handlers === undefined) {
      handlers = new Set([entry]);
      this.#handlers.set(channel, handlers);
      if (subscriber.state === "ready") {
        await subscriber.redis.subscribe(channel).catch(() => {
          // Dropped meanwhile: the subscription is made again on "ready".
        });
      } else if (subscriber.state === "connecting") {
        // Its first connection: "ready" subscribes every channel.
        await new Promise<void>((resolve) => subscriber.onChange.push(resolve));
      }
    } else {
      handlers.add(entry);
    }
    return async () => {
      const set = this.#handlers.get(channel);
      if (set === undefined || !set.delete(entry) || set.size > 0) return;
      this.#handlers.delete(channel);
      if (subscriber.state === "ready") {
        await subscriber.redis.unsubscribe(channel).catch(() => {});
      }
    };
  }

  /** Disconnects both clients; pending commands fail. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    for (const c of [this.#commands, this.#subscriber]) {
      if (c !== undefined) this.#setClientState(c, "down");
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      w.reject(new RedisUnavailableError("Redis connection is closed"));
    }
    const clients = [this.#commands, this.#subscriber].filter((c) =>
      c !== undefined
    );
    await Promise.all(clients.map(async (c) => {
      if (c.redis.status === "ready") await c.redis.quit().catch(() => {});
      c.redis.disconnect();
    }));
  }

  #client(role: Client["role"]): Client {
    const { host, port, db, username, password } = this.#address;
    const options = this.#options;
    const redis = new Redis({
      host,
      port,
      db,
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password }),
      ...(options.name === undefined ? {} : { connectionName: options.name }),
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: options.connectTimeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // Done here, so that "up" means "subscribed again".
      autoResubscribe: false,
      retryStrategy: (times: number) =>
        Math.min(50 * 2 ** Math.min(times, 10), options.maxRetryDelayMs),
    });
    const client: Client = { redis, role, state: "connecting", onChange: [] };
    redis.on("ready", () => this.#guard(() => this.#onReady(client)));
    redis.on(
      "close",
      () => this.#guard(() => this.#onDown(client, "connection lost")),
    );
    redis.on("error", (error: unknown) =>
      this.#guard(() => {
        if (client.state !== "ready") this.#onDown(client, reason(error));
      }));
    if (role === "subscriber") {
      redis.on(
        "message",
        (channel: string, message: string) => this.#deliver(channel, message),
      );
    }
    return client;
  }

  #onReady(client: Client): void {
    if (this.#state === "closed") return;
    if (client.role === "commands") {
      this.#setClientState(client, "ready");
      this.#update("");
      return;
    }
    this.#resubscribe(client).then(
      () =>
        this.#guard(() => {
          if (client.redis.status !== "ready" || this.#state === "closed") {
            return;
          }
          this.#setClientState(client, "ready");
          this.#update("");
        }),
      (error: unknown) =>
        this.#guard(() => this.#onDown(client, `subscribe: ${reason(error)}`)),
    );
  }

  /** Subscribes every channel, including those added meanwhile. */
  async #resubscribe(client: Client): Promise<void> {
    const done = new Set<string>();
    for (;;) {
      const missing = [...this.#handlers.keys()].filter((c) => !done.has(c));
      if (missing.length === 0) return;
      await client.redis.subscribe(...missing);
      for (const c of missing) done.add(c);
    }
  }

  #onDown(client: Client, why: string): void {
    if (this.#state === "closed") return;
    this.#setClientState(client, "down");
    this.#update(why);
  }

  #setClientState(client: Client, state: ClientState): void {
    client.state = state;
    const listeners = client.onChange;
    client.onChange = [];
    for (const listener of listeners) listener();
  }

  #update(why: string): void {
    const clients = [this.#commands, this.#subscriber];
    const states = clients.flatMap((c) => (c === undefined ? [] : [c.state]));
    const before = this.#state;
    if (states.includes("down")) {
      if (before === "up" || before === "connecting") {
        this.#state = "down";
        this.#options.log(
          `Redis unreachable at ${this.address}: ${this.#scrub(why)}`,
        );
      }
      return;
    }
    if (states.every((s) => s === "ready") && before !== "up") {
      this.#state = "up";
      this.#options.log(
        before === "connecting"
          ? `Redis connected at ${this.address}`
          : `Redis back at ${this.address}`,
      );
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w.resolve();
    }
  }

  #deliver(channel: string, message: string): void {
    const handlers = this.#handlers.get(channel);
    if (handlers === undefined) return;
    for (const handler of handlers) {
      try {
        handler(message);
      } catch (error) {
        this.#options.log(
          `Redis subscriber: handler for channel ${
            JSON.stringify(channel.slice(0, 100))
          } threw: ${reason(error)}`,
        );
      }
    }
  }

  /** Runs an event handler's body; an error in it is logged, never thrown. */
  #guard(body: () => void): void {
    try {
      body();
    } catch (error) {
      try {
        this.#options.log(`Redis connection: internal error: ${reason(error)}`);
      } catch {
        // Even the logger failed: nothing left to tell.
      }
    }
  }

  /** Library messages should not carry the password; make sure. */
  #scrub(text: string): string {
    const { password } = this.#address;
    return password === undefined || password === ""
      ? text
      : text.replaceAll(password, "***");
  }
}

/**
 * Opens a connection to the Redis at `url`; connecting goes on in the
 * background (see {@link RedisConnection.whenUp}), and an unreachable Redis
 * is logged, never thrown.
 *
 * @throws {TypeError} When the URL is not a `redis://` URL.
 */
export function openRedisConnection(
  url: string,
  options: RedisConnectionOptions,
): RedisConnection {
  return new RedisConnection(url, options);
}

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > MAX_REASON_CHARS
    ? `${text.slice(0, MAX_REASON_CHARS)}…`
    : text;
}

// ioredis reports transport failures as plain Errors; these are its words
// for "no connection", "no reply in time" and "dropped while waiting".
const CONNECTION_ERRORS =
  /Command timed out|Stream isn't writeable|Connection is closed|max retries per request|Reached the max retries/i;

function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "ReplyError") return false;
  return error.name === "MaxRetriesPerRequestError" ||
    CONNECTION_ERRORS.test(error.message);
}
