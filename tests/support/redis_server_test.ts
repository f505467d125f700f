import assert from "node:assert/strict";
import { startRedisServer } from "./redis_server.ts";

async function ping(port: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buffer = new Uint8Array(64);
    const n = await conn.read(buffer);
    return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
  } finally {
    conn.close();
  }
}

Deno.test("startRedisServer() answers on loopback, restarts on the same port, and close() stops it", async () => {
  const redis = await startRedisServer();
  try {
    const port = redis.port;
    assert.equal(redis.url, `redis://127.0.0.1:${port}`);
    assert.equal(await ping(port), "+PONG\r\n");

    await redis.stop({ signal: "SIGKILL" });
    assert.equal(redis.running, false);
    const refused = await ping(port).then(() => false, () => true);
    assert(refused, "a stopped server must refuse connections");

    await redis.start();
    assert.equal(redis.port, port);
    assert.equal(await ping(port), "+PONG\r\n");
  } finally {
    await redis.close();
  }
  assert.equal(redis.running, false);
});

Deno.test("startRedisServer() with a password asks clients to authenticate", async () => {
  await using redis = await startRedisServer({ password: "s3cret/pw" });
  assert((await ping(redis.port)).startsWith("-NOAUTH"));
  assert.equal(redis.url, `redis://:s3cret%2Fpw@127.0.0.1:${redis.port}`);
});
