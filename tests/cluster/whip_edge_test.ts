/**
 * WHIP and WHEP on cluster edges (`main.ts -role edge` ×2, a media node and
 * Redis, each a process): a WHIP publication on edge 1 reaches a member on
 * edge 1 and a member on edge 2, and a WHEP player on edge 2 watches it and
 * follows to the next WHIP publication (the down connection moved on the
 * media node through the control wire's `retarget`).
 *
 * @module
 */

import { ok, strictEqual } from "node:assert/strict";
import { startMediaProcess } from "../media_node/support/remote_node.ts";
import { openGroup } from "../support/groups.ts";
import { startRedisServer } from "../support/redis_server.ts";
import { Subscriber } from "../support/subscriber.ts";
import { waitFor } from "../support/wait_for.ts";
import { WhepPlayer } from "../support/whep_player.ts";
import { WhipClient } from "../support/whip_client.ts";
import { connect, type WsClient } from "../support/ws_client.ts";
import { startEdgeProcess } from "./support/edge_process.ts";
import { clusterRoot, mediaNodesRegistered } from "./support/cluster_setup.ts";

Deno.test({
  name:
    "two edges and a media node: a WHIP publication on edge 1 reaches members on edges 1 and 2, and a WHEP player on edge 2 follows to the next one",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot({
      g: openGroup({
        users: { whip: { password: "", permissions: "present" } },
      }),
    });
    const media = await startMediaProcess({
      recordingsDir: `${root}/recordings`,
      redisUrl: redis.url,
    });
    const clients: WsClient[] = [];
    const subscribers: Subscriber[] = [];
    const whips: WhipClient[] = [];
    let player: WhepPlayer | undefined;
    try {
      await mediaNodesRegistered(redis.url, 1);
      await using edge1 = await startEdgeProcess(root, redis.url);
      await using edge2 = await startEdgeProcess(root, redis.url);
      const http = (edge: { ws: string }) =>
        edge.ws.replace(/^ws:/, "http:").replace(/\/ws$/, "");
      const join = async (url: string, name: string) => {
        const client = await connect(url);
        clients.push(client);
        await client.handshake();
        const joined = await client.join("g", name, "any");
        strictEqual(joined["kind"], "join", JSON.stringify(joined));
        const subscriber = new Subscriber(client);
        subscribers.push(subscriber);
        return { client, subscriber };
      };
      const carrot = await join(edge1.ws, "carrot");
      const vimes = await join(edge2.ws, "vimes");
      await carrot.client.next({
        type: "user",
        kind: "add",
        id: vimes.client.id,
      });
      carrot.subscriber.start();
      vimes.subscriber.start();

      const a = new WhipClient(`${http(edge1)}/group/g/.whip`);
      whips.push(a);
      await a.publish();
      const [id, other] = await waitFor(
        "the stream's offers on both edges",
        () => {
          const both = [carrot, vimes].map((m) => m.subscriber.streams);
          return both.every((s) => s.length === 1) && both.map((s) => s[0]!);
        },
        { timeoutMs: 15_000 },
      );
      if (id === undefined) throw new Error("no stream");
      strictEqual(other, id, "the same stream on both edges");
      await carrot.subscriber.receives(id, 50, 15_000);
      await vimes.subscriber.receives(id, 50, 15_000);

      // A WHEP player on edge 2 watches it, then follows to the next one.
      player = new WhepPlayer(`${http(edge2)}/group/g/.whep`);
      const played = await player.play();
      strictEqual(played.status, 201, played.body);
      await waitFor(
        "A at the player",
        () => player!.received.video.length > 50,
      );
      strictEqual(await a.delete(), 200);
      await vimes.client.next({ type: "close", id }, 15_000);
      const before = player.received.video.length;
      const b = new WhipClient(`${http(edge1)}/group/g/.whip`);
      whips.push(b);
      await b.publish();
      await waitFor(
        "B at the player",
        () => player!.received.video.length > before + 50,
        { timeoutMs: 15_000 },
      );
      const ssrcs = new Set(player.received.video.map((p) => p.ssrc));
      strictEqual(ssrcs.size, 1, "one video SSRC");
      const last = player.received.video[before - 1]!.seq;
      const next = player.received.video[before]!.seq;
      ok(((next - last) & 0xffff) <= 3, `sequence ${last} then ${next}`);
      strictEqual(await player.delete(), 200, "the same session");
    } finally {
      await player?.close();
      for (const w of whips) await w.close();
      for (const s of subscribers) await s.close();
      for (const c of clients) await c.close();
      await media.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
});
