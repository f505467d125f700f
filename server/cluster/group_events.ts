/**
 * A group's event channel between edges: what one edge does to a group
 * (a chat message, a kick, a lock, an op change…) is published on
 * `nereid:group:<name>:events`, and every other edge with members in that
 * group hears it and acts for its own members. An event is a versioned
 * JSON envelope naming the edge it came from; an edge does not hear its
 * own events (it has acted on them already). Events are bounded in bytes
 * on both sides, and one that does not parse is logged and dropped.
 *
 * Pub/sub keeps nothing: an edge that is disconnected from Redis misses
 * the events of that time, and must read shared state again (the chat
 * history, …) once Redis is back.
 *
 * @example
 * ```ts
 * const events = new GroupEvents(connection, { origin: "edge-1", log });
 * const stop = await events.subscribe("night-watch", (e) => apply(e));
 * await events.publish("night-watch", "chat", { id, source, value });
 * ```
 *
 * @module
 */

import { groupEventsChannel } from "./cluster_keys.ts";
import type { RedisConnection } from "./redis_connection.ts";

/** One event, as another edge published it. */
export interface GroupEvent {
  /** The edge that published it. */
  origin: string;
  /** What happened: 1 to 64 characters, `a-z`, digits and `-`. */
  type: string;
  /** Its details (JSON). */
  data: unknown;
}

/** Options of {@link GroupEvents}. */
export interface GroupEventsOptions {
  /** This edge's id, written in each event it publishes. */
  origin: string;
  log: (message: string) => void;
  /** The largest encoded event, in bytes (default 1 MiB). */
  maxBytes?: number;
}

const VERSION = 1;
const TYPE = /^[a-z0-9][a-z0-9-]{0,63}$/;
const ORIGIN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** See the module documentation. */
export class GroupEvents {
  readonly #connection: RedisConnection;
  readonly #origin: string;
  readonly #log: (message: string) => void;
  readonly #maxBytes: number;

  /** @throws {TypeError} When `origin` is not an edge id. */
  constructor(connection: RedisConnection, options: GroupEventsOptions) {
    if (!ORIGIN.test(options.origin)) {
      throw new TypeError(
        'Group events origin must be 1 to 64 letters, digits, ".", "_" or "-"',
      );
    }
    this.#connection = connection;
    this.#origin = options.origin;
    this.#log = options.log;
    this.#maxBytes = options.maxBytes ?? 1 << 20;
  }

  /** This edge's id, as its events name it. */
  get origin(): string {
    return this.#origin;
  }

  /**
   * Publishes an event to the other edges; resolves to the number of
   * subscribed connections that received it.
   *
   * @throws {TypeError} When `type` is not a valid event type.
   * @throws {RangeError} When the encoded event exceeds the byte bound.
   * @throws {RedisUnavailableError} When Redis is unreachable.
   */
  publish(group: string, type: string, data: unknown): Promise<number> {
    if (!TYPE.test(type)) {
      throw new TypeError(
        `Group event type ${JSON.stringify(type.slice(0, 64))} is not valid`,
      );
    }
    const json = JSON.stringify({
      v: VERSION,
      origin: this.#origin,
      type,
      data,
    });
    const bytes = new TextEncoder().encode(json).length;
    if (bytes > this.#maxBytes) {
      throw new RangeError(
        `Group event of ${bytes} bytes exceeds the ${this.#maxBytes} allowed`,
      );
    }
    return this.#connection.publish(groupEventsChannel(group), json);
  }

  /**
   * Calls `handler` with each event other edges publish for `group`, until
   * the returned function is called. A handler that throws is logged.
   */
  subscribe(
    group: string,
    handler: (event: GroupEvent) => void,
  ): Promise<() => Promise<void>> {
    return this.#connection.subscribe(groupEventsChannel(group), (message) => {
      const event = this.#parse(group, message);
      if (event !== undefined && event.origin !== this.#origin) handler(event);
    });
  }

  #parse(group: string, message: string): GroupEvent | undefined {
    const where = `group ${JSON.stringify(group.slice(0, 100))}`;
    // UTF-16 length × 3 bounds the UTF-8 size: encode only when it matters.
    if (
      message.length * 3 > this.#maxBytes &&
      new TextEncoder().encode(message).length > this.#maxBytes
    ) {
      this.#log(
        `${where}: dropped an event of more than ${this.#maxBytes} bytes`,
      );
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(message);
    } catch {
      this.#log(`${where}: dropped an event that is not JSON`);
      return undefined;
    }
    const v =
      (typeof value === "object" && value !== null ? value : {}) as Record<
        string,
        unknown
      >;
    const { origin, type } = v;
    if (
      v["v"] !== VERSION || typeof origin !== "string" ||
      !ORIGIN.test(origin) ||
      typeof type !== "string" || !TYPE.test(type) || !("data" in v)
    ) {
      this.#log(`${where}: dropped an event of an unknown form`);
      return undefined;
    }
    return { origin, type, data: v["data"] };
  }
}
