import assert from "node:assert/strict";
import { startRedisServer } from "../../tests/support/redis_server.ts";
import { waitFor } from "../../tests/support/wait_for.ts";
import {
  chooseLeastLoaded,
  placeGroup,
  type Placement,
  placementOf,
  releasePlacement,
  renewPlacement,
} from "./group_placement.ts";
import {
  type MediaNodeHeartbeat,
  type MediaNodeInfo,
  registerMediaNode,
} from "./media_node_registry.ts";
import {
  openRedisConnection,
  type RedisConnection,
} from "./redis_connection.ts";

function node(id: string, load: number, capacity = 10): MediaNodeInfo {
  return { id, controlUrl: `http://127.0.0.1:1/${id}`, capacity, load };
}

function nodeOf(placement: Placement): string {
  assert(placement.ok, placement.ok ? "" : placement.reason);
  return placement.node.id;
}

/** Redis, two edges' connections and the media nodes' heartbeats. */
async function cluster(nodes: MediaNodeInfo[]) {
  const redis = await startRedisServer();
  const edges: RedisConnection[] = [
    openRedisConnection(redis.url, { log: () => {} }),
    openRedisConnection(redis.url, { log: () => {} }),
  ];
  await Promise.all(edges.map((e) => e.whenUp()));
  const heartbeats = new Map<string, MediaNodeHeartbeat>();
  for (const info of nodes) {
    heartbeats.set(
      info.id,
      await registerMediaNode(edges[0]!, () => info, {
        log: () => {},
        refreshMs: 1000,
        ttlMs: 60_000,
      }),
    );
  }
  return {
    redis,
    edges: edges as [RedisConnection, RedisConnection],
    heartbeats,
    async [Symbol.asyncDispose]() {
      for (const h of heartbeats.values()) await h.stop();
      for (const e of edges) await e.close();
      await redis.close();
    },
  };
}

Deno.test("chooseLeastLoaded() prefers the lowest load for the capacity and skips full nodes", () => {
  assert.equal(
    chooseLeastLoaded([node("a", 5), node("b", 1), node("c", 2, 2)])?.id,
    "b",
  );
  // 3 of 100 beats 1 of 10.
  assert.equal(chooseLeastLoaded([node("a", 1), node("b", 3, 100)])?.id, "b");
  // Ties: the lower load, then the smaller id, on every edge alike.
  assert.equal(chooseLeastLoaded([node("b", 0), node("a", 0)])?.id, "a");
  assert.equal(chooseLeastLoaded([node("a", 2, 20), node("b", 1)])?.id, "b");
  assert.equal(chooseLeastLoaded([node("a", 10), node("b", 11)]), undefined);
  assert.equal(chooseLeastLoaded([]), undefined);
});

Deno.test("placeGroup() places a group on the least loaded live node and keeps it there", async () => {
  await using c = await cluster([node("busy", 8), node("idle", 1)]);
  const [edge] = c.edges;
  const first = await placeGroup(edge, "g", { leaseMs: 10_000 });
  assert.equal(nodeOf(first), "idle");
  assert.equal(first.ok && first.placed, true);
  assert.equal(await placementOf(edge, "g"), "idle");
  assert(await edge.command((r) => r.pttl("nereid:group:g:node")) > 9000);

  const again = await placeGroup(edge, "g", {
    leaseMs: 10_000,
    choose: (nodes) => nodes.find((n) => n.id === "busy"),
  });
  assert.equal(nodeOf(again), "idle");
  assert.equal(again.ok && again.placed, false);
});

Deno.test("two edges racing to place the same groups agree on one node for each", async () => {
  await using c = await cluster([node("a", 0), node("b", 0)]);
  const [edge1, edge2] = c.edges;
  // The edges' views differ (as when loads change between their reads):
  // without NX each would write its own choice.
  const prefer = (id: string) => (nodes: readonly MediaNodeInfo[]) =>
    nodes.find((n) => n.id === id);
  const groups = Array.from({ length: 40 }, (_, i) => `race-${i}`);
  const results = await Promise.all(groups.map((g) =>
    Promise.all([
      placeGroup(edge1, g, { leaseMs: 10_000, choose: prefer("a") }),
      placeGroup(edge2, g, { leaseMs: 10_000, choose: prefer("b") }),
    ])
  ));
  let wins = 0;
  for (const [i, [one, two]] of results.entries()) {
    const g = groups[i]!;
    assert.equal(nodeOf(one), nodeOf(two), `group ${g}`);
    assert.equal(await placementOf(edge1, g), nodeOf(one));
    assert.equal(
      Number(one.ok && one.placed) + Number(two.ok && two.placed),
      1,
      `group ${g}: exactly one edge made the choice`,
    );
    if (nodeOf(one) === "a") wins++;
  }
  console.log(`edge 1 won ${wins} of ${groups.length} races`);
});

Deno.test("the holder renews its lease, another node cannot, and an unrenewed lease runs out", async () => {
  await using c = await cluster([node("a", 0), node("b", 0)]);
  const [edge] = c.edges;
  assert.equal(nodeOf(await placeGroup(edge, "g", { leaseMs: 300 })), "a");
  assert.equal(
    await renewPlacement(edge, { group: "g", nodeId: "b", leaseMs: 60_000 }),
    false,
  );
  assert(await edge.command((r) => r.pttl("nereid:group:g:node")) <= 300);
  assert.equal(
    await renewPlacement(edge, { group: "g", nodeId: "a", leaseMs: 60_000 }),
    true,
  );
  assert(await edge.command((r) => r.pttl("nereid:group:g:node")) > 59_000);

  assert.equal(nodeOf(await placeGroup(edge, "short", { leaseMs: 100 })), "a");
  await waitFor(
    "the unrenewed lease to run out",
    async () => (await placementOf(edge, "short")) === undefined,
  );
  assert.equal(
    await renewPlacement(edge, { group: "short", nodeId: "a", leaseMs: 100 }),
    false,
  );

  assert.equal(
    await releasePlacement(edge, { group: "g", nodeId: "b" }),
    false,
  );
  assert.equal(await releasePlacement(edge, { group: "g", nodeId: "a" }), true);
  assert.equal(await placementOf(edge, "g"), undefined);
});

Deno.test("when the placed node is gone, the group moves to another live node, and racing edges agree", async () => {
  await using c = await cluster([node("a", 0), node("b", 5), node("c", 5)]);
  const [edge1, edge2] = c.edges;
  for (const g of ["g1", "g2", "g3"]) {
    assert.equal(nodeOf(await placeGroup(edge1, g, { leaseMs: 60_000 })), "a");
  }
  await c.heartbeats.get("a")!.stop();

  const moved = await placeGroup(edge1, "g1", { leaseMs: 60_000 });
  assert.equal(nodeOf(moved), "b");
  assert.equal(moved.ok && moved.replaced, "a");
  assert.equal(await placementOf(edge2, "g1"), "b");
  // The old holder can no longer renew it.
  assert.equal(
    await renewPlacement(edge1, { group: "g1", nodeId: "a", leaseMs: 60_000 }),
    false,
  );

  for (const g of ["g2", "g3"]) {
    const [one, two] = await Promise.all([
      placeGroup(edge1, g, {
        leaseMs: 60_000,
        choose: (nodes) => nodes.find((n) => n.id === "b"),
      }),
      placeGroup(edge2, g, {
        leaseMs: 60_000,
        choose: (nodes) => nodes.find((n) => n.id === "c"),
      }),
    ]);
    assert.equal(nodeOf(one), nodeOf(two), `group ${g}`);
    assert.notEqual(nodeOf(one), "a");
  }
});

Deno.test("a node the edge cannot use, though still registered, loses its groups at once and gets no new one", async () => {
  await using c = await cluster([node("a", 0), node("b", 5)]);
  const [edge1, edge2] = c.edges;
  assert.equal(nodeOf(await placeGroup(edge1, "g", { leaseMs: 60_000 })), "a");
  // Edge 1 lost its link to "a"; its record is still in the registry.
  const usable = (n: { id: string }) => n.id !== "a";
  const moved = await placeGroup(edge1, "g", { leaseMs: 60_000, usable });
  assert.equal(nodeOf(moved), "b");
  assert.equal(moved.ok && moved.replaced, "a");
  // Every edge follows the move, and the next group avoids "a" too.
  assert.equal(nodeOf(await placeGroup(edge2, "g", { leaseMs: 60_000 })), "b");
  assert.equal(
    nodeOf(await placeGroup(edge1, "h", { leaseMs: 60_000, usable })),
    "b",
  );
  assert.deepEqual(
    await placeGroup(edge1, "i", { leaseMs: 60_000, usable: () => false }),
    { ok: false, reason: "No media node is available" },
  );
});

Deno.test("placeGroup() says why when no node can take the group or Redis is unreachable", async () => {
  await using c = await cluster([]);
  const [edge] = c.edges;
  assert.deepEqual(await placeGroup(edge, "g", { leaseMs: 1000 }), {
    ok: false,
    reason: "No media node is available",
  });
  c.heartbeats.set(
    "full",
    await registerMediaNode(edge, () => node("full", 3, 3), {
      log: () => {},
      ttlMs: 60_000,
    }),
  );
  assert.deepEqual(await placeGroup(edge, "g", { leaseMs: 1000 }), {
    ok: false,
    reason: "Every media node is full",
  });
  await c.redis.stop({ signal: "SIGKILL" });
  await waitFor("the edge to see Redis down", () => !edge.up);
  const refused = await placeGroup(edge, "g", { leaseMs: 1000 });
  assert.equal(refused.ok, false);
  assert.match(refused.ok ? "" : refused.reason, /^Redis is unreachable at /);
});
