/**
 * Failures in a cluster, seen through the protocol as Galène's client sees
 * it (werift peers over WebSockets), every part its own process:
 * - the media node carrying a group is killed: a publisher is told `abort`
 *   with `error: "media-lost"` and a message saying what happened, and the
 *   stream it publishes again (as Galène's user re-enabling the camera) is
 *   placed on the other node at once and reaches a subscriber on the other
 *   edge;
 * - an edge is killed: a subscriber on the other edge is told `close` for
 *   the dead edge's streams without an error, then `user delete`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { placementOf } from "../../server/cluster/group_placement.ts";
import { openRedisConnection } from "../../server/cluster/redis_connection.ts";
import { type MediaProcess } from "../media_node/support/remote_node.ts";
import { Publisher } from "../support/publisher.ts";
import { startRedisServer } from "../support/redis_server.ts";
import { Subscriber } from "../support/subscriber.ts";
import {
  clusterRoot,
  startMediaNodes,
  twoEdges,
} from "./support/cluster_setup.ts";

Deno.test({
  name:
    "the media node carrying a group killed: the publisher is told abort media-lost with a message, and its stream published again reaches the other edge through the other node",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot();
    const watcher = openRedisConnection(redis.url, { log: () => {} });
    const publishers: Publisher[] = [];
    let subscriber: Subscriber | undefined;
    let media: MediaProcess[] = [];
    try {
      media = await startMediaNodes(root, {
        redisUrl: redis.url,
        ids: ["m1", "m2"],
      });
      await using pair = await twoEdges(root, redis.url);
      const { carrot, vimes } = pair;
      subscriber = new Subscriber(vimes);
      subscriber.start();
      const first = new Publisher(carrot);
      publishers.push(first);
      assert.equal((await first.offer())["type"], "answer");
      await subscriber.receives(first.id, 30, 15_000);

      const hosting = await placementOf(watcher, "g");
      const killed = performance.now();
      await media.find((m) => m.nodeId === hosting)!.stop("SIGKILL");
      const abort = await carrot.next({ type: "abort", id: first.id }, 5000);
      assert.equal(abort["error"], "media-lost");
      const told = await carrot.next({ type: "usermessage", kind: "error" });
      assert.match(
        String(told["value"]),
        /^the media server carrying stream \S+ was lost: publish it again$/,
      );
      await vimes.next({ type: "close", id: first.id });

      // Galène's user enables the camera again: placed at once elsewhere,
      // while the dead node is still registered.
      const again = new Publisher(carrot);
      publishers.push(again);
      const reply = await again.offer();
      assert.equal(reply["type"], "answer", JSON.stringify(reply));
      await subscriber.receives(again.id, 30, 10_000);
      const moved = await placementOf(watcher, "g");
      assert.notEqual(moved, hosting);
      console.log(
        `${hosting} killed: republished stream received on the other edge through ${moved} in ${
          Math.round(performance.now() - killed)
        } ms`,
      );
    } finally {
      await subscriber?.close();
      for (const p of publishers) await p.close();
      for (const m of media) await m.stop("SIGKILL");
      await watcher.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "an edge killed: a subscriber on the other edge is told close for its streams, without an error, then user delete",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot();
    let publisher: Publisher | undefined;
    let subscriber: Subscriber | undefined;
    let media: MediaProcess[] = [];
    try {
      media = await startMediaNodes(root, { redisUrl: redis.url, ids: ["m1"] });
      await using pair = await twoEdges(root, redis.url);
      const { edge1, carrot, vimes } = pair;
      subscriber = new Subscriber(vimes);
      subscriber.start();
      publisher = new Publisher(carrot);
      assert.equal((await publisher.offer())["type"], "answer");
      await subscriber.receives(publisher.id, 30, 15_000);

      edge1.child.kill("SIGKILL");
      await edge1.child.status;
      await vimes.next({ type: "close", id: publisher.id }, 6000);
      await vimes.next({ type: "user", kind: "delete", id: carrot.id }, 6000);
      await vimes.sync();
      assert.deepEqual(
        vimes.pending.filter((m) => m["type"] === "usermessage"),
        [],
      );
    } finally {
      await subscriber?.close();
      await publisher?.close();
      for (const m of media) await m.stop("SIGKILL");
      await Deno.remove(root, { recursive: true });
    }
  },
});
