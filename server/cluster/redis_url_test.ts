import assert from "node:assert/strict";
import { parseRedisUrl } from "./redis_url.ts";

Deno.test("parseRedisUrl() reads host, port, database and credentials", () => {
  assert.deepEqual(parseRedisUrl("redis://127.0.0.1:6380"), {
    host: "127.0.0.1",
    port: 6380,
    db: 0,
    display: "redis://127.0.0.1:6380",
  });
  assert.deepEqual(parseRedisUrl("redis://nereid:p%40ss@cache.local/3"), {
    host: "cache.local",
    port: 6379,
    db: 3,
    username: "nereid",
    password: "p@ss",
    display: "redis://cache.local/3",
  });
  const v6 = parseRedisUrl("redis://:pw@[::1]:7000");
  assert.equal(v6.host, "::1");
  assert.equal(v6.password, "pw");
  assert.equal(v6.username, undefined);
  assert.equal(v6.display, "redis://[::1]:7000");
});

Deno.test("parseRedisUrl() refuses other schemes and paths without repeating the password", () => {
  for (
    const bad of [
      "http://:hunter2@127.0.0.1:6379",
      "redis://:hunter2@127.0.0.1:6379/db",
      "redis://:hunter2@127.0.0.1:6379?x=1",
      "redis://:hunter2@127.0.0.1:99999",
      "not a url hunter2",
    ]
  ) {
    assert.throws(() => parseRedisUrl(bad), (error: unknown) => {
      assert(error instanceof TypeError);
      assert(!error.message.includes("hunter2"), error.message);
      return true;
    });
  }
});
