/**
 * `main.ts -role media`: a media node registers itself in Redis with its
 * advertised control URL, answers an edge there, and unregisters when it
 * stops.
 *
 * @module
 */

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { EdgeTokens } from "../../server/cluster/edge_token.ts";
import { listMediaNodes } from "../../server/cluster/media_node_registry.ts";
import { openRedisConnection } from "../../server/cluster/redis_connection.ts";
import { RemoteMediaNode } from "../../server/cluster/remote_media_node.ts";
import { startRedisServer } from "../support/redis_server.ts";
import { TEST_SECRET } from "../media_node/support/remote_node.ts";

const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

Deno.test({
  name:
    "main.ts -role media registers its advertised control URL in Redis, lets an edge in with the cluster secret, and unregisters on SIGTERM",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await Deno.makeTempDir({ prefix: "nereid-media-" });
    await Deno.writeTextFile(
      `${root}/config.json`,
      JSON.stringify({ clusterSecret: TEST_SECRET }),
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        MAIN,
        "-role",
        "media",
        "-redis",
        redis.url,
        "-data",
        root,
        "-recordings",
        `${root}/recordings`,
        "-media-listen",
        "127.0.0.1:0",
        "-node-id",
        "media-7",
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const connection = openRedisConnection(redis.url, { log: () => {} });
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream())
        .getReader();
      let out = "";
      let url: string | undefined;
      while (url === undefined) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`The media node ended: ${out}`);
        out += value;
        url = /media node media-7 listening on (\S+)/.exec(out)?.[1];
      }
      reader.releaseLock();
      child.stdout.pipeTo(new WritableStream()).catch(() => {});
      strictEqual(out.includes(TEST_SECRET), false, "the secret is not logged");

      await connection.whenUp();
      // The first heartbeat may come before the node's Redis link is up.
      let nodes = await listMediaNodes(connection);
      for (let i = 0; i < 50 && nodes.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        nodes = await listMediaNodes(connection);
      }
      deepStrictEqual(
        nodes.map((n) => [n.id, n.controlUrl, n.capacity, n.load]),
        [["media-7", url, 500, 0]],
      );
      const node = await RemoteMediaNode.connect({
        url,
        nodeId: "media-7",
        edgeId: "edge-1",
        tokens: new EdgeTokens(TEST_SECRET),
        log: () => {},
      });
      deepStrictEqual(await node.stats(), []);
      await node.close();

      child.kill("SIGTERM");
      strictEqual((await child.status).code, 0);
      deepStrictEqual(await listMediaNodes(connection), []);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await child.status;
      await connection.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});
