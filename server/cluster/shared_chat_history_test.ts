import assert from "node:assert/strict";
import type { ChatEntry } from "../group/chat_history.ts";
import { startRedisServer } from "../../tests/support/redis_server.ts";
import { waitFor } from "../../tests/support/wait_for.ts";
import { groupChatKey } from "./cluster_keys.ts";
import {
  openRedisConnection,
  type RedisConnection,
} from "./redis_connection.ts";
import { SharedChatHistory } from "./shared_chat_history.ts";

const T0 = Date.UTC(2026, 10, 29, 14, 0, 0);
const HOUR = 3600_000;

function entry(
  id: string,
  options: { source?: string; time?: number; value?: string } = {},
): ChatEntry {
  const source = options.source ?? "alice-id";
  return {
    id,
    source,
    username: source.replace(/-id$/, ""),
    time: options.time ?? T0,
    kind: "",
    value: options.value ?? `message ${id}`,
  };
}

async function twoEdges() {
  const redis = await startRedisServer();
  const edges = [
    openRedisConnection(redis.url, { log: () => {} }),
    openRedisConnection(redis.url, { log: () => {} }),
  ] as [RedisConnection, RedisConnection];
  await Promise.all(edges.map((e) => e.whenUp()));
  return {
    edges,
    async [Symbol.asyncDispose]() {
      for (const e of edges) await e.close();
      await redis.close();
    },
  };
}

const ids = (entries: ChatEntry[]) => entries.map((e) => e.id);

Deno.test("chat appended through one edge is read, oldest first, by a joiner on another edge", async () => {
  await using c = await twoEdges();
  const one = new SharedChatHistory(c.edges[0]);
  const two = new SharedChatHistory(c.edges[1]);
  await one.append("g", entry("1", { time: T0 }), { now: T0, maxAgeMs: HOUR });
  await two.append("g", entry("2", { source: "bob-id", time: T0 + 1 }), {
    now: T0 + 1,
    maxAgeMs: HOUR,
  });
  await one.append("other", entry("x"), { now: T0, maxAgeMs: HOUR });
  const read = await two.entries("g", { now: T0 + 2, maxAgeMs: HOUR });
  assert.deepEqual(read, [
    entry("1", { time: T0 }),
    entry("2", { source: "bob-id", time: T0 + 1 }),
  ]);
  assert.deepEqual(await one.entries("none", { now: T0, maxAgeMs: HOUR }), []);
});

Deno.test("the shared history keeps the newest entries within its count bound, even with two edges writing at once", async () => {
  await using c = await twoEdges();
  const [one, two] = c.edges.map((e) =>
    new SharedChatHistory(e, { maxEntries: 5 })
  );
  for (let i = 1; i <= 8; i++) {
    await one!.append("g", entry(`${i}`), { now: T0 + i, maxAgeMs: HOUR });
  }
  assert.deepEqual(
    ids(await one!.entries("g", { now: T0 + 9, maxAgeMs: HOUR })),
    ["4", "5", "6", "7", "8"],
  );
  await Promise.all(
    Array.from(
      { length: 60 },
      (_, i) =>
        (i % 2 ? one! : two!).append("busy", entry(`${i}`), {
          now: T0 + i,
          maxAgeMs: HOUR,
        }),
    ),
  );
  assert.equal(
    await c.edges[0].command((r) => r.xlen(groupChatKey("busy"))),
    5,
  );
});

Deno.test("the shared history drops the oldest entries beyond its byte bound and refuses an entry larger than the bound", async () => {
  await using c = await twoEdges();
  const size = (e: ChatEntry) =>
    new TextEncoder().encode(JSON.stringify(e)).length;
  const small = (id: string) => entry(id, { value: "é".repeat(10) });
  const maxBytes = 3 * size(small("1"));
  const history = new SharedChatHistory(c.edges[0], { maxBytes });
  const time = { now: T0, maxAgeMs: HOUR };
  for (const id of ["1", "2", "3", "4"]) {
    await history.append("g", small(id), time);
  }
  assert.deepEqual(ids(await history.entries("g", time)), ["2", "3", "4"]);

  // An entry of twice a small one's size evicts two small ones.
  const s = size(small("1"));
  const big = entry("5", {
    value: "x".repeat(2 * s - size(entry("5", { value: "" }))),
  });
  assert.equal(size(big), 2 * s);
  await history.append("g", big, time);
  const kept = await history.entries("g", time);
  assert.deepEqual(ids(kept), ["4", "5"]);

  const huge = entry("6", { value: "x".repeat(maxBytes) });
  await assert.rejects(history.append("g", huge, time), RangeError);
  assert.deepEqual(await history.entries("g", time), kept);
});

Deno.test("the shared history forgets entries older than the group's age, and the whole stream expires", async () => {
  await using c = await twoEdges();
  const history = new SharedChatHistory(c.edges[0]);
  const maxAgeMs = 1500;
  for (const dt of [0, 1000, 2000]) {
    await history.append("g", entry(`${dt}`, { time: T0 + dt }), {
      now: T0 + dt,
      maxAgeMs,
    });
  }
  // Read at T0 + 2000: the cutoff is T0 + 500.
  assert.deepEqual(
    ids(await history.entries("g", { now: T0 + 2000, maxAgeMs })),
    [
      "1000",
      "2000",
    ],
  );
  // The append at T0 + 2000 trimmed the stream itself.
  const key = groupChatKey("g");
  assert.equal(await c.edges[0].command((r) => r.xlen(key)), 2);
  assert.deepEqual(
    await history.entries("g", { now: T0 + 3600, maxAgeMs }),
    [],
  );

  // With the real clock, an idle group's history disappears from Redis.
  await history.append("idle", entry("1"), { now: Date.now(), maxAgeMs: 100 });
  assert.equal(
    await c.edges[0].command((r) => r.exists(groupChatKey("idle"))),
    1,
  );
  await waitFor(
    "the idle history to expire",
    async () =>
      (await c.edges[0].command((r) => r.exists(groupChatKey("idle")))) === 0,
  );
});

Deno.test("an edge whose clock is behind still appends after the newest entry", async () => {
  await using c = await twoEdges();
  const ahead = new SharedChatHistory(c.edges[0]);
  const behind = new SharedChatHistory(c.edges[1]);
  await ahead.append("g", entry("first"), { now: T0 + 5000, maxAgeMs: HOUR });
  await behind.append("g", entry("second"), { now: T0, maxAgeMs: HOUR });
  assert.deepEqual(
    ids(await ahead.entries("g", { now: T0 + 5000, maxAgeMs: HOUR })),
    [
      "first",
      "second",
    ],
  );
});

Deno.test("clear() deletes a user's entries, one entry, or everything", async () => {
  await using c = await twoEdges();
  const history = new SharedChatHistory(c.edges[0]);
  const time = { now: T0, maxAgeMs: HOUR };
  await history.append("g", entry("a1"), time);
  await history.append("g", entry("b1", { source: "bob-id" }), time);
  await history.append("g", entry("a2"), time);
  await history.append("g", entry("a3"), time);

  assert.equal(await history.clear("g", { userId: "alice-id", id: "a2" }), 1);
  assert.deepEqual(ids(await history.entries("g", time)), ["a1", "b1", "a3"]);
  assert.equal(await history.clear("g", { userId: "alice-id" }), 2);
  assert.deepEqual(ids(await history.entries("g", time)), ["b1"]);
  assert.equal(await history.clear("g", { userId: "nobody" }), 0);
  assert.equal(await history.clear("g", { all: true }), 1);
  assert.deepEqual(await history.entries("g", time), []);
});

Deno.test("entries() skips stream entries that are not chat entries", async () => {
  await using c = await twoEdges();
  const history = new SharedChatHistory(c.edges[0]);
  const key = groupChatKey("g");
  await c.edges[0].command((r) => r.xadd(key, `${T0}-1`, "e", "{broken"));
  await c.edges[0].command((r) => r.xadd(key, `${T0}-2`, "e", '{"id":1}'));
  await c.edges[0].command((r) => r.xadd(key, `${T0}-3`, "other", "x"));
  await history.append("g", entry("ok"), { now: T0, maxAgeMs: HOUR });
  assert.deepEqual(
    ids(await history.entries("g", { now: T0, maxAgeMs: HOUR })),
    ["ok"],
  );
});
