/**
 * The registry of live media nodes, in Redis. A media node registers its
 * id, control URL, capacity and current load under `nereid:node:<id>` with
 * a 5 s time to live (`PX 5000`) that its heartbeat refreshes every second,
 * and adds its id to an index; an edge lists the nodes whose record is
 * still there. A node that dies stops refreshing and is gone within 5 s;
 * one that stops cleanly deregisters at once. After Redis restarts (empty),
 * the next heartbeat registers the node again.
 *
 * @example
 * ```ts
 * const heartbeat = await registerMediaNode(connection, () => ({
 *   id: "media-1", controlUrl: "https://media-1.example:8444/control",
 *   capacity: 500, load: openConnections, // kept up to date from the node's events
 * }), { log });
 * const nodes = await listMediaNodes(connection); // on an edge
 * await heartbeat.stop();
 * ```
 *
 * @module
 */

import { MEDIA_NODE_INDEX, mediaNodeKey } from "./cluster_keys.ts";
import { compareAndDelete } from "./redis_scripts.ts";
import {
  type RedisConnection,
  RedisUnavailableError,
} from "./redis_connection.ts";

/** What a media node says about itself. */
export interface MediaNodeInfo {
  /** 1 to 64 characters: letters, digits, `.`, `_`, `-`. */
  id: string;
  /** Where edges reach its control endpoint (http, https, ws or wss). */
  controlUrl: string;
  /** How many media connections it accepts. */
  capacity: number;
  /** How many it has now. */
  load: number;
}

/** A registered node as edges see it. */
export interface MediaNodeRecord extends MediaNodeInfo {
  /** Random per process: a new value means the node restarted. */
  incarnation: string;
}

/** Options of {@link registerMediaNode}. */
export interface HeartbeatOptions {
  log: (message: string) => void;
  /** Time between two refreshes (default 1000 ms). */
  refreshMs?: number;
  /** The record's time to live (default 5000 ms). */
  ttlMs?: number;
}

const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_URL_LENGTH = 2048;
// Listing reads at most this many nodes; far more than a cluster has.
const MAX_LISTED = 1000;

/**
 * Checks a node's description.
 *
 * @throws {TypeError} Naming `where` and the field at fault.
 */
export function parseMediaNodeInfo(
  value: unknown,
  where: string,
): MediaNodeInfo {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${where} must be an object`);
  }
  const v = value as Record<string, unknown>;
  const { id, controlUrl, capacity, load } = v;
  if (typeof id !== "string" || !NODE_ID.test(id)) {
    throw new TypeError(
      `${where} "id" must be 1 to 64 letters, digits, ".", "_" or "-"`,
    );
  }
  if (
    typeof controlUrl !== "string" || controlUrl.length > MAX_URL_LENGTH ||
    !/^(https?|wss?):$/.test(URL.parse(controlUrl)?.protocol ?? "")
  ) {
    throw new TypeError(
      `${where} "controlUrl" must be an http(s) or ws(s) URL`,
    );
  }
  if (!Number.isSafeInteger(capacity) || (capacity as number) < 1) {
    throw new TypeError(`${where} "capacity" must be a positive integer`);
  }
  if (!Number.isSafeInteger(load) || (load as number) < 0) {
    throw new TypeError(`${where} "load" must be a non-negative integer`);
  }
  return {
    id,
    controlUrl,
    capacity: capacity as number,
    load: load as number,
  };
}

/** Keeps one media node registered; see the module documentation. */
export class MediaNodeHeartbeat {
  readonly #connection: RedisConnection;
  readonly #describe: () => MediaNodeInfo;
  readonly #log: (message: string) => void;
  readonly #refreshMs: number;
  readonly #ttlMs: number;
  readonly #incarnation = crypto.randomUUID();
  #nodeId: string | undefined;
  #lastWritten: string | undefined;
  #registered = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    connection: RedisConnection,
    describe: () => MediaNodeInfo,
    options: HeartbeatOptions,
  ) {
    this.#connection = connection;
    this.#describe = describe;
    this.#log = options.log;
    this.#refreshMs = options.refreshMs ?? 1000;
    this.#ttlMs = options.ttlMs ?? 5000;
    if (!(this.#refreshMs > 0 && this.#refreshMs < this.#ttlMs)) {
      throw new RangeError(
        "Heartbeat refreshMs must be positive and shorter than ttlMs",
      );
    }
  }

  /** Whether the last refresh reached Redis. */
  get registered(): boolean {
    return this.#registered;
  }

  /** This process's incarnation, as written in the record. */
  get incarnation(): string {
    return this.#incarnation;
  }

  /** Registers now, then every `refreshMs` until {@link stop}. */
  async start(): Promise<void> {
    if (this.#timer !== undefined || this.#stopped) return;
    await this.#tick();
  }

  /** Stops refreshing and removes the record. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#inFlight;
    const id = this.#nodeId;
    const written = this.#lastWritten;
    if (id === undefined || written === undefined) return;
    try {
      await compareAndDelete(this.#connection, mediaNodeKey(id), written);
      await this.#connection.command((r) => r.zrem(MEDIA_NODE_INDEX, id));
    } catch (error) {
      if (!(error instanceof RedisUnavailableError)) throw error;
      // Unreachable: the record expires by itself within ttlMs.
    }
    this.#registered = false;
  }

  async #tick(): Promise<void> {
    this.#inFlight = this.#refresh();
    await this.#inFlight;
    if (!this.#stopped) {
      this.#timer = setTimeout(() => {
        this.#tick().catch((error) => {
          // Only the logger itself can throw here: keep beating.
          console.error(`media node heartbeat: ${errorText(error)}`);
        });
      }, this.#refreshMs);
    }
  }

  async #refresh(): Promise<void> {
    let info: MediaNodeInfo;
    try {
      info = parseMediaNodeInfo(this.#describe(), "media node");
    } catch (error) {
      this.#log(`media node heartbeat: ${errorText(error)}`);
      this.#registered = false;
      return;
    }
    const record: MediaNodeRecord = { ...info, incarnation: this.#incarnation };
    const json = JSON.stringify(record);
    try {
      await this.#connection.command((r) =>
        r.multi()
          .set(mediaNodeKey(info.id), json, "PX", this.#ttlMs)
          .zadd(MEDIA_NODE_INDEX, Date.now(), info.id)
          .exec()
      );
      this.#nodeId = info.id;
      this.#lastWritten = json;
      this.#registered = true;
    } catch (error) {
      // Unreachable Redis is logged by the connection, once.
      if (!(error instanceof RedisUnavailableError)) {
        this.#log(
          `media node ${info.id}: heartbeat failed: ${errorText(error)}`,
        );
      }
      this.#registered = false;
    }
  }
}

/**
 * Registers a media node and keeps it registered; `describe` is called at
 * each refresh, so the load written is always the current one. Resolves
 * after the first attempt (Redis may be unreachable: the heartbeat goes on).
 *
 * @throws {RangeError} When `refreshMs` is not below `ttlMs`.
 */
export async function registerMediaNode(
  connection: RedisConnection,
  describe: () => MediaNodeInfo,
  options: HeartbeatOptions,
): Promise<MediaNodeHeartbeat> {
  const heartbeat = new MediaNodeHeartbeat(connection, describe, options);
  await heartbeat.start();
  return heartbeat;
}

/**
 * The media nodes registered now, by id. Records that do not parse are
 * skipped (and logged when `log` is given); ids whose record expired are
 * dropped from the index.
 *
 * @throws {RedisUnavailableError} When Redis is unreachable.
 */
export async function listMediaNodes(
  connection: RedisConnection,
  options: { log?: (message: string) => void } = {},
): Promise<MediaNodeRecord[]> {
  const ids = await connection.command((r) =>
    r.zrange(MEDIA_NODE_INDEX, 0, String(MAX_LISTED - 1))
  );
  if (ids.length === 0) return [];
  const values = await connection.command((r) => r.mget(ids.map(mediaNodeKey)));
  const nodes: MediaNodeRecord[] = [];
  const expired: string[] = [];
  ids.forEach((id, i) => {
    const value = values[i];
    if (value === null || value === undefined) {
      expired.push(id);
      return;
    }
    try {
      nodes.push(parseRecord(value, id));
    } catch (error) {
      options.log?.(
        `media node registry: skipped a record: ${errorText(error)}`,
      );
    }
  });
  if (expired.length > 0) {
    await connection.command((r) => r.zrem(MEDIA_NODE_INDEX, ...expired));
  }
  return nodes.sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function parseRecord(json: string, id: string): MediaNodeRecord {
  const where = `node ${JSON.stringify(id.slice(0, 64))}`;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new TypeError(`${where} is not JSON`);
  }
  const info = parseMediaNodeInfo(value, where);
  const incarnation = (value as Record<string, unknown>)["incarnation"];
  if (typeof incarnation !== "string" || incarnation.length > 64) {
    throw new TypeError(`${where} "incarnation" must be a short string`);
  }
  if (info.id !== id) throw new TypeError(`${where} holds another node's id`);
  return { ...info, incarnation };
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, 200);
}
