import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { startRedisServer } from "../../tests/support/redis_server.ts";
import { waitFor } from "../../tests/support/wait_for.ts";
import { MEDIA_NODE_INDEX, mediaNodeKey } from "./cluster_keys.ts";
import {
  listMediaNodes,
  type MediaNodeInfo,
  parseMediaNodeInfo,
  registerMediaNode,
} from "./media_node_registry.ts";
import { openRedisConnection } from "./redis_connection.ts";

function node(id: string, load = 0): MediaNodeInfo {
  return { id, controlUrl: `http://127.0.0.1:1/${id}`, capacity: 10, load };
}

Deno.test("parseMediaNodeInfo() checks every field", () => {
  assert.deepEqual(parseMediaNodeInfo(node("m-1", 3), "n"), node("m-1", 3));
  const bad: unknown[] = [
    null,
    { ...node("m-1"), id: "" },
    { ...node("m-1"), id: "a b" },
    { ...node("m-1"), id: "x".repeat(65) },
    { ...node("m-1"), controlUrl: "ftp://host/" },
    { ...node("m-1"), controlUrl: "not a url" },
    { ...node("m-1"), capacity: 0 },
    { ...node("m-1"), capacity: 1.5 },
    { ...node("m-1"), load: -1 },
    { ...node("m-1"), load: "3" },
  ];
  for (const value of bad) {
    assert.throws(() => parseMediaNodeInfo(value, "n"), TypeError);
  }
});

Deno.test("a registered media node is listed with its current load, and is gone at once after stop()", async () => {
  await using redis = await startRedisServer();
  const connection = openRedisConnection(redis.url, { log: () => {} });
  try {
    await connection.whenUp();
    let load = 1;
    const a = await registerMediaNode(connection, () => node("a", load), {
      log: () => {},
      refreshMs: 20,
      ttlMs: 100,
    });
    const b = await registerMediaNode(connection, () => node("b", 7), {
      log: () => {},
      refreshMs: 20,
      ttlMs: 100,
    });
    assert.equal(a.registered, true);
    const listed = await listMediaNodes(connection);
    assert.deepEqual(listed.map((n) => [n.id, n.load]), [["a", 1], ["b", 7]]);
    assert.equal(listed[0]?.incarnation, a.incarnation);

    // Refreshes carry the load and outlive the 100 ms time to live.
    load = 4;
    const started = performance.now();
    await waitFor("the new load", async () => {
      const nodes = await listMediaNodes(connection);
      return nodes.find((n) => n.id === "a")?.load === 4 &&
        performance.now() - started > 300;
    });
    assert.equal((await listMediaNodes(connection)).length, 2);

    await a.stop();
    assert.deepEqual((await listMediaNodes(connection)).map((n) => n.id), [
      "b",
    ]);
    assert.equal(
      await connection.command((r) => r.exists(mediaNodeKey("a"))),
      0,
    );
    await b.stop();
    assert.deepEqual(await listMediaNodes(connection), []);
    assert.equal(await connection.command((r) => r.zcard(MEDIA_NODE_INDEX)), 0);
  } finally {
    await connection.close();
  }
});

Deno.test("a media node killed with SIGKILL is gone from the list within 5 s", async () => {
  await using redis = await startRedisServer();
  const connection = openRedisConnection(redis.url, { log: () => {} });
  const script = fromFileUrl(
    new URL("./testdata/media_node_process.ts", import.meta.url),
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", script, redis.url, "doomed"],
    cwd: fromFileUrl(new URL("../..", import.meta.url)),
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let killed = false;
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    const first = await reader.read();
    reader.releaseLock();
    assert.equal(first.value?.trim(), "registered");
    await connection.whenUp();
    assert.deepEqual((await listMediaNodes(connection)).map((n) => n.id), [
      "doomed",
    ]);

    child.kill("SIGKILL");
    const killedAt = performance.now();
    killed = true;
    await child.status;
    await waitFor(
      "the killed node to leave the list",
      async () => (await listMediaNodes(connection)).length === 0,
      { timeoutMs: 8000, intervalMs: 25 },
    );
    const gone = performance.now() - killedAt;
    console.log(
      `killed media node gone from the list after ${Math.round(gone)} ms`,
    );
    // Refreshed every second with PX 5000: the record expires 4 to 5 s
    // after the kill; the margin is our polling (25 ms) on a busy machine.
    assert(gone >= 3900 && gone <= 5250, `gone after ${gone} ms`);
  } finally {
    if (!killed) child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await connection.close();
  }
});

Deno.test("a media node registers again when Redis comes back empty", async () => {
  await using redis = await startRedisServer();
  const connection = openRedisConnection(redis.url, {
    log: () => {},
    maxRetryDelayMs: 20,
  });
  try {
    await connection.whenUp();
    const heartbeat = await registerMediaNode(connection, () => node("m"), {
      log: () => {},
      refreshMs: 20,
      ttlMs: 1000,
    });
    await redis.stop({ signal: "SIGKILL" });
    await waitFor("the heartbeat to fail", () => !heartbeat.registered);
    await redis.start();
    await waitFor(
      "the node to be listed again",
      async () => (await listMediaNodes(connection)).length === 1,
    );
    await heartbeat.stop();
  } finally {
    await connection.close();
  }
});

Deno.test("listMediaNodes() skips a record that does not parse and logs it", async () => {
  await using redis = await startRedisServer();
  const connection = openRedisConnection(redis.url, { log: () => {} });
  try {
    await connection.whenUp();
    await connection.command((r) =>
      r.multi()
        .set(mediaNodeKey("bad"), "{not json", "PX", 5000)
        .set(
          mediaNodeKey("liar"),
          JSON.stringify({ ...node("other"), incarnation: "x" }),
          "PX",
          5000,
        )
        .set(
          mediaNodeKey("good"),
          JSON.stringify({ ...node("good"), incarnation: "x" }),
          "PX",
          5000,
        )
        .zadd(MEDIA_NODE_INDEX, 1, "bad", 1, "liar", 1, "good", 1, "expired")
        .exec()
    );
    const lines: string[] = [];
    const nodes = await listMediaNodes(connection, {
      log: (l) => lines.push(l),
    });
    assert.deepEqual(nodes.map((n) => n.id), ["good"]);
    assert.equal(lines.length, 2, lines.join("\n"));
    // The id whose record expired left the index.
    assert.equal(
      await connection.command((r) => r.zscore(MEDIA_NODE_INDEX, "expired")),
      null,
    );
  } finally {
    await connection.close();
  }
});
