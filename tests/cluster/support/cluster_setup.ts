/**
 * What the cluster tests set up the same way: a root with the cluster
 * secret and group `g` (anyone may join and publish), members of `g` on an
 * edge, media node processes registered in Redis, and the usual pair of
 * edges with carrot on the first and vimes on the second, each seeing the
 * other.
 *
 * @module
 */

import { listMediaNodes } from "../../../server/cluster/media_node_registry.ts";
import { openRedisConnection } from "../../../server/cluster/redis_connection.ts";
import {
  type MediaProcess,
  startMediaProcess,
  TEST_SECRET,
} from "../../media_node/support/remote_node.ts";
import { openGroup } from "../../support/groups.ts";
import { waitFor } from "../../support/wait_for.ts";
import { joinedClient, type WsClient } from "../../support/ws_client.ts";
import { type EdgeProcess, startEdgeProcess } from "./edge_process.ts";

/** A directory with `data/` (the cluster secret) and `groups/`. */
export async function clusterRoot(
  groups: Record<string, unknown> = { g: openGroup() },
): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "nereid-cluster-" });
  await Deno.mkdir(`${root}/data`);
  await Deno.mkdir(`${root}/groups`);
  await Deno.writeTextFile(
    `${root}/data/config.json`,
    JSON.stringify({ clusterSecret: TEST_SECRET }),
  );
  for (const [name, description] of Object.entries(groups)) {
    await Deno.writeTextFile(
      `${root}/groups/${name}.json`,
      JSON.stringify(description),
    );
  }
  return root;
}

/** A client of the edge at `ws` joined to group `g` (any password). */
export function member(ws: string, username: string): Promise<WsClient> {
  return joinedClient(ws, { group: "g", username, password: "any" });
}

/**
 * Resolves once `count` media nodes are registered in the Redis at
 * `redisUrl`: a node's first heartbeat may come before its Redis link is up.
 */
export async function mediaNodesRegistered(
  redisUrl: string,
  count: number,
): Promise<void> {
  const watcher = openRedisConnection(redisUrl, { log: () => {} });
  try {
    await watcher.whenUp();
    await waitFor(
      `${count} media node(s) to register`,
      async () => (await listMediaNodes(watcher)).length === count,
    );
  } finally {
    await watcher.close();
  }
}

/**
 * Starts media node processes `ids` (recordings in `root/recordings-ID`)
 * and resolves once they are registered.
 */
export async function startMediaNodes(
  root: string,
  options: { redisUrl: string; ids: string[] },
): Promise<MediaProcess[]> {
  const nodes = await Promise.all(
    options.ids.map((nodeId) =>
      startMediaProcess({
        recordingsDir: `${root}/recordings-${nodeId}`,
        nodeId,
        redisUrl: options.redisUrl,
      })
    ),
  );
  await mediaNodesRegistered(options.redisUrl, options.ids.length);
  return nodes;
}

/** Two edges, carrot on the first and vimes on the second. */
export interface TwoEdges extends AsyncDisposable {
  readonly edge1: EdgeProcess;
  readonly edge2: EdgeProcess;
  readonly carrot: WsClient;
  readonly vimes: WsClient;
}

/**
 * Starts two edges over `root`, joins carrot on the first and vimes on the
 * second, and resolves once carrot sees vimes; disposing of it closes the
 * clients and stops the edges.
 */
export async function twoEdges(
  root: string,
  redisUrl: string,
): Promise<TwoEdges> {
  const edges: EdgeProcess[] = [];
  const clients: WsClient[] = [];
  const dispose = async () => {
    for (const c of clients) await c.close();
    for (const e of edges) await e.stop();
  };
  try {
    edges.push(await startEdgeProcess(root, redisUrl));
    edges.push(await startEdgeProcess(root, redisUrl));
    const [edge1, edge2] = edges as [EdgeProcess, EdgeProcess];
    const carrot = await member(edge1.ws, "carrot");
    clients.push(carrot);
    const vimes = await member(edge2.ws, "vimes");
    clients.push(vimes);
    await carrot.next({ type: "user", kind: "add", id: vimes.id });
    return { edge1, edge2, carrot, vimes, [Symbol.asyncDispose]: dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}
