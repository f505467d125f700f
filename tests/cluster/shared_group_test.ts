/**
 * Members of one group on two edges (`main.ts -role edge` ×2, one Redis)
 * meet: each sees the other in `user add`, chat crosses the edges both
 * ways, a later joiner on either edge, or on an edge started after the
 * chat, is sent the chat history, and a
 * leave is seen as `user delete` on the other edge.
 *
 * @module
 */

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { Publisher } from "../support/publisher.ts";
import { openGroup } from "../support/groups.ts";
import { startRedisServer } from "../support/redis_server.ts";
import { Subscriber } from "../support/subscriber.ts";
import { connect, type WsClient } from "../support/ws_client.ts";
import { startEdgeProcess } from "./support/edge_process.ts";
import {
  clusterRoot,
  member,
  startMediaNodes,
  twoEdges,
} from "./support/cluster_setup.ts";

/** The `chathistory` values a client is sent until its own `user add`. */
async function historyOf(url: string, name: string): Promise<{
  client: WsClient;
  values: string[];
}> {
  const client = await connect(url);
  await client.handshake();
  await client.join("g", name, "any");
  // The history comes before the joiner's own `user add`, which join()
  // waited for: it is all queued.
  const values: string[] = [];
  while (client.has({ type: "chathistory" })) {
    values.push(String((await client.nextOf("chathistory"))["value"]));
  }
  return { client, values };
}

Deno.test({
  name:
    "two edges: members see each other, chat crosses both ways, a joiner on either edge gets the history, a leave is a user delete",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot();
    const clients: WsClient[] = [];
    try {
      await using edge1 = await startEdgeProcess(root, redis.url);
      await using edge2 = await startEdgeProcess(root, redis.url);
      const carrot = await member(edge1.ws, "carrot");
      clients.push(carrot);
      const vimes = await member(edge2.ws, "vimes");
      clients.push(vimes);

      // Vimes's edge learns of carrot (resync), carrot's of vimes (join).
      const seenByVimes = await vimes.next({
        type: "user",
        kind: "add",
        id: carrot.id,
      });
      strictEqual(seenByVimes["username"], "carrot");
      const seenByCarrot = await carrot.next({
        type: "user",
        kind: "add",
        id: vimes.id,
      });
      strictEqual(seenByCarrot["username"], "vimes");

      carrot.chat("from edge 1");
      const atVimes = await vimes.next({ type: "chat", source: carrot.id });
      strictEqual(atVimes["value"], "from edge 1");
      strictEqual(atVimes["username"], "carrot");
      vimes.chat("from edge 2");
      const atCarrot = await carrot.next({ type: "chat", source: vimes.id });
      strictEqual(atCarrot["value"], "from edge 2");

      // An edge started after the chat reads the history from Redis.
      await using edge3 = await startEdgeProcess(root, redis.url);
      for (
        const [url, name] of [
          [edge1.ws, "angua"],
          [edge2.ws, "nobby"],
          [edge3.ws, "detritus"],
        ]
      ) {
        const { client, values } = await historyOf(url!, name!);
        clients.push(client);
        deepStrictEqual(values, ["from edge 1", "from edge 2"], name);
      }

      await vimes.close();
      const gone = await carrot.next({
        type: "user",
        kind: "delete",
        id: vimes.id,
      });
      strictEqual(gone["username"], "vimes");
    } finally {
      for (const c of clients) await c.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});

function act(by: WsClient, kind: string, dest: string, value?: unknown): void {
  by.send({
    type: "useraction",
    kind,
    source: by.id,
    username: by.username,
    dest,
    ...(value === undefined ? {} : { value }),
  });
}

Deno.test({
  name:
    "two edges: an op on one edge ops, messages, locks out and kicks members of the other",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot({
      g: {
        users: {
          vimes: { password: "p", permissions: "op" },
          carrot: { password: "p", permissions: "present" },
          nobby: { password: "p", permissions: "present" },
        },
      },
    });
    const clients: WsClient[] = [];
    const join = async (url: string, name: string) => {
      const c = await connect(url);
      clients.push(c);
      await c.handshake();
      return { c, joined: await c.join("g", name, "p") };
    };
    try {
      await using edge1 = await startEdgeProcess(root, redis.url);
      await using edge2 = await startEdgeProcess(root, redis.url);
      const { c: vimes } = await join(edge1.ws, "vimes");
      const { c: carrot } = await join(edge2.ws, "carrot");
      await vimes.next({ type: "user", kind: "add", id: carrot.id });

      // op: carrot's edge changes it, and vimes's edge sees the change.
      act(vimes, "op", carrot.id);
      const change = await carrot.nextOf("joined", "change");
      deepStrictEqual(change["permissions"], ["op", "present", "message"]);
      const seen = await vimes.next({
        type: "user",
        kind: "change",
        id: carrot.id,
      });
      deepStrictEqual(seen["permissions"], ["op", "present", "message"]);

      // A private message crosses to the one member it names.
      vimes.chat("only for you", { dest: carrot.id });
      const dm = await carrot.next({ type: "chat", source: vimes.id });
      strictEqual(dm["value"], "only for you");
      strictEqual(dm["dest"], carrot.id);

      // A lock on edge 1 refuses a non-op on edge 2, and carrot is told.
      vimes.send({ type: "groupaction", kind: "lock", value: "closed" });
      const status = await carrot.nextOf("joined", "change");
      strictEqual(
        (status["status"] as Record<string, unknown>)["locked"],
        true,
      );
      const refused = await join(edge2.ws, "nobby");
      strictEqual(refused.joined["kind"], "fail");
      strictEqual(refused.joined["value"], "closed");
      // An edge that follows the group only now knows the lock too.
      await using edge3 = await startEdgeProcess(root, redis.url);
      const refused3 = await join(edge3.ws, "nobby");
      strictEqual(refused3.joined["value"], "closed");
      vimes.send({ type: "groupaction", kind: "unlock" });
      await carrot.nextOf("joined", "change");
      const nobby = await join(edge2.ws, "nobby");
      strictEqual(nobby.joined["kind"], "join");

      // A kick on edge 1 ends carrot's connection on edge 2.
      act(vimes, "kick", carrot.id, "out you go");
      const kicked = await carrot.next({ type: "usermessage", kind: "kicked" });
      strictEqual(kicked["value"], "out you go");
      strictEqual(kicked["id"], vimes.id);
      strictEqual(kicked["username"], "vimes");
      await carrot.closed;
      await vimes.next({ type: "user", kind: "delete", id: carrot.id });
    } finally {
      for (const c of clients) await c.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "two edges and a media node: a stream published on edge 1 reaches a subscriber on edge 2, and its end closes it there",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot();
    const media = await startMediaNodes(root, {
      redisUrl: redis.url,
      ids: ["media-1"],
    });
    let publisher: Publisher | undefined;
    let subscriber: Subscriber | undefined;
    try {
      await using pair = await twoEdges(root, redis.url);
      const { carrot, vimes } = pair;
      subscriber = new Subscriber(vimes);
      subscriber.start();
      publisher = new Publisher(carrot);
      const reply = await publisher.offer();
      strictEqual(reply["type"], "answer", JSON.stringify(reply));
      await subscriber.receives(publisher.id, 50, 15_000);

      // The publisher ends its stream: the subscriber on edge 2 is told.
      carrot.send({ type: "close", id: publisher.id });
      await vimes.next({ type: "close", id: publisher.id });
    } finally {
      await subscriber?.close();
      await publisher?.close();
      for (const m of media) await m.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "two edges: the members of an edge killed with SIGKILL are removed from the other's clients as user delete",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot();
    try {
      await using pair = await twoEdges(root, redis.url);
      const { edge2, carrot, vimes } = pair;
      edge2.child.kill("SIGKILL");
      const killed = performance.now();
      const gone = await carrot.next(
        { type: "user", kind: "delete", id: vimes.id },
        10_000,
      );
      strictEqual(gone["username"], "vimes");
      console.log(
        `the killed edge's member was removed after ${
          Math.round(performance.now() - killed)
        } ms`,
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "two edges: a leave while Redis was away reaches the other edge once Redis is back",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot();
    let nobby: WsClient | undefined;
    try {
      await using pair = await twoEdges(root, redis.url);
      const { edge2, carrot, vimes } = pair;
      await redis.stop({ signal: "SIGKILL" });
      // A join waits for Redis (redis_outage_test.ts); a leave does not.
      await vimes.close();
      await redis.start();

      await carrot.next({ type: "user", kind: "delete", id: vimes.id }, 15_000);
      nobby = await member(edge2.ws, "nobby");
      const added = await carrot.next({
        type: "user",
        kind: "add",
        id: nobby.id,
      });
      strictEqual(added["username"], "nobby");
    } finally {
      await nobby?.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "two edges: group data set and chat cleared on one edge reach the other, and an edge started later",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot({
      g: openGroup({
        users: { vimes: { password: "p", permissions: "op" } },
      }),
    });
    const clients: WsClient[] = [];
    try {
      await using edge1 = await startEdgeProcess(root, redis.url);
      await using edge2 = await startEdgeProcess(root, redis.url);
      const vimes = await connect(edge1.ws);
      clients.push(vimes);
      await vimes.handshake();
      await vimes.join("g", "vimes", "p");
      const carrot = await member(edge2.ws, "carrot");
      clients.push(carrot);
      await vimes.next({ type: "user", kind: "add", id: carrot.id });

      vimes.send({
        type: "groupaction",
        kind: "setdata",
        value: { topic: "t" },
      });
      const change = await carrot.nextOf("joined", "change");
      deepStrictEqual(change["data"], { topic: "t" });

      carrot.chat("soon gone");
      await vimes.next({ type: "chat", source: carrot.id });
      vimes.send({ type: "groupaction", kind: "clearchat", value: null });
      await carrot.next({ type: "usermessage", kind: "clearchat" });

      await using edge3 = await startEdgeProcess(root, redis.url);
      const { client: nobby, values } = await historyOf(edge3.ws, "nobby");
      clients.push(nobby);
      deepStrictEqual(values, []);
      const { client: angua, values: onEdge2 } = await historyOf(
        edge2.ws,
        "angua",
      );
      clients.push(angua);
      deepStrictEqual(onEdge2, []);
      const joined = await connect(edge3.ws);
      clients.push(joined);
      await joined.handshake();
      const j = await joined.join("g", "detritus", "any");
      deepStrictEqual(j["data"], { topic: "t" });
    } finally {
      for (const c of clients) await c.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "two edges: a member's setdata (a raised hand, then lowered) reaches the other edge's members as user change, and a later joiner there gets it in user add",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot();
    const clients: WsClient[] = [];
    try {
      await using edge1 = await startEdgeProcess(root, redis.url);
      await using edge2 = await startEdgeProcess(root, redis.url);
      const carrot = await member(edge1.ws, "carrot");
      const vimes = await member(edge2.ws, "vimes");
      clients.push(carrot, vimes);
      await vimes.next({ type: "user", kind: "add", id: carrot.id });
      const setdata = (value: Record<string, unknown>) =>
        carrot.send({
          type: "useraction",
          kind: "setdata",
          source: carrot.id,
          dest: carrot.id,
          value,
        });

      setdata({ raisehand: true });
      const raised = await vimes.next({
        type: "user",
        kind: "change",
        id: carrot.id,
      });
      deepStrictEqual(raised["data"], { raisehand: true });
      strictEqual(raised["username"], "carrot");
      deepStrictEqual(raised["permissions"], ["present", "message"]);

      const angua = await member(edge2.ws, "angua");
      clients.push(angua);
      const added = await angua.next({
        type: "user",
        kind: "add",
        id: carrot.id,
      });
      deepStrictEqual(added["data"], { raisehand: true });

      setdata({ raisehand: null });
      for (const c of [vimes, angua]) {
        const lowered = await c.next({
          type: "user",
          kind: "change",
          id: carrot.id,
        });
        strictEqual(lowered["data"], undefined, JSON.stringify(lowered));
      }
    } finally {
      for (const c of clients) await c.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});
