/**
 * `-role media`: a media node process. The in-process node (werift,
 * media-wasm, the fast path, the recorders) behind its control endpoint
 * (media_control.ts), registered in Redis with its advertised control URL,
 * capacity and load when a Redis URL is given (media_node_registry.ts:
 * refreshed every second, gone 5 s after the process dies). On the same
 * port it serves its recordings to edges (node_recordings.ts). It serves
 * no web client and no group.
 *
 * The media modules are imported when a node starts, so that a process
 * that never starts one (an edge) never loads them.
 *
 * @module
 */

import type { MediaNodeHeartbeat } from "./media_node_registry.ts";
import type { RedisConnection } from "./redis_connection.ts";

/** How long a starting node waits for Redis before its first heartbeat (ms). */
const REGISTER_WAIT_MS = 3000;

/** How many media connections a node accepts by default. */
export const DEFAULT_CAPACITY = 500;

/** Options of {@link startMediaRole}. */
export interface MediaRoleOptions {
  /** 1 to 64 letters, digits, `.`, `_` or `-`. */
  nodeId: string;
  /** Where the control endpoint listens. */
  hostname: string;
  port: number;
  /**
   * The control URL edges are told (default `ws://HOST:PORT/control` with
   * the listening address, or this machine's name when that is a wildcard).
   */
  advertisedUrl?: string;
  /** The cluster's shared secret (never logged). */
  secret: string;
  recordingsDir: string;
  udpPortRange?: [number, number];
  /** Registers the node there when given. */
  redisUrl?: string;
  capacity?: number;
  /** Gather IPv4 loopback candidates only (tests). */
  loopbackOnly?: boolean;
  log(message: string): void;
}

/** A running media node. */
export interface MediaRole {
  /** The control URL it advertises. */
  readonly url: string;
  /** The control endpoint's own URL (another when advertised otherwise). */
  readonly endpoint: string;
  /** Unregisters, stops listening, closes every connection and recording. */
  close(): Promise<void>;
}

function advertised(options: MediaRoleOptions, port: number): string {
  if (options.advertisedUrl) return options.advertisedUrl;
  const wildcard = options.hostname === "0.0.0.0" ||
    options.hostname === "::" || options.hostname === "";
  const host = wildcard ? Deno.hostname() : options.hostname;
  return `ws://${host.includes(":") ? `[${host}]` : host}:${port}/control`;
}

/**
 * Starts a media node: resolves once it listens and, when Redis answers
 * within 3 s, is registered.
 */
export async function startMediaRole(
  options: MediaRoleOptions,
): Promise<MediaRole> {
  const [
    { LocalMediaNode },
    { RecordingWasm },
    { EdgeTokens },
    control,
    { FolderRecordings },
    { nodeRecordingsHandler },
  ] = await Promise.all([
    import("../media/local/local_media_node.ts"),
    import("../../media-wasm/recording.ts"),
    import("./edge_token.ts"),
    import("./media_control.ts"),
    import("../http/recording_store.ts"),
    import("./node_recordings.ts"),
  ]);
  const tokens = new EdgeTokens(options.secret);
  const node = new LocalMediaNode({
    recordings: {
      dir: options.recordingsDir,
      wasm: () => RecordingWasm.load(),
    },
    ...(options.udpPortRange ? { udpPortRange: options.udpPortRange } : {}),
    ...(options.loopbackOnly ? { loopbackOnly: true } : {}),
    log: options.log,
  });
  const server = control.serveMediaControl({
    node,
    nodeId: options.nodeId,
    tokens,
    log: options.log,
    hostname: options.hostname,
    port: options.port,
    recordings: nodeRecordingsHandler({
      store: new FolderRecordings(options.recordingsDir),
      nodeId: options.nodeId,
      tokens,
    }),
  });
  const port = Number(new URL(server.url).port);
  const url = advertised(options, port);
  options.log(
    `media node ${options.nodeId}: control endpoint ${server.url}, advertised as ${url}`,
  );
  let redis: RedisConnection | undefined;
  let heartbeat: MediaNodeHeartbeat | undefined;
  let load = 0;
  let loadTimer: ReturnType<typeof setInterval> | undefined;
  if (options.redisUrl) {
    const [{ openRedisConnection }, { registerMediaNode }] = await Promise.all([
      import("./redis_connection.ts"),
      import("./media_node_registry.ts"),
    ]);
    redis = openRedisConnection(options.redisUrl, {
      log: options.log,
      name: "nereid-media",
    });
    // Registered before it says it listens, unless Redis is slow to
    // answer: then the heartbeat registers it as soon as Redis is there.
    let wait: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      redis.whenUp().catch(() => {}),
      new Promise((r) => (wait = setTimeout(r, REGISTER_WAIT_MS))),
    ]);
    clearTimeout(wait);
    loadTimer = setInterval(() => {
      node.stats().then((s) => (load = s.length), () => {});
    }, 1000);
    heartbeat = await registerMediaNode(redis, () => ({
      id: options.nodeId,
      controlUrl: url,
      capacity: options.capacity ?? DEFAULT_CAPACITY,
      load,
    }), { log: options.log });
  }
  return {
    url,
    endpoint: server.url,
    async close() {
      clearInterval(loadTimer);
      await heartbeat?.stop();
      await redis?.close();
      await server.close();
      await node.close();
    },
  };
}
