/**
 * `autolock` and `autokick` in a cluster are decided once, when the last
 * operator of the group leaves across all edges: by the edge that held
 * it, or, when that edge is killed, by one of the others. Members of
 * every edge see one lock (one `joined` `change`), are kicked by the
 * deciding edge, and later joins are refused on every edge.
 *
 * @module
 */

import { strictEqual } from "node:assert/strict";
import { groupLockKey } from "../../server/cluster/cluster_keys.ts";
import { openRedisConnection } from "../../server/cluster/redis_connection.ts";
import { openGroup } from "../support/groups.ts";
import { startRedisServer } from "../support/redis_server.ts";
import { waitFor } from "../support/wait_for.ts";
import { connect, type Message, type WsClient } from "../support/ws_client.ts";
import { startEdgeProcess } from "./support/edge_process.ts";
import { clusterRoot } from "./support/cluster_setup.ts";

const GROUP = openGroup({
  users: { vimes: { password: "p", permissions: "op" } },
});

/** The `joined` `change` messages a client got from `from` on. */
function changes(c: WsClient, from: number): Message[] {
  return c.history.slice(from).filter((m) =>
    m["type"] === "joined" && m["kind"] === "change"
  );
}

function locked(m: Message | undefined): boolean {
  return (m?.["status"] as Record<string, unknown> | undefined)?.["locked"] ===
    true;
}

/** Sends a chat from `from` and waits until `to` has it. */
async function chatReaches(from: WsClient, to: WsClient, text: string) {
  from.chat(text);
  await to.next({ type: "chat", value: text }, 15_000);
}

interface Cluster {
  join(url: string, group: string, name: string): Promise<{
    c: WsClient;
    joined: Message;
  }>;
  /** vimes, an operator, joins `group` at `url` and unlocks it. */
  opUnlocks(url: string, group: string): Promise<WsClient>;
}

async function withCluster(
  groups: Record<string, unknown>,
  body: (
    root: string,
    redisUrl: string,
    cluster: Cluster,
  ) => Promise<void>,
): Promise<void> {
  await using redis = await startRedisServer();
  const root = await clusterRoot(groups);
  const watcher = openRedisConnection(redis.url, { log: () => {} });
  const clients: WsClient[] = [];
  const cluster: Cluster = {
    async join(url, group, name) {
      const c = await connect(url);
      clients.push(c);
      await c.handshake();
      return {
        c,
        joined: await c.join(group, name, name === "vimes" ? "p" : "x"),
      };
    },
    async opUnlocks(url, group) {
      const { c, joined } = await cluster.join(url, group, "vimes");
      strictEqual(joined["kind"], "join");
      c.send({ type: "groupaction", kind: "unlock" });
      await watcher.whenUp();
      // The next edge to follow the group reads the lock from Redis.
      await waitFor(
        "the unlock to be kept",
        async () =>
          (await watcher.command((r) => r.get(groupLockKey(group)))) ===
            JSON.stringify({ message: null }),
      );
      return c;
    },
  };
  try {
    await body(root, redis.url, cluster);
  } finally {
    for (const c of clients) await c.close();
    await watcher.close();
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test({
  name:
    "two edges: when the last operator leaves, autolock locks the group once for both edges' members",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withCluster({ g: { ...GROUP, autolock: true } }, async (
      root,
      redisUrl,
      { join, opUnlocks },
    ) => {
      await using edge1 = await startEdgeProcess(root, redisUrl);
      await using edge2 = await startEdgeProcess(root, redisUrl);
      const vimes = await opUnlocks(edge1.ws, "g");
      const { c: detritus } = await join(edge1.ws, "g", "detritus");
      const { c: carrot, joined } = await join(edge2.ws, "g", "carrot");
      strictEqual(joined["kind"], "join");
      await vimes.next({ type: "user", kind: "add", id: carrot.id });
      const marks = [detritus.history.length, carrot.history.length];

      await vimes.close();
      await carrot.next({ type: "user", kind: "delete", id: vimes.id });
      // Each edge's events are in order: a chat from each edge, heard on
      // the other, comes after any lock that edge published.
      await chatReaches(detritus, carrot, "from edge 1");
      await chatReaches(carrot, detritus, "from edge 2");
      for (const [c, from] of [[detritus, marks[0]], [carrot, marks[1]]]) {
        const seen = changes(c as WsClient, from as number);
        strictEqual(seen.length, 1, JSON.stringify(seen));
        strictEqual(locked(seen[0]), true);
      }
      const { joined: refused } = await join(edge2.ws, "g", "nobby");
      strictEqual(refused["kind"], "fail");
      strictEqual(refused["value"], "this group is locked");
    });
  },
});

Deno.test({
  name:
    "two edges: when the last operator leaves, autokick kicks everyone from its edge, and joins are refused on both",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withCluster({ g: { ...GROUP, autokick: true } }, async (
      root,
      redisUrl,
      { join },
    ) => {
      await using edge1 = await startEdgeProcess(root, redisUrl);
      await using edge2 = await startEdgeProcess(root, redisUrl);
      const { c: vimes } = await join(edge1.ws, "g", "vimes");
      const { c: angua } = await join(edge1.ws, "g", "angua");
      const { c: carrot } = await join(edge2.ws, "g", "carrot");
      await vimes.next({ type: "user", kind: "add", id: carrot.id });

      await vimes.close();
      for (const c of [angua, carrot]) {
        const kicked = await c.next({ type: "usermessage", kind: "kicked" });
        strictEqual(kicked["value"], "there are no operators in this group");
        await c.closed;
      }
      // Edge 2 kicked carrot because edge 1 said so, not on its own.
      await waitFor(
        "edge 2 to log the kick from edge 1",
        () =>
          edge2.log.some((l) => l.includes(`${carrot.id} kicked from edge`)),
      );
      for (const url of [edge1.ws, edge2.ws]) {
        const { joined } = await join(url, "g", "nobby");
        strictEqual(joined["value"], "there are no operators in this group");
      }
    });
  },
});

Deno.test({
  name:
    "three edges: when the edge holding the last operator is killed, one of the others locks the group, once",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withCluster({ g: { ...GROUP, autolock: true } }, async (
      root,
      redisUrl,
      { join, opUnlocks },
    ) => {
      await using edge1 = await startEdgeProcess(root, redisUrl);
      await using edge2 = await startEdgeProcess(root, redisUrl);
      await using edge3 = await startEdgeProcess(root, redisUrl);
      const vimes = await opUnlocks(edge2.ws, "g");
      const { c: carrot } = await join(edge1.ws, "g", "carrot");
      const { c: nobby } = await join(edge3.ws, "g", "nobby");
      await carrot.next({ type: "user", kind: "add", id: nobby.id });
      await nobby.next({ type: "user", kind: "add", id: vimes.id });
      const marks = [carrot.history.length, nobby.history.length];

      edge2.child.kill("SIGKILL");
      for (const c of [carrot, nobby]) {
        await c.next({ type: "user", kind: "delete", id: vimes.id }, 10_000);
        await waitFor("the lock", () => c.has({ type: "joined" }));
      }
      await chatReaches(carrot, nobby, "from edge 1");
      await chatReaches(nobby, carrot, "from edge 3");
      for (const [c, from] of [[carrot, marks[0]], [nobby, marks[1]]]) {
        const seen = changes(c as WsClient, from as number);
        strictEqual(seen.length, 1, JSON.stringify(seen));
        strictEqual(locked(seen[0]), true);
      }
    });
  },
});
