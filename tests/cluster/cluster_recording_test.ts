/**
 * Recording a clustered group: an operator on edge 1 types `/record`, and
 * the members of edge 2 see the recorder (`user add` RECORDING with
 * `["system"]`, as Galène shows it); `/record` on edge 2 is refused with
 * "already recording", `/unrecord` there stops it. The stream, real VP8
 * from ffmpeg published by a member of edge 2, is recorded on the media
 * node process; its file decodes (ffprobe, ffmpeg) and is listed and
 * served by `/recordings/g/` on either edge (both use the node's
 * recordings folder, shared, as the README says), and deleted from one.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { startMediaProcess } from "../media_node/support/remote_node.ts";
import {
  decodeErrors,
  encodeFrames,
  probe,
  streamPackets,
} from "../recording/support/synthetic.ts";
import { Publisher } from "../support/publisher.ts";
import { openGroup } from "../support/groups.ts";
import { startRedisServer } from "../support/redis_server.ts";
import { waitFor } from "../support/wait_for.ts";
import { connect, type WsClient } from "../support/ws_client.ts";
import { startEdgeProcess } from "./support/edge_process.ts";
import { clusterRoot, mediaNodesRegistered } from "./support/cluster_setup.ts";

/** A group that may be recorded, with two operators, vimes and nobby. */
const RECORDING_GROUP = {
  "allow-recording": true,
  users: {
    vimes: { password: "p", permissions: "op" },
    nobby: { password: "p", permissions: "op" },
  },
};

const AUTH = { Authorization: `Basic ${btoa("vimes:p")}` };

/** The file names `/recordings/g/` lists on an edge. */
async function listed(http: string): Promise<string[]> {
  const res = await fetch(`${http}/recordings/g/`, { headers: AUTH });
  strictEqual(res.status, 200);
  const html = await res.text();
  return [...html.matchAll(/href="\.\/([^"]+\.webm)"/g)].map((m) =>
    decodeURIComponent(m[1]!)
  );
}

Deno.test({
  name:
    "a clustered group: /record on edge 1 is seen on edge 2, /unrecord there stops it, the node's file decodes and is listed, served and deleted from either edge",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot({
      g: openGroup({
        "allow-recording": true,
        users: {
          vimes: { password: "p", permissions: "op" },
          nobby: { password: "p", permissions: "op" },
        },
      }),
    });
    const recordings = `${root}/recordings`;
    const frames = await encodeFrames("vp8", { seconds: 12, dir: root });
    const media = await startMediaProcess({
      recordingsDir: recordings,
      redisUrl: redis.url,
    });
    const clients: WsClient[] = [];
    let publisher: Publisher | undefined;
    const join = async (url: string, name: string, password: string) => {
      const c = await connect(url);
      clients.push(c);
      await c.handshake();
      strictEqual((await c.join("g", name, password))["kind"], "join");
      return c;
    };
    try {
      await mediaNodesRegistered(redis.url, 1);
      await using edge1 = await startEdgeProcess(root, redis.url);
      await using edge2 = await startEdgeProcess(root, redis.url);
      const vimes = await join(edge1.ws, "vimes", "p");
      const carrot = await join(edge2.ws, "carrot", "any");
      const nobby = await join(edge2.ws, "nobby", "p");
      await vimes.next({ type: "user", kind: "add", id: nobby.id });
      publisher = new Publisher(carrot, {
        packets: streamPackets("vp8", frames, { audio: true }),
      });
      strictEqual((await publisher.offer())["type"], "answer");

      vimes.send({ type: "groupaction", kind: "record" });
      const recorder = await carrot.next({
        type: "user",
        kind: "add",
        username: "RECORDING",
      });
      deepStrictEqual(recorder["permissions"], ["system"]);
      await nobby.next({ type: "user", kind: "add", id: recorder["id"] });

      // One recorder for the group, whichever edge asks.
      nobby.send({ type: "groupaction", kind: "record" });
      const refused = await nobby.next({ type: "usermessage", kind: "error" });
      strictEqual(refused["value"], "already recording");

      const dir = `${recordings}/g`;
      const file = await waitFor("a recording file", async () => {
        for await (const e of Deno.readDir(dir)) {
          if (e.isFile && (await Deno.stat(`${dir}/${e.name}`)).size > 0) {
            return e.name;
          }
        }
        return undefined;
      }, { timeoutMs: 20_000, intervalMs: 200 });
      ok(file.endsWith("-carrot.webm"), file);
      // Four seconds of media into the file (two keyframe intervals).
      const from = publisher.sent;
      await waitFor(
        "4 s of media",
        () => publisher!.sent >= from + 4 * (30 * 2 + 50),
        { intervalMs: 100 },
      );

      nobby.send({ type: "groupaction", kind: "unrecord" });
      await carrot.next({ type: "user", kind: "delete", id: recorder["id"] });
      await vimes.next({ type: "user", kind: "delete", id: recorder["id"] });
      ok(!nobby.has({ type: "usermessage", kind: "error" }));

      const path = `${dir}/${file}`;
      // The file is complete once its duration is written.
      const p = await waitFor("the file's duration", async () => {
        const p = await probe(path);
        return Number(p.format.duration) > 0 ? p : undefined;
      }, { intervalMs: 200 });
      deepStrictEqual(p.streams.map((s) => s.codec_name).sort(), [
        "opus",
        "vp8",
      ]);
      const seconds = Number(p.format.duration);
      ok(seconds >= 3, `duration ${seconds}`);
      strictEqual(await decodeErrors(path), "");

      const bytes = await Deno.readFile(path);
      for (const edge of [edge1, edge2]) {
        deepStrictEqual(await listed(edge.http), [file]);
        const res = await fetch(
          `${edge.http}/recordings/g/${encodeURIComponent(file)}`,
          {
            headers: AUTH,
          },
        );
        strictEqual(res.status, 200);
        strictEqual((await res.bytes()).length, bytes.length);
      }
      const deleted = await fetch(`${edge2.http}/recordings/g/`, {
        method: "POST",
        headers: {
          ...AUTH,
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ q: "delete", filename: file }),
        redirect: "manual",
      });
      await deleted.body?.cancel();
      strictEqual(deleted.status, 303);
      deepStrictEqual(await listed(edge1.http), []);
    } finally {
      await publisher?.close();
      for (const c of clients) await c.close();
      await media.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "two edges asked to record at the same instant start one recorder, and the other edge says already recording",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot({ g: RECORDING_GROUP });
    const clients: WsClient[] = [];
    try {
      await using edge1 = await startEdgeProcess(root, redis.url);
      await using edge2 = await startEdgeProcess(root, redis.url);
      const ops: WsClient[] = [];
      for (const [url, name] of [[edge1.ws, "vimes"], [edge2.ws, "nobby"]]) {
        const c = await connect(url!);
        clients.push(c);
        await c.handshake();
        strictEqual((await c.join("g", name, "p"))["kind"], "join");
        ops.push(c);
      }
      const [vimes, nobby] = ops as [WsClient, WsClient];
      await vimes.next({ type: "user", kind: "add", id: nobby.id });

      vimes.send({ type: "groupaction", kind: "record" });
      nobby.send({ type: "groupaction", kind: "record" });
      // Each op sees the recorder once, and one of them is refused.
      for (const c of ops) {
        await c.next({ type: "user", kind: "add", username: "RECORDING" });
      }
      const refused = await Promise.any(
        ops.map((c) => c.next({ type: "usermessage", kind: "error" })),
      );
      strictEqual(refused["value"], "already recording");
      for (const c of ops) await c.sync();
      const recorders = (c: WsClient) =>
        c.history.filter((m) =>
          m["type"] === "user" && m["kind"] === "add" &&
          m["username"] === "RECORDING"
        ).length;
      strictEqual(recorders(vimes), 1);
      strictEqual(recorders(nobby), 1);
    } finally {
      for (const c of clients) await c.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "the recording edge killed: once the other edge removes its recorder, /record there starts one at once (the dead edge's lease is not waited for)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot({ g: RECORDING_GROUP });
    const clients: WsClient[] = [];
    try {
      const edge1 = await startEdgeProcess(root, redis.url);
      await using edge2 = await startEdgeProcess(root, redis.url);
      const ops: WsClient[] = [];
      for (const [url, name] of [[edge1.ws, "vimes"], [edge2.ws, "nobby"]]) {
        const c = await connect(url!);
        clients.push(c);
        await c.handshake();
        strictEqual((await c.join("g", name, "p"))["kind"], "join");
        ops.push(c);
      }
      const [vimes, nobby] = ops as [WsClient, WsClient];
      await vimes.next({ type: "user", kind: "add", id: nobby.id });
      vimes.send({ type: "groupaction", kind: "record" });
      const recorder = await nobby.next({
        type: "user",
        kind: "add",
        username: "RECORDING",
      });

      edge1.child.kill("SIGKILL");
      await edge1.child.status;
      const killed = performance.now();
      await nobby.next(
        { type: "user", kind: "delete", id: recorder["id"] },
        6000,
      );
      const removed = performance.now();
      nobby.send({ type: "groupaction", kind: "record" });
      const again = await nobby.next({
        type: "user",
        kind: "add",
        username: "RECORDING",
      });
      ok(again["id"] !== recorder["id"]);
      await nobby.sync();
      deepStrictEqual(
        nobby.pending.filter((m) => m["type"] === "usermessage"),
        [],
      );
      console.log(
        `recorder removed ${Math.round(removed - killed)} ms after SIGKILL, ` +
          `recording again ${
            Math.round(performance.now() - killed)
          } ms after it`,
      );
    } finally {
      for (const c of clients) await c.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});
