/**
 * ClusterMediaNode over two media node processes and a real Redis: a group
 * goes to one node, every stream of it follows, and when that node is
 * killed its streams report `"lost"` and the group's next stream is placed
 * on the other at once, while the dead node is still registered. Stream
 * ids, the clients' choice, are unique per node only: two groups on two
 * nodes with a stream of the same id each keep their own.
 *
 * @module
 */

import { ok, rejects, strictEqual } from "node:assert/strict";
import { ClusterMediaNode } from "../../server/cluster/cluster_media_node.ts";
import { EdgeTokens } from "../../server/cluster/edge_token.ts";
import {
  groupNodeKey,
  groupPlacementChannel,
} from "../../server/cluster/cluster_keys.ts";
import { placementOf } from "../../server/cluster/group_placement.ts";
import { listMediaNodes } from "../../server/cluster/media_node_registry.ts";
import { openRedisConnection } from "../../server/cluster/redis_connection.ts";
import {
  type ConnectionState,
  MediaError,
  type MediaNode,
  type UpConnection,
} from "../../server/media/media_node.ts";
import { loopbackPeer, NO_ICE, sendTrack } from "../support/werift_peers.ts";
import { waitFor } from "../support/wait_for.ts";
import { startRedisServer } from "../support/redis_server.ts";
import { startMediaNodes } from "./support/cluster_setup.ts";
import { openUp } from "../media_node/support/open_up.ts";
import {
  connectRemote,
  type MediaProcess,
  startMediaProcess,
  TEST_SECRET,
} from "../media_node/support/remote_node.ts";

async function publishOn(
  node: MediaNode,
  options: { id: string; group: string; states?: ConnectionState[] },
): Promise<UpConnection> {
  const up = await openUp(node, options);
  const pc = loopbackPeer();
  pc.addTransceiver(sendTrack("video"), { direction: "sendonly" });
  await pc.setLocalDescription(await pc.createOffer());
  ok((await up.offer(pc.localDescription!.sdp)).startsWith("v=0"));
  await pc.close();
  return up;
}

Deno.test({
  name:
    "a group's streams go to one media node, where another edge finds them; with that node killed, its streams are lost and the group's next stream is placed on the other one at once",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await Deno.makeTempDir({ prefix: "nereid-cluster-" });
    const redisConnection = openRedisConnection(redis.url, { log: () => {} });
    const processes: MediaProcess[] = [];
    const logs: string[] = [];
    const cluster = new ClusterMediaNode({
      redis: redisConnection,
      edgeId: "edge-1",
      tokens: new EdgeTokens(TEST_SECRET),
      log: (m) => logs.push(m),
      leaseMs: 3000,
    });
    const other = new ClusterMediaNode({
      redis: redisConnection,
      edgeId: "edge-2",
      tokens: new EdgeTokens(TEST_SECRET),
      log: () => {},
    });
    try {
      processes.push(
        ...await startMediaNodes(root, {
          redisUrl: redis.url,
          ids: ["media-1", "media-2"],
        }),
      );
      await redisConnection.whenUp();

      const states: ConnectionState[] = [];
      await publishOn(cluster, { id: "a", group: "g", states });
      const first = await placementOf(redisConnection, "g");
      ok(first === "media-1" || first === "media-2", String(first));
      await publishOn(cluster, { id: "b", group: "g" });
      strictEqual(await placementOf(redisConnection, "g"), first);
      // Both streams are on that node: a down connection finds them there.
      const down = await cluster.openDown({
        id: "a",
        group: "g",
        subscriber: "c",
        upId: "a",
        request: ["video"],
        ice: NO_ICE,
        onIceCandidate() {},
        onStateChange() {},
      });
      down.close();
      // Another edge finds the stream on the group's node.
      const otherEdge = await other.openDown({
        id: "a",
        group: "g",
        subscriber: "d",
        upId: "a",
        request: ["video"],
        ice: NO_ICE,
        onIceCandidate() {},
        onStateChange() {},
      });
      otherEdge.close();

      const victim = processes.find((p) => p.nodeId === first)!;
      const killed = performance.now();
      await victim.stop("SIGKILL");
      await waitFor(
        "the stream on the dead node lost",
        () => states.includes("lost"),
        { timeoutMs: 5000 },
      );
      const detected = performance.now() - killed;
      // The dead node is still in the registry (for up to 5 s), but the
      // edge knows its link is down: the group moves at once.
      const up = await publishOn(cluster, { id: "c", group: "g" });
      ok(up !== undefined);
      const moved = await placementOf(redisConnection, "g");
      console.log(
        `node lost ${
          Math.round(detected)
        } ms after SIGKILL, group moved from ${first} to ${moved} ${
          Math.round(performance.now() - killed)
        } ms after it`,
      );
      ok(moved !== first && moved !== undefined, `moved to ${moved}`);
      await rejects(
        cluster.openDown({
          id: "a",
          group: "g",
          subscriber: "c",
          upId: "a",
          request: ["video"],
          ice: NO_ICE,
          onIceCandidate() {},
          onStateChange() {},
        }),
        (e) => e instanceof MediaError && e.reason === "not-found",
      );
    } finally {
      await cluster.close();
      await other.close();
      for (const p of processes) await p.stop("SIGKILL");
      await redisConnection.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "two groups on two nodes may each have a stream of the same id: a down connection goes to its own group's stream",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await Deno.makeTempDir({ prefix: "nereid-cluster-" });
    const redisConnection = openRedisConnection(redis.url, { log: () => {} });
    const processes: MediaProcess[] = [];
    const cluster = new ClusterMediaNode({
      redis: redisConnection,
      edgeId: "edge-1",
      tokens: new EdgeTokens(TEST_SECRET),
      log: () => {},
    });
    try {
      processes.push(
        ...await startMediaNodes(root, {
          redisUrl: redis.url,
          ids: ["media-1", "media-2"],
        }),
      );
      await redisConnection.whenUp();
      // Group "a" on media-1, group "b" on media-2.
      for (const [group, node] of [["a", "media-1"], ["b", "media-2"]]) {
        await redisConnection.command((r) =>
          r.set(groupNodeKey(group!), node!, "PX", 60_000)
        );
      }
      // Ids are the clients' choice: each node accepts "x" once.
      await publishOn(cluster, { id: "x", group: "a" });
      await publishOn(cluster, { id: "x", group: "b" });
      const down = await cluster.openDown({
        id: "x",
        group: "a",
        subscriber: "s",
        upId: "x",
        request: ["video"],
        ice: NO_ICE,
        onIceCandidate() {},
        onStateChange() {},
      });
      const downsOn = async (p: MediaProcess) => {
        const node = await connectRemote(p);
        try {
          return (await node.stats()).filter((s) => s.direction === "down")
            .length;
        } finally {
          await node.close();
        }
      };
      strictEqual(await downsOn(processes[0]!), 1, "down on group a's node");
      strictEqual(await downsOn(processes[1]!), 0, "none on group b's node");
      down.close();
    } finally {
      await cluster.close();
      for (const p of processes) await p.stop("SIGKILL");
      await redisConnection.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a group placed elsewhere by another edge: this edge's streams on the old node end as lost, at once on the placement message, else at the next lease renewal",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await Deno.makeTempDir({ prefix: "nereid-cluster-" });
    const redisConnection = openRedisConnection(redis.url, { log: () => {} });
    const processes: MediaProcess[] = [];
    const logs: string[] = [];
    const options = {
      redis: redisConnection,
      edgeId: "edge-1",
      tokens: new EdgeTokens(TEST_SECRET),
      log: (m: string) => logs.push(m),
    };
    // A lease longer than the test: only the message can move the streams.
    const told = new ClusterMediaNode({ ...options, leaseMs: 60_000 });
    // No message: the renewal (every 200 ms) finds the other holder.
    const renewing = new ClusterMediaNode({ ...options, leaseMs: 600 });
    try {
      for (const nodeId of ["media-1", "media-2"]) {
        processes.push(
          await startMediaProcess({
            recordingsDir: `${root}/${nodeId}`,
            nodeId,
            redisUrl: redis.url,
          }),
        );
      }
      await redisConnection.whenUp();
      await waitFor(
        "both nodes registered",
        async () => (await listMediaNodes(redisConnection)).length === 2,
        { timeoutMs: 5000 },
      );
      const moveTo = (group: string, node: string) =>
        redisConnection.command((r) =>
          r.set(groupNodeKey(group), node, "PX", 60_000)
        );

      await moveTo("g", "media-1");
      const states: ConnectionState[] = [];
      await publishOn(told, { id: "a", group: "g", states });
      await waitFor("the edge to listen for placements", async () => {
        const [, listeners] = await redisConnection.command((r) =>
          r.pubsub("NUMSUB", groupPlacementChannel("g"))
        ) as [string, number];
        return listeners === 1;
      });
      await moveTo("g", "media-2");
      await redisConnection.publish(groupPlacementChannel("g"), "media-2");
      await waitFor("the stream lost", () => states.includes("lost"), {
        timeoutMs: 2000,
      });

      await moveTo("h", "media-1");
      const renewed: ConnectionState[] = [];
      await publishOn(renewing, { id: "b", group: "h", states: renewed });
      await moveTo("h", "media-2");
      await waitFor("the stream lost", () => renewed.includes("lost"), {
        timeoutMs: 2000,
      });
      // Each was closed on media-1, and the group's next stream goes to
      // media-2.
      const ups = async (p: MediaProcess) => {
        const node = await connectRemote(p);
        try {
          return (await node.stats()).filter((s) => s.direction === "up")
            .length;
        } finally {
          await node.close();
        }
      };
      await waitFor(
        "media-1 closed them",
        async () => (await ups(processes[0]!)) === 0,
      );
      await publishOn(renewing, { id: "c", group: "h" });
      strictEqual(await ups(processes[1]!), 1);
      strictEqual(
        logs.filter((l) => /placed on media-2: 1 stream\(s\)/.test(l)).length,
        2,
        logs.join("\n"),
      );
    } finally {
      await told.close();
      await renewing.close();
      for (const p of processes) await p.stop("SIGKILL");
      await redisConnection.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});
