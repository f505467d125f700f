import assert from "node:assert/strict";
import { startRedisServer } from "../../tests/support/redis_server.ts";
import { openRedisConnection } from "./redis_connection.ts";
import {
  compareAndDelete,
  compareAndExpire,
  compareAndSet,
} from "./redis_scripts.ts";

Deno.test("compare-and-* scripts act only while the key holds the expected value", async () => {
  await using redis = await startRedisServer();
  const c = openRedisConnection(redis.url, { log: () => {} });
  try {
    await c.whenUp();
    await c.command((r) => r.set("k", "mine", "PX", 10_000));

    assert.equal(
      await compareAndExpire(c, "k", { expected: "theirs", ttlMs: 50_000 }),
      false,
    );
    assert(await c.command((r) => r.pttl("k")) <= 10_000);
    assert.equal(
      await compareAndExpire(c, "k", { expected: "mine", ttlMs: 50_000 }),
      true,
    );
    assert(await c.command((r) => r.pttl("k")) > 10_000);

    assert.equal(
      await compareAndSet(c, "k", {
        expected: "theirs",
        value: "x",
        ttlMs: 1000,
      }),
      false,
    );
    assert.equal(
      await compareAndSet(c, "k", {
        expected: "mine",
        value: "new",
        ttlMs: 1000,
      }),
      true,
    );
    assert.equal(await c.command((r) => r.get("k")), "new");
    assert(await c.command((r) => r.pttl("k")) <= 1000);
    assert.equal(
      await compareAndSet(c, "absent", {
        expected: "mine",
        value: "x",
        ttlMs: 1000,
      }),
      false,
    );

    assert.equal(await compareAndDelete(c, "k", "mine"), false);
    assert.equal(await compareAndDelete(c, "k", "new"), true);
    assert.equal(await c.command((r) => r.exists("k")), 0);
  } finally {
    await c.close();
  }
});
