/**
 * Invitations (stateful tokens) across edges that share `data/`: the
 * token file `data/var/tokens.jsonl` is the one place they live, and each
 * edge reads it again when it changed on disk. A token made on edge 1
 * opens the group on edge 2, is listed there, and once revoked on edge 2
 * no longer opens it on edge 1.
 *
 * @module
 */

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { startRedisServer } from "../support/redis_server.ts";
import { connect, type Message, type WsClient } from "../support/ws_client.ts";
import { startEdgeProcess } from "./support/edge_process.ts";
import { clusterRoot } from "./support/cluster_setup.ts";

function action(op: WsClient, kind: string, value?: unknown): void {
  op.send({
    type: "groupaction",
    kind,
    source: op.id,
    username: op.username,
    ...(value === undefined ? {} : { value }),
  });
}

Deno.test({
  name:
    "two edges sharing data/: an invitation made on one opens the group on the other, is listed there, and revoked there is refused on the first",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot({
      g: {
        users: {
          vimes: { password: "p", permissions: "op" },
          nobby: { password: "p", permissions: "op" },
        },
      },
    });
    const clients: WsClient[] = [];
    const join = async (url: string, name?: string, extra: Message = {}) => {
      const c = await connect(url);
      clients.push(c);
      await c.handshake();
      return { c, joined: await c.join("g", name, undefined, extra) };
    };
    try {
      await using edge1 = await startEdgeProcess(root, redis.url);
      await using edge2 = await startEdgeProcess(root, redis.url);
      const { c: vimes } = await join(edge1.ws, "vimes", { password: "p" });
      const { c: nobby } = await join(edge2.ws, "nobby", { password: "p" });

      action(vimes, "maketoken", { expires: 3_600_000 });
      const made = await vimes.next({ type: "usermessage", kind: "token" });
      const token = (made["value"] as Message)["token"] as string;

      const { joined: angua } = await join(edge2.ws, "angua", { token });
      strictEqual(angua["kind"], "join");
      deepStrictEqual(angua["permissions"], ["present", "message"]);
      action(nobby, "listtokens");
      const list = await nobby.next({ type: "usermessage", kind: "tokenlist" });
      deepStrictEqual(
        (list["value"] as Message[]).map((t) => t["token"]),
        [token],
      );

      action(nobby, "edittoken", { token, expires: -1000 });
      await nobby.next({ type: "usermessage", kind: "token" });
      const { joined: refused } = await join(edge1.ws, "detritus", { token });
      strictEqual(refused["kind"], "fail");
      strictEqual(refused["value"], "not authorised");
    } finally {
      for (const c of clients) await c.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});
