/**
 * Redis stopped under a running cluster (two edges, a media node, one
 * group with members on both edges and a stream from edge 1 to edge 2):
 * each edge says "Redis unreachable" once, every new join is refused with
 * a clear message, the call goes on (the stream keeps flowing for longer
 * than an edge's silence would take to remove its members, chat between
 * members of one edge still works, a member of edge 2 that subscribes now
 * gets edge 1's stream from the node edge 2 knows, a stream published now
 * on edge 1 goes to that node too), and once Redis is started again on
 * the same port, joins work again and what happened meanwhile (a chat
 * message, a member's data, the group's placement, the new stream) is
 * shared again.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { placementOf } from "../../server/cluster/group_placement.ts";
import { SHARED_STATE_UNREACHABLE } from "../../server/cluster/group_replication.ts";
import { listMediaNodes } from "../../server/cluster/media_node_registry.ts";
import { openRedisConnection } from "../../server/cluster/redis_connection.ts";
import { startMediaProcess } from "../media_node/support/remote_node.ts";
import { Publisher } from "../support/publisher.ts";
import { startRedisServer } from "../support/redis_server.ts";
import { Subscriber } from "../support/subscriber.ts";
import { waitFor } from "../support/wait_for.ts";
import { connect, type WsClient } from "../support/ws_client.ts";
import { type EdgeProcess, startEdgeProcess } from "./support/edge_process.ts";
import { clusterRoot } from "./support/cluster_setup.ts";

/** Longer than an edge's silence takes to remove its members (3 s + a beat). */
const OUTAGE_MS = 5000;

function linesOf(edge: EdgeProcess, pattern: RegExp): string[] {
  return edge.log.filter((l) => pattern.test(l));
}

Deno.test({
  name:
    "Redis away: edges log it once, refuse every join with a message, keep the call; once back, joins work and state is shared again",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot();
    const media = await startMediaProcess({
      recordingsDir: `${root}/recordings`,
      redisUrl: redis.url,
    });
    const watcher = openRedisConnection(redis.url, { log: () => {} });
    const clients: WsClient[] = [];
    let publisher: Publisher | undefined;
    let subscriber: Subscriber | undefined;
    let newcomer: Subscriber | undefined;
    let during: Publisher | undefined;
    const join = async (url: string, name: string) => {
      const c = await connect(url);
      clients.push(c);
      await c.handshake();
      return { c, joined: await c.join("g", name, "any") };
    };
    try {
      await watcher.whenUp();
      await waitFor(
        "the media node to register",
        async () => (await listMediaNodes(watcher)).length === 1,
      );
      await using edge1 = await startEdgeProcess(root, redis.url);
      await using edge2 = await startEdgeProcess(root, redis.url);
      const { c: carrot } = await join(edge1.ws, "carrot");
      const { c: nobby } = await join(edge1.ws, "nobby");
      const { c: vimes } = await join(edge2.ws, "vimes");
      const { c: cheery } = await join(edge2.ws, "cheery");
      await carrot.next({ type: "user", kind: "add", id: vimes.id });
      subscriber = new Subscriber(vimes);
      subscriber.start();
      publisher = new Publisher(carrot);
      strictEqual((await publisher.offer())["type"], "answer");
      await subscriber.receives(publisher.id, 50, 15_000);

      await redis.stop();
      const stopped = performance.now();
      for (const edge of [edge1, edge2]) {
        await waitFor(
          "the edge to log that Redis is unreachable",
          () => linesOf(edge, /Redis unreachable/).length > 0,
        );
      }

      // Every new join is refused, on an edge that follows the group too.
      for (const [url, name] of [[edge1.ws, "angua"], [edge2.ws, "detritus"]]) {
        const { joined } = await join(url!, name!);
        strictEqual(joined["kind"], "fail", name);
        strictEqual(joined["value"], SHARED_STATE_UNREACHABLE, name);
      }
      // Chat between the members of one edge still works.
      carrot.chat("while Redis was away");
      const local = await nobby.next({ type: "chat", source: carrot.id });
      strictEqual(local["value"], "while Redis was away");
      // And a change of one's own data (a raised hand) on that edge.
      nobby.send({
        type: "useraction",
        kind: "setdata",
        source: nobby.id,
        dest: nobby.id,
        value: { raisehand: true },
      });
      await carrot.next({ type: "user", kind: "change", id: nobby.id });
      // A subscription made now, on edge 2, to edge 1's stream: edge 2
      // knows the group's node without asking Redis.
      newcomer = new Subscriber(cheery);
      newcomer.start();
      await newcomer.receives(publisher.id, 25, 10_000);
      // And a new stream on edge 1 goes to the group's node it knows; edge 2
      // learns of it when Redis is back.
      during = new Publisher(nobby);
      const answer = await during.offer();
      strictEqual(answer["type"], "answer", JSON.stringify(answer));
      // The stream goes on past the time an edge's silence removes its
      // members: nobody is removed, nothing is closed.
      while (performance.now() - stopped < OUTAGE_MS) {
        await subscriber.receives(publisher.id, 25);
      }
      ok(!vimes.has({ type: "user", kind: "delete" }), "vimes saw a delete");
      ok(!vimes.has({ type: "close" }), "vimes's stream was closed");
      ok(!carrot.has({ type: "user", kind: "delete" }), "carrot saw a delete");
      for (const edge of [edge1, edge2]) {
        strictEqual(linesOf(edge, /Redis unreachable/).length, 1, edge.ws);
        deepStrictEqual(linesOf(edge, /could not share|lease:/), [], edge.ws);
      }

      await redis.start();
      for (const edge of [edge1, edge2]) {
        await waitFor(
          "the edge to log that Redis is back",
          () => linesOf(edge, /Redis back/).length === 1,
        );
      }
      // The chat of the outage reaches edge 2, and its history.
      const late = await vimes.next(
        { type: "chat", source: carrot.id },
        15_000,
      );
      strictEqual(late["value"], "while Redis was away");
      const hand = await vimes.next(
        { type: "user", kind: "change", id: nobby.id },
        15_000,
      );
      deepStrictEqual(hand["data"], { raisehand: true });
      const { c: angua, joined } = await join(edge2.ws, "angua");
      strictEqual(joined["kind"], "join");
      await angua.next({ type: "chathistory", value: "while Redis was away" });
      await angua.next({ type: "user", kind: "add", id: carrot.id });
      await angua.next({ type: "user", kind: "add", id: nobby.id });
      await carrot.next({ type: "user", kind: "add", id: angua.id }, 15_000);
      // The restarted Redis is empty: the edge takes the group's lease
      // again for the node that carries its stream.
      await watcher.whenUp();
      await waitFor(
        "the group's lease to be taken again",
        async () => (await placementOf(watcher, "g")) === media.nodeId,
        { timeoutMs: 15_000 },
      );
      await subscriber.receives(publisher.id, 50);
      await subscriber.receives(during.id, 50, 15_000);
    } finally {
      await subscriber?.close();
      await newcomer?.close();
      await during?.close();
      await publisher?.close();
      for (const c of clients) await c.close();
      await watcher.close();
      await media.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
});
