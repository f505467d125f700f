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
import { startRedisServer } from "../support/redis_server.ts";
import { connect, type WsClient } from "../support/ws_client.ts";
import { clusterRoot, startEdgeProcess } from "./support/edge_process.ts";

async function member(url: string, name: string): Promise<WsClient> {
  const client = await connect(url);
  await client.handshake();
  const joined = await client.join("g", name, "any");
  strictEqual(joined["kind"], "join", JSON.stringify(joined));
  return client;
}

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
    const root = await clusterRoot({
      g: {
        "wildcard-user": {
          password: { type: "wildcard" },
          permissions: "present",
        },
      },
    });
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
