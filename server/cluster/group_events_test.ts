import assert from "node:assert/strict";
import { startRedisServer } from "../../tests/support/redis_server.ts";
import { waitFor } from "../../tests/support/wait_for.ts";
import { groupEventsChannel } from "./cluster_keys.ts";
import { type GroupEvent, GroupEvents } from "./group_events.ts";
import { openRedisConnection } from "./redis_connection.ts";

Deno.test("an event one edge publishes for a group is heard by the other edge, not by itself nor by other groups", async () => {
  await using redis = await startRedisServer();
  const c1 = openRedisConnection(redis.url, { log: () => {} });
  const c2 = openRedisConnection(redis.url, { log: () => {} });
  try {
    const edge1 = new GroupEvents(c1, { origin: "edge-1", log: () => {} });
    const edge2 = new GroupEvents(c2, { origin: "edge-2", log: () => {} });
    const heard1: GroupEvent[] = [];
    const heard2: GroupEvent[] = [];
    const other2: GroupEvent[] = [];
    await edge1.subscribe("g", (e) => heard1.push(e));
    await edge2.subscribe("g", (e) => heard2.push(e));
    await edge2.subscribe("other", (e) => other2.push(e));
    await Promise.all([c1.whenUp(), c2.whenUp()]);

    // Both edges' subscriber connections receive it.
    assert.equal(await edge1.publish("g", "chat", { value: "héllo" }), 2);
    await edge2.publish("g", "lock", { locked: true });
    await waitFor("edge 2 to hear edge 1", () => heard2.length === 1);
    await waitFor("edge 1 to hear edge 2", () => heard1.length === 1);
    assert.deepEqual(heard2, [
      { origin: "edge-1", type: "chat", data: { value: "héllo" } },
    ]);
    assert.deepEqual(heard1, [
      { origin: "edge-2", type: "lock", data: { locked: true } },
    ]);
    assert.deepEqual(other2, []);
  } finally {
    await c1.close();
    await c2.close();
  }
});

Deno.test("group events are bounded in bytes and malformed ones are logged and dropped", async () => {
  await using redis = await startRedisServer();
  const c = openRedisConnection(redis.url, { log: () => {} });
  try {
    const lines: string[] = [];
    const events = new GroupEvents(c, {
      origin: "edge-1",
      log: (l) => lines.push(l),
      maxBytes: 200,
    });
    const heard: GroupEvent[] = [];
    await events.subscribe("g", (e) => heard.push(e));
    await c.whenUp();
    assert.throws(
      () => events.publish("g", "chat", "x".repeat(200)),
      RangeError,
    );
    assert.throws(() => events.publish("g", "Bad Type", {}), TypeError);

    const channel = groupEventsChannel("g");
    for (
      const raw of [
        "{not json",
        JSON.stringify({ v: 2, origin: "edge-9", type: "chat", data: 1 }),
        JSON.stringify({ v: 1, origin: "edge 9", type: "chat", data: 1 }),
        JSON.stringify({ v: 1, origin: "edge-9", type: "chat" }),
        JSON.stringify({
          v: 1,
          origin: "edge-9",
          type: "chat",
          data: "é".repeat(100),
        }),
        JSON.stringify({ v: 1, origin: "edge-9", type: "chat", data: "fine" }),
      ]
    ) {
      await c.publish(channel, raw);
    }
    await waitFor("the valid event", () => heard.length === 1);
    assert.deepEqual(heard, [{ origin: "edge-9", type: "chat", data: "fine" }]);
    assert.deepEqual(lines, [
      'group "g": dropped an event that is not JSON',
      'group "g": dropped an event of an unknown form',
      'group "g": dropped an event of an unknown form',
      'group "g": dropped an event of an unknown form',
      'group "g": dropped an event of more than 200 bytes',
    ]);
  } finally {
    await c.close();
  }
});
