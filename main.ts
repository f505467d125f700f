/**
 * Nereid's entry point: `deno run -A main.ts [flags]`. `-role all` (the
 * default) runs everything in this process; `-role edge` serves HTTP and
 * signalling and drives remote media nodes (ClusterMediaNode); `-role
 * media` runs a media node (server/cluster/media_role.ts). Each role
 * imports only its own modules: an edge loads neither werift nor
 * media-wasm nor the FFI fast path.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import {
  defaultFlags,
  type Flags,
  listenAddress,
  parseFlags,
  role,
  udpPortRange,
  usage,
  UsageError,
} from "./server/flags.ts";
import { ctlMain } from "./server/ctl/ctl_main.ts";
import { installProcessGuard } from "./server/process_guard.ts";
import { ConfigStore } from "./server/config/description_store.ts";
import type { MediaNode } from "./server/media/media_node.ts";
import type { Group } from "./server/group/group.ts";
import type { RecordingStore } from "./server/http/recording_store.ts";
import { startServer } from "./server/server.ts";

/** Resolves on SIGINT or SIGTERM. */
function signalled(): Promise<void> {
  const stop = Promise.withResolvers<void>();
  const onSignal = () => stop.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  return stop.promise;
}

/** The cluster secret from `data/config.json`; exits with 2 without one. */
async function clusterSecret(dataDir: string): Promise<string | undefined> {
  const store = new ConfigStore({ dataDir, log: (m) => console.error(m) });
  const secret = (await store.get()).clusterSecret;
  if (secret === undefined) {
    console.error(
      `nereid: -role edge and -role media need "clusterSecret" (at least 32 bytes) in ${dataDir}/config.json`,
    );
  }
  return secret;
}

// A name that fits node and edge ids: letters, digits, ".", "_", "-".
function idOf(prefix: string, ...parts: string[]): string {
  return [prefix, ...parts].join("-").replace(/[^A-Za-z0-9._-]/g, "_")
    .slice(0, 64);
}

async function mediaMain(
  flags: Flags,
  range: [number, number] | undefined,
): Promise<number> {
  const secret = await clusterSecret(flags.data);
  if (secret === undefined) return 2;
  const { startMediaRole } = await import("./server/cluster/media_role.ts");
  const control = listenAddress(flags.mediaListen);
  const nodeId = flags.nodeId || idOf("media", Deno.hostname());
  const media = await startMediaRole({
    nodeId,
    ...control,
    ...(flags.mediaUrl ? { advertisedUrl: flags.mediaUrl } : {}),
    secret,
    recordingsDir: flags.recordings,
    ...(range ? { udpPortRange: range } : {}),
    ...(flags.redis ? { redisUrl: flags.redis } : {}),
    log: (m) => console.log(m),
  });
  console.log(`Nereid media node ${nodeId} listening on ${media.url}`);
  await signalled();
  console.log("Shutting down");
  await media.close();
  return 0;
}

/** What an edge holds of the cluster. */
interface Cluster {
  media: MediaNode;
  shareGroup(group: Group): void;
  recordings: RecordingStore;
  close(): Promise<void>;
}

/**
 * The edge's media plane (the cluster's nodes), its sharing of group
 * state with the other edges, through Redis, and its view of every
 * node's recordings.
 */
async function clusterMedia(
  flags: Flags,
  secret: string,
): Promise<Cluster> {
  const [
    { openRedisConnection },
    { ClusterMediaNode },
    { EdgeTokens },
    { GroupEvents },
    { SharedChatHistory },
    { GroupReplicator },
    { ClusterRecordings },
    { FolderRecordings },
  ] = await Promise.all([
    import("./server/cluster/redis_connection.ts"),
    import("./server/cluster/cluster_media_node.ts"),
    import("./server/cluster/edge_token.ts"),
    import("./server/cluster/group_events.ts"),
    import("./server/cluster/shared_chat_history.ts"),
    import("./server/cluster/group_replication.ts"),
    import("./server/cluster/cluster_recordings.ts"),
    import("./server/http/recording_store.ts"),
  ]);
  const log = (m: string) => console.log(m);
  const redis = openRedisConnection(flags.redis, { log, name: "nereid-edge" });
  const edgeId = idOf("edge", Deno.hostname(), String(Deno.pid));
  const tokens = new EdgeTokens(secret);
  const media = new ClusterMediaNode({ redis, edgeId, tokens, log });
  const replicator = new GroupReplicator({
    redis,
    events: new GroupEvents(redis, { origin: edgeId, log }),
    history: new SharedChatHistory(redis),
    log,
  });
  return {
    media,
    shareGroup: (group) => replicator.attach(group),
    recordings: new ClusterRecordings({
      local: new FolderRecordings(flags.recordings),
      redis,
      tokens,
      edgeId,
      log,
    }),
    close: () => redis.close(),
  };
}

async function main(args: string[]): Promise<number> {
  const staticDir = fileURLToPath(new URL("./client/", import.meta.url));
  let flags;
  let address;
  let range;
  try {
    flags = parseFlags(args, defaultFlags(staticDir));
    if (flags.help) {
      console.log(usage());
      return 0;
    }
    address = listenAddress(flags.http);
    range = udpPortRange(flags.udpRange);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`nereid: ${e.message}\n\n${usage()}`);
    return 2;
  }
  // One connection's failure is never the process's: what escapes every
  // connection's own guard is logged, and the server goes on.
  installProcessGuard((line) => console.log(line));
  const r = role(flags);
  if (r === "media") return await mediaMain(flags, range);
  let cluster: Cluster | undefined;
  if (r === "edge") {
    const secret = await clusterSecret(flags.data);
    if (secret === undefined) return 2;
    cluster = await clusterMedia(flags, secret);
  }
  const server = await startServer({
    ...address,
    dataDir: flags.data,
    groupsDir: flags.groups,
    recordingsDir: flags.recordings,
    staticDir: flags.static,
    insecure: flags.insecure,
    relayOnly: flags.relayOnly,
    // An edge opens no UDP socket: its TURN server, if any, is elsewhere.
    turn: r === "edge" ? "" : flags.turn,
    ...(flags.turnTls ? { turnTlsPort: Number(flags.turnTls) } : {}),
    ...(range ? { udpPortRange: range } : {}),
    ...(cluster
      ? {
        media: cluster.media,
        shareGroup: cluster.shareGroup,
        recordingStore: cluster.recordings,
      }
      : {}),
  });
  console.log(
    `Nereid ${r === "edge" ? "edge " : ""}listening on ${server.url}/`,
  );
  await signalled();
  console.log("Shutting down");
  await server.shutdown("server is shutting down");
  await cluster?.close();
  return 0;
}

if (import.meta.main) {
  Deno.exit(
    Deno.args[0] === "ctl"
      ? await ctlMain(Deno.args.slice(1))
      : await main(Deno.args),
  );
}
