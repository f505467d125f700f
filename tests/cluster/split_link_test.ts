/**
 * One edge alone loses its link to the media node carrying a group, which
 * the other edge still reaches (two edges, two media nodes, Redis, each its
 * own process; edge 1 reaches node m1 through a TCP forwarder that the test
 * cuts). Edge 1's publisher is told `abort` `media-lost` and publishes
 * again, which moves the group to m2; edge 2's publisher, whose stream on
 * m1 was still fine, is told `media-lost` too and publishes again there, so
 * that the group is whole on m2 and each side receives the other's new
 * stream.
 *
 * @module
 */

import assert from "node:assert/strict";
import { groupNodeKey } from "../../server/cluster/cluster_keys.ts";
import { placementOf } from "../../server/cluster/group_placement.ts";
import { listMediaNodes } from "../../server/cluster/media_node_registry.ts";
import { openRedisConnection } from "../../server/cluster/redis_connection.ts";
import {
  type MediaProcess,
  startMediaProcess,
} from "../media_node/support/remote_node.ts";
import { Publisher } from "../support/publisher.ts";
import { startRedisServer } from "../support/redis_server.ts";
import { Subscriber } from "../support/subscriber.ts";
import { waitFor } from "../support/wait_for.ts";
import { connect, type WsClient } from "../support/ws_client.ts";
import { startEdgeProcess } from "./support/edge_process.ts";
import { clusterRoot } from "./support/cluster_setup.ts";
import { startTcpSwitch } from "./support/tcp_switch.ts";

const GROUPS = {
  g: {
    "wildcard-user": { password: { type: "wildcard" }, permissions: "present" },
  },
};

async function member(url: string, name: string): Promise<WsClient> {
  const client = await connect(url);
  await client.handshake();
  const joined = await client.join("g", name, "any");
  assert.equal(joined["kind"], "join", JSON.stringify(joined));
  return client;
}

Deno.test({
  name:
    "one edge loses its link to the group's node, the other edge does not: the group moves whole to the other node (the other edge's streams end as media-lost and come back there), and each side receives the other's new stream",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot(GROUPS);
    const watcher = openRedisConnection(redis.url, { log: () => {} });
    // Every connection to m1 goes through the link; edge 1's comes first.
    await using link = startTcpSwitch(null);
    const clients: WsClient[] = [];
    const publishers: Publisher[] = [];
    const subscribers: Subscriber[] = [];
    const media: MediaProcess[] = [];
    try {
      const m1 = await startMediaProcess({
        recordingsDir: `${root}/recordings-m1`,
        nodeId: "m1",
        redisUrl: redis.url,
        advertisedUrl: `ws://${link.address}/control`,
      });
      media.push(m1);
      link.switchTo(Number(new URL(m1.endpoint).port));
      media.push(
        await startMediaProcess({
          recordingsDir: `${root}/recordings-m2`,
          nodeId: "m2",
          redisUrl: redis.url,
        }),
      );
      await waitFor(
        "the media nodes to register",
        async () => (await listMediaNodes(watcher)).length === 2,
      );
      // The group is placed on m1 (as the least loaded could have chosen).
      await watcher.command((r) =>
        r.set(groupNodeKey("g"), "m1", "PX", 60_000)
      );
      await using edge1 = await startEdgeProcess(root, redis.url);
      await using edge2 = await startEdgeProcess(root, redis.url);
      const carrot = await member(edge1.ws, "carrot");
      const angua = await member(edge1.ws, "angua");
      const vimes = await member(edge2.ws, "vimes");
      const nobby = await member(edge2.ws, "nobby");
      clients.push(carrot, angua, vimes, nobby);
      await carrot.next({ type: "user", kind: "add", id: nobby.id });
      await nobby.next({ type: "user", kind: "add", id: carrot.id });

      const a = new Publisher(carrot);
      publishers.push(a);
      assert.equal((await a.offer())["type"], "answer");
      assert.equal(link.accepted, 1, "edge 1's link to m1");
      const onEdge1 = new Subscriber(angua);
      const onEdge2 = new Subscriber(nobby);
      subscribers.push(onEdge1, onEdge2);
      onEdge1.start();
      onEdge2.start();
      await onEdge2.receives(a.id, 30, 15_000);
      const b = new Publisher(vimes);
      publishers.push(b);
      assert.equal((await b.offer())["type"], "answer");
      await onEdge1.receives(b.id, 30, 15_000);
      assert.equal(link.accepted, 2, "edge 2's link to m1");
      assert.equal(await placementOf(watcher, "g"), "m1");

      // Edge 1's link to m1 is cut, and stays cut; edge 2's is fine.
      link.switchTo(null);
      link.cut(0);
      const cut = performance.now();
      const aborted = await carrot.next({ type: "abort", id: a.id }, 5000);
      assert.equal(aborted["error"], "media-lost");
      await angua.next({ type: "close", id: b.id }, 5000);
      // Nereid's client publishes again (Galène's user enables the camera):
      // edge 1 places the group on m2.
      const a2 = new Publisher(carrot);
      publishers.push(a2);
      assert.equal((await a2.offer())["type"], "answer");
      assert.equal(await placementOf(watcher, "g"), "m2");
      const moved = performance.now();

      // Edge 2's stream on m1 follows: media-lost, published again on m2.
      const lost = await vimes.next({ type: "abort", id: b.id }, 5000);
      const followed = performance.now();
      assert.equal(lost["error"], "media-lost");
      await vimes.next({ type: "usermessage", kind: "error" });
      const b2 = new Publisher(vimes);
      publishers.push(b2);
      assert.equal((await b2.offer())["type"], "answer");
      await onEdge1.receives(b2.id, 30, 15_000);
      await onEdge2.receives(a2.id, 30, 15_000);
      console.log(
        `link cut: group moved to m2 after ${
          Math.round(moved - cut)
        } ms, edge 2's stream on m1 ended after ${
          Math.round(followed - cut)
        } ms, both new streams received ${
          Math.round(performance.now() - cut)
        } ms after the cut`,
      );
      // Edge 2 never lost m1: its stream ended because the group moved.
      assert.deepEqual(
        edge2.log.filter((l) => /m1 is unreachable/.test(l)),
        [],
      );
      assert.ok(
        edge2.log.some((l) => /placed on m2: 1 stream\(s\)/.test(l)),
        edge2.log.join("\n"),
      );
    } finally {
      for (const s of subscribers) await s.close();
      for (const p of publishers) await p.close();
      for (const c of clients) await c.close();
      for (const m of media) await m.stop("SIGKILL");
      await watcher.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});
