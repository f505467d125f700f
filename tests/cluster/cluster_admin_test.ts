/**
 * The admin API's `.stats` on cluster edges: each edge lists the members
 * of every edge in a group (its mirror of the others' members), with the
 * figures of their connections from the group's media node: a publisher
 * on edge 1 shows its up connection on edge 2, and the subscriber of edge
 * 2 its down connection on edge 1.
 *
 * @module
 */

import { ok, strictEqual } from "node:assert/strict";
import {
  startMediaProcess,
  TEST_SECRET,
} from "../media_node/support/remote_node.ts";
import { Publisher } from "../support/publisher.ts";
import { startRedisServer } from "../support/redis_server.ts";
import { Subscriber } from "../support/subscriber.ts";
import { waitFor } from "../support/wait_for.ts";
import { connect, type WsClient } from "../support/ws_client.ts";
import { startEdgeProcess } from "./support/edge_process.ts";
import { clusterRoot, mediaNodesRegistered } from "./support/cluster_setup.ts";

interface Client {
  id: string;
  username?: string;
  up: { id: string; tracks: unknown[] }[];
  down: { id: string; tracks: unknown[] }[];
}

async function stats(http: string): Promise<Client[]> {
  const res = await fetch(`${http}/galene-api/v0/.stats`, {
    headers: { Authorization: `Basic ${btoa("root:rootpw")}` },
  });
  strictEqual(res.status, 200);
  const groups = await res.json() as { name: string; clients: Client[] }[];
  return groups.find((g) => g.name === "g")?.clients ?? [];
}

Deno.test({
  name:
    "two edges: .stats on each edge lists the members of both, with their up and down connections",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot();
    await Deno.writeTextFile(
      `${root}/data/config.json`,
      JSON.stringify({
        clusterSecret: TEST_SECRET,
        users: { root: { password: "rootpw", permissions: "admin" } },
      }),
    );
    const media = await startMediaProcess({
      recordingsDir: `${root}/recordings`,
      redisUrl: redis.url,
    });
    const clients: WsClient[] = [];
    let publisher: Publisher | undefined;
    let subscriber: Subscriber | undefined;
    const member = async (url: string, name: string) => {
      const c = await connect(url);
      clients.push(c);
      await c.handshake();
      await c.join("g", name, "any");
      return c;
    };
    try {
      await mediaNodesRegistered(redis.url, 1);
      await using edge1 = await startEdgeProcess(root, redis.url);
      await using edge2 = await startEdgeProcess(root, redis.url);
      const carrot = await member(edge1.ws, "carrot");
      const vimes = await member(edge2.ws, "vimes");
      await carrot.next({ type: "user", kind: "add", id: vimes.id });
      subscriber = new Subscriber(vimes);
      subscriber.start();
      publisher = new Publisher(carrot);
      strictEqual((await publisher.offer())["type"], "answer");
      await subscriber.receives(publisher.id, 50, 15_000);

      for (const edge of [edge1, edge2]) {
        const list = await waitFor("both members with figures", async () => {
          const list = await stats(edge.http);
          const c = list.find((c) => c.id === carrot.id);
          const v = list.find((c) => c.id === vimes.id);
          return c?.up.length === 1 && v?.down.length === 1 ? list : undefined;
        });
        strictEqual(list.length, 2, JSON.stringify(list));
        const c = list.find((c) => c.id === carrot.id)!;
        strictEqual(c.username, "carrot");
        ok(c.up[0]!.tracks.length === 2, JSON.stringify(c));
      }
    } finally {
      await subscriber?.close();
      await publisher?.close();
      for (const c of clients) await c.close();
      await media.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
});
