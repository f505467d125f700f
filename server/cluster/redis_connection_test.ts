import assert from "node:assert/strict";
import { startRedisServer } from "../../tests/support/redis_server.ts";
import { waitFor } from "../../tests/support/wait_for.ts";
import {
  openRedisConnection,
  type RedisConnection,
  RedisUnavailableError,
} from "./redis_connection.ts";

function logger(): { lines: string[]; log: (line: string) => void } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line) };
}

function count(lines: readonly string[], text: string): number {
  return lines.filter((l) => l.includes(text)).length;
}

/**
 * Listens where Redis was, accepting and dropping every connection: each
 * accepted socket is one reconnection attempt that failed.
 */
function dropConnections(port: number): {
  attempts: () => number;
  close: () => Promise<void>;
} {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  let attempts = 0;
  const loop = (async () => {
    try {
      for await (const conn of listener) {
        attempts++;
        conn.close();
      }
    } catch {
      // Closed.
    }
  })();
  return {
    attempts: () => attempts,
    close: async () => {
      listener.close();
      await loop;
    },
  };
}

Deno.test("RedisConnection runs commands once connected and logs the connection", async () => {
  await using redis = await startRedisServer();
  const { lines, log } = logger();
  const connection = openRedisConnection(redis.url, { log });
  try {
    await connection.whenUp();
    assert.equal(connection.up, true);
    assert.equal(
      await connection.command((r) => r.set("k", "v", "PX", 5000, "NX")),
      "OK",
    );
    assert.equal(await connection.command((r) => r.get("k")), "v");
    assert.deepEqual(lines, [
      `Redis connected at redis://127.0.0.1:${redis.port}`,
    ]);
  } finally {
    await connection.close();
    await connection.close();
  }
  assert.equal(connection.state, "closed");
  await assert.rejects(
    connection.command((r) => r.get("k")),
    RedisUnavailableError,
  );
});

Deno.test("RedisConnection logs 'Redis unreachable' and 'Redis back' once each across a restart, and its subscriptions resume", async () => {
  await using redis = await startRedisServer();
  const { lines, log } = logger();
  const connection = openRedisConnection(redis.url, {
    log,
    maxRetryDelayMs: 20,
  });
  const publisher = openRedisConnection(redis.url, { log: () => {} });
  try {
    const received: string[] = [];
    await connection.subscribe("events", (m) => received.push(m));
    await Promise.all([connection.whenUp(), publisher.whenUp()]);
    assert.equal(await publisher.publish("events", "before"), 1);
    await waitFor("the first message", () => received.length === 1);

    await redis.stop({ signal: "SIGKILL" });
    await waitFor(
      "the connection to be down",
      () => connection.state === "down",
    );
    // While it is down, commands fail at once instead of queueing.
    await assert.rejects(
      connection.command((r) => r.get("k")),
      RedisUnavailableError,
    );
    // Many failed reconnection attempts, still one log line.
    const dropper = dropConnections(redis.port);
    await waitFor("10 failed reconnections", () => dropper.attempts() >= 10);
    await dropper.close();
    await redis.start();
    await connection.whenUp();

    assert.equal(count(lines, "Redis unreachable"), 1, lines.join("\n"));
    assert.equal(count(lines, "Redis back"), 1, lines.join("\n"));
    assert.match(
      lines.find((l) => l.includes("Redis unreachable")) ?? "",
      new RegExp(
        `^Redis unreachable at redis://127\\.0\\.0\\.1:${redis.port}: `,
      ),
    );
    // "up" means subscribed again: one publish is enough.
    await publisher.whenUp();
    assert.equal(await publisher.publish("events", "after"), 1);
    await waitFor("the message after the restart", () => received.length === 2);
    assert.deepEqual(received, ["before", "after"]);
  } finally {
    await connection.close();
    await publisher.close();
  }
});

Deno.test("RedisConnection started while Redis is down logs it and connects when Redis starts", async () => {
  await using redis = await startRedisServer();
  await redis.stop();
  const { lines, log } = logger();
  const connection = openRedisConnection(redis.url, {
    log,
    maxRetryDelayMs: 20,
  });
  try {
    await waitFor(
      "the connection to be down",
      () => connection.state === "down",
    );
    await assert.rejects(
      connection.command((r) => r.ping()),
      /Redis is unreachable at redis:\/\/127\.0\.0\.1:/,
    );
    await redis.start();
    await connection.whenUp();
    assert.equal(await connection.command((r) => r.ping()), "PONG");
    assert.equal(count(lines, "Redis unreachable"), 1);
    assert.equal(count(lines, "Redis back"), 1);
  } finally {
    await connection.close();
  }
});

Deno.test("RedisConnection fails a command that gets no reply in time instead of hanging", async () => {
  await using redis = await startRedisServer();
  const connection = openRedisConnection(redis.url, {
    log: () => {},
    commandTimeoutMs: 200,
  });
  try {
    await connection.whenUp();
    await connection.command((r) => r.set("k", "v"));
    redis.freeze();
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      connection.command((r) => r.get("k")).then(() => "a reply", (e) => e),
      new Promise((resolve) => timer = setTimeout(resolve, 3000, "a hang")),
    ]);
    clearTimeout(timer);
    const waited = performance.now() - started;
    assert(outcome instanceof RedisUnavailableError, `got ${outcome}`);
    assert.match(outcome.message, /timed out/i);
    assert(waited >= 190 && waited < 2000, `failed after ${waited} ms`);
    redis.thaw();
    await waitFor(
      "a reply after the server resumes",
      () => connection.command((r) => r.get("k")),
    );
  } finally {
    redis.thaw();
    await connection.close();
  }
});

Deno.test("RedisConnection logs a subscriber callback that throws and delivers the next message", async () => {
  await using redis = await startRedisServer();
  const { lines, log } = logger();
  const connection = openRedisConnection(redis.url, { log });
  try {
    const received: string[] = [];
    await connection.subscribe("chat", (m) => {
      received.push(m);
      if (m === "boom") throw new Error("handler failed");
    });
    const unsubscribeOther = await connection.subscribe(
      "chat",
      (m) => received.push(`other:${m}`),
    );
    await connection.whenUp();
    await connection.publish("chat", "boom");
    await connection.publish("chat", "fine");
    await waitFor("both messages", () => received.length === 4);
    assert.deepEqual(received, ["boom", "other:boom", "fine", "other:fine"]);
    assert.equal(
      count(lines, 'handler for channel "chat" threw: handler failed'),
      1,
    );

    await unsubscribeOther();
    await connection.publish("chat", "last");
    await waitFor("the last message", () => received.length === 5);
    assert.equal(received[4], "last");
  } finally {
    await connection.close();
  }
});

Deno.test("RedisConnection authenticates with the URL's password and never logs it", async () => {
  const password = "pw-never-logged-8d3f";
  await using redis = await startRedisServer({ password });
  const { lines, log } = logger();
  const good = openRedisConnection(redis.url, { log, maxRetryDelayMs: 20 });
  const bad = openRedisConnection(
    `redis://:wrong-${password}@127.0.0.1:${redis.port}`,
    { log, maxRetryDelayMs: 20 },
  );
  let connections: RedisConnection[] = [good, bad];
  try {
    await good.whenUp();
    assert.equal(await good.command((r) => r.ping()), "PONG");
    await waitFor(
      "the wrong password to be refused",
      () => bad.state === "down",
    );
    await redis.stop({ signal: "SIGKILL" });
    await waitFor("the connection to be down", () => good.state === "down");
    await redis.start();
    await good.whenUp();
    await bad.close();
    connections = [good];
    assert(lines.length >= 4, lines.join("\n"));
    for (const line of lines) assert(!line.includes(password), line);
  } finally {
    for (const c of connections) await c.close();
  }
});
