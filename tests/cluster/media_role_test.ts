/**
 * `main.ts -role media`: a media node registers itself in Redis with its
 * advertised control URL, answers an edge there, and unregisters when it
 * stops.
 *
 * @module
 */

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { EdgeTokens } from "../../server/cluster/edge_token.ts";
import { listMediaNodes } from "../../server/cluster/media_node_registry.ts";
import { openRedisConnection } from "../../server/cluster/redis_connection.ts";
import { RemoteMediaNode } from "../../server/cluster/remote_media_node.ts";
import { startRedisServer } from "../support/redis_server.ts";
import { startServerProcess } from "../support/server_process.ts";
import { waitFor } from "../support/wait_for.ts";
import { TEST_SECRET } from "../media_node/support/remote_node.ts";

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
    const media = await startServerProcess({
      args: [
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
      ready: /media node media-7 listening on (\S+)/,
    });
    const url = media.ready;
    const connection = openRedisConnection(redis.url, { log: () => {} });
    try {
      strictEqual(
        media.output.includes(TEST_SECRET),
        false,
        "the secret is not logged",
      );

      await connection.whenUp();
      // The first heartbeat may come before the node's Redis link is up.
      const nodes = await waitFor("the node's registration", async () => {
        const listed = await listMediaNodes(connection);
        return listed.length > 0 ? listed : undefined;
      }, { timeoutMs: 5000 });
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

      strictEqual((await media.stop("SIGTERM")).code, 0);
      deepStrictEqual(await listMediaNodes(connection), []);
    } finally {
      await media.stop("SIGKILL");
      await connection.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});
