/**
 * Nereid's web client in a cluster, every part its own process: Redis, two
 * media nodes, two edges. Chromium's Ann comes in through a TCP switch
 * (support/tcp_switch.ts, a load balancer's stand-in) pointing at edge 1,
 * Bob straight to edge 2; they see each other's video and chat. Then:
 * - the media node carrying the group is killed (SIGKILL): both clients are
 *   told `abort` with `media-lost`, publish again by themselves, the group
 *   is placed on the other node and video flows again both ways (the time
 *   is printed; within 10 s);
 * - edge 1 is killed (SIGKILL) and the switch points at edge 2: Ann's page
 *   reconnects to its origin by itself, under the same name, gets the
 *   group's chat history from Redis, and video and chat flow again.
 *
 * @module
 */

import assert from "node:assert/strict";
import { placementOf } from "../../server/cluster/group_placement.ts";
import { openRedisConnection } from "../../server/cluster/redis_connection.ts";
import {
  login,
  open,
  type Person,
  readReceived,
  type Received,
  say,
} from "../client/browser.ts";
import { type MediaProcess } from "../media_node/support/remote_node.ts";
import { launchBrowser } from "../support/browser.ts";
import { startRedisServer } from "../support/redis_server.ts";
import { waitFor } from "../support/wait_for.ts";
import { type EdgeProcess, startEdgeProcess } from "./support/edge_process.ts";
import { clusterRoot, startMediaNodes } from "./support/cluster_setup.ts";
import { startTcpSwitch } from "./support/tcp_switch.ts";

/** An edge's `http://127.0.0.1:PORT`. */
function httpOf(edge: EdgeProcess): string {
  return edge.ws.replace(/^ws:/, "http:").replace(/\/ws$/, "");
}

/**
 * Waits until `p` decodes rising video frames from `from`'s camera, on a
 * stream other than `not`; resolves with the last reading.
 */
async function videoFlows(
  p: Person,
  from: string,
  options: { not?: string; timeoutMs: number },
): Promise<Received> {
  let first: Received | undefined;
  return await waitFor(`video from ${from}`, async () => {
    const r = await p.page.evaluate(readReceived, from);
    if (!r || r.stream === options.not || r.framesDecoded === 0) {
      first = undefined;
      return false;
    }
    if (first?.stream !== r.stream) {
      first = r;
      return false;
    }
    return r.framesDecoded > first.framesDecoded + 5 && r;
  }, { timeoutMs: options.timeoutMs, intervalMs: 100 });
}

/** Waits until both see each other's video; resolves with the streams. */
async function bothWays(
  ann: Person,
  bob: Person,
  options: { not?: [string, string]; timeoutMs: number },
): Promise<[string, string]> {
  const [atAnn, atBob] = await Promise.all([
    videoFlows(ann, "bob", {
      timeoutMs: options.timeoutMs,
      ...(options.not ? { not: options.not[0] } : {}),
    }),
    videoFlows(bob, "ann", {
      timeoutMs: options.timeoutMs,
      ...(options.not ? { not: options.not[1] } : {}),
    }),
  ]);
  return [atAnn.stream, atBob.stream];
}

Deno.test({
  name:
    "two edges, two media nodes: Chromium on each edge sees the other's video and chat; a media node killed mid-call, video resumes on the other within 10 s; an edge killed, the page reconnects through the other with its name and the group's chat",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot();
    const redisConnection = openRedisConnection(redis.url, { log: () => {} });
    const media: MediaProcess[] = [];
    const edges: EdgeProcess[] = [];
    const browser = await launchBrowser();
    try {
      media.push(
        ...await startMediaNodes(root, {
          redisUrl: redis.url,
          ids: ["media-1", "media-2"],
        }),
      );
      edges.push(
        ...await Promise.all([
          startEdgeProcess(root, redis.url),
          startEdgeProcess(root, redis.url),
        ]),
      );
      const [edge1, edge2] = edges as [EdgeProcess, EdgeProcess];
      await using entrance = startTcpSwitch(
        Number(new URL(httpOf(edge1)).port),
      );

      const ann = await open(browser, `http://${entrance.address}/group/g/`);
      const bob = await open(browser, `${httpOf(edge2)}/group/g/`);
      await login(ann, "ann", "x");
      await login(bob, "bob", "y");
      const before = await bothWays(ann, bob, { timeoutMs: 20_000 });
      await say(ann, "hello from edge 1");
      await bob.page.locator(".msg", { hasText: "hello from edge 1" })
        .waitFor({ timeout: 5000 });
      await say(bob, "hello from edge 2");
      await ann.page.locator(".msg", { hasText: "hello from edge 2" })
        .waitFor({ timeout: 5000 });

      // The media node carrying the call dies.
      const hosting = await placementOf(redisConnection, "g");
      const victim = media.find((m) => m.nodeId === hosting);
      assert(victim, `the group is placed on ${hosting}`);
      const killed = performance.now();
      await victim.stop("SIGKILL");
      const after = await bothWays(ann, bob, {
        not: before,
        timeoutMs: 10_000,
      });
      const resumed = performance.now() - killed;
      const moved = await placementOf(redisConnection, "g");
      console.log(
        `media node ${hosting} killed: video back both ways on ${moved} in ${
          Math.round(resumed)
        } ms`,
      );
      assert.notEqual(moved, hosting);
      assert(resumed < 10_000, `resumed in ${resumed} ms`);

      // Edge 1 dies; the switch sends Ann's reconnection to edge 2.
      await ann.page.evaluate(() => {
        for (const m of document.querySelectorAll(".msg")) {
          m.setAttribute("data-before", "");
        }
      });
      edge1.child.kill("SIGKILL");
      await edge1.child.status;
      const edgeKilled = performance.now();
      entrance.switchTo(Number(new URL(httpOf(edge2)).port));
      // The new session's chat pane (emptied when it starts) holds the
      // history edge 2 read from Redis.
      for (const line of ["hello from edge 1", "hello from edge 2"]) {
        await ann.page.locator(".msg:not([data-before])", { hasText: line })
          .waitFor({ timeout: 15_000 });
      }
      await bothWays(ann, bob, { not: after, timeoutMs: 15_000 });
      console.log(
        `edge 1 killed: Ann back through edge 2, video both ways in ${
          Math.round(performance.now() - edgeKilled)
        } ms`,
      );
      // Same name; Ann's old self on the dead edge is gone from Bob's list.
      if (!(await bob.page.locator("#users-pane").isVisible())) {
        await bob.page.locator("#users-button").click();
      }
      await waitFor(
        "one ann in Bob's list",
        async () =>
          await bob.page.locator(".user", { hasText: "ann" }).count() === 1,
        { timeoutMs: 10_000 },
      );
      await say(ann, "back through edge 2");
      await bob.page.locator(".msg", { hasText: "back through edge 2" })
        .waitFor({ timeout: 5000 });
      assert.deepEqual([...ann.errors, ...bob.errors], []);
    } finally {
      await browser.close();
      for (const e of edges) await e.stop();
      for (const m of media) await m.stop("SIGKILL");
      await redisConnection.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});
