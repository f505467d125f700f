/**
 * `/recordings/GROUP/` across media nodes that do not share a folder: two
 * media node processes, each with its own recordings folder, and an edge
 * (with a folder of its own) lists the files of both, serves either
 * (Range requests too) and deletes one on its node. A node's recordings
 * endpoint refuses a request without an edge token.
 *
 * @module
 */

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { EdgeTokens } from "../../server/cluster/edge_token.ts";
import {
  startMediaProcess,
  TEST_SECRET,
} from "../media_node/support/remote_node.ts";
import { startRedisServer } from "../support/redis_server.ts";
import { startEdgeProcess } from "./support/edge_process.ts";
import { clusterRoot, mediaNodesRegistered } from "./support/cluster_setup.ts";

const AUTH = { Authorization: `Basic ${btoa("vimes:p")}` };
const A = "2026-11-29T14:05:00.123-carrot.webm";
const B = "2026-11-29T14:06:00.456-angua.webm";

async function listed(http: string): Promise<string[]> {
  const res = await fetch(`${http}/recordings/g/`, { headers: AUTH });
  strictEqual(res.status, 200);
  const html = await res.text();
  return [...html.matchAll(/href="\.\/([^"]+)" download/g)].map((m) =>
    decodeURIComponent(m[1]!)
  );
}

Deno.test({
  name:
    "an edge lists, serves and deletes the recordings of two media nodes with folders of their own",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot({
      g: {
        "allow-recording": true,
        users: { vimes: { password: "p", permissions: "op" } },
      },
    });
    const bytesA = new TextEncoder().encode("the first node's file");
    const bytesB = Uint8Array.from(
      { length: 100_000 },
      (_, i) => (i * 7) & 0xff,
    );
    await Deno.mkdir(`${root}/n1/g`, { recursive: true });
    await Deno.mkdir(`${root}/n2/g`, { recursive: true });
    await Deno.writeFile(`${root}/n1/g/${A}`, bytesA);
    await Deno.writeFile(`${root}/n2/g/${B}`, bytesB);
    const n1 = await startMediaProcess({
      recordingsDir: `${root}/n1`,
      nodeId: "media-1",
      redisUrl: redis.url,
    });
    const n2 = await startMediaProcess({
      recordingsDir: `${root}/n2`,
      nodeId: "media-2",
      redisUrl: redis.url,
    });
    try {
      await mediaNodesRegistered(redis.url, 2);
      await using edge = await startEdgeProcess(root, redis.url);

      deepStrictEqual(await listed(edge.http), [A, B]);
      const whole = await fetch(
        `${edge.http}/recordings/g/${encodeURIComponent(B)}`,
        { headers: AUTH },
      );
      strictEqual(whole.status, 200);
      strictEqual(whole.headers.get("content-type"), "video/webm");
      deepStrictEqual(await whole.bytes(), bytesB);
      const part = await fetch(
        `${edge.http}/recordings/g/${encodeURIComponent(B)}`,
        { headers: { ...AUTH, Range: "bytes=10-19" } },
      );
      strictEqual(part.status, 206);
      strictEqual(part.headers.get("content-range"), "bytes 10-19/100000");
      deepStrictEqual(await part.bytes(), bytesB.subarray(10, 20));
      const missing = await fetch(`${edge.http}/recordings/g/nothing.webm`, {
        headers: AUTH,
      });
      await missing.body?.cancel();
      strictEqual(missing.status, 404);

      const deleted = await fetch(`${edge.http}/recordings/g/`, {
        method: "POST",
        headers: {
          ...AUTH,
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ q: "delete", filename: A }),
        redirect: "manual",
      });
      await deleted.body?.cancel();
      strictEqual(deleted.status, 303);
      deepStrictEqual(await listed(edge.http), [B]);
      await Deno.stat(`${root}/n1/g/${A}`).then(
        () => Promise.reject(new Error("the file is still on node 1")),
        (e) => {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
        },
      );

      // The node's endpoint: an edge token for that node, or nothing.
      const base = n2.url.replace("ws:", "http:").replace(/\/control$/, "");
      const bare = await fetch(`${base}/recordings/g/`);
      await bare.body?.cancel();
      strictEqual(bare.status, 401);
      const tokens = new EdgeTokens(TEST_SECRET);
      const forOther = await tokens.mint({
        edgeId: "edge-x",
        nodeId: "media-1",
        now: Date.now(),
      });
      const wrong = await fetch(`${base}/recordings/g/`, {
        headers: { Authorization: `Bearer ${forOther}` },
      });
      await wrong.body?.cancel();
      strictEqual(wrong.status, 401);
    } finally {
      await n1.stop();
      await n2.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
});
