/**
 * `main.ts -role edge` in front of a media node in another process, through
 * a real Redis: a publisher's stream reaches a subscriber through the edge,
 * and the edge process proves its shape. It runs with FFI denied and
 * `media-wasm/` unreadable (so loading either would fail), and has no UDP
 * socket among its file descriptors and no OpenSSL (the media node's FFI
 * fast path) mapped, where the media node has both.
 *
 * @module
 */

import { ok, strictEqual } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { startRedisServer } from "../support/redis_server.ts";
import { type WsClient } from "../support/ws_client.ts";
import { Publisher } from "../support/publisher.ts";
import { Subscriber } from "../support/subscriber.ts";
import { startEdgeProcess } from "./support/edge_process.ts";
import {
  clusterRoot,
  member,
  startMediaNodes,
} from "./support/cluster_setup.ts";
import type { MediaProcess } from "../media_node/support/remote_node.ts";

const MEDIA_WASM = fileURLToPath(new URL("../../media-wasm/", import.meta.url));

/** The inodes of the UDP sockets (IPv4 and IPv6) among a process's fds. */
function udpSockets(pid: number): number {
  const udp = new Set<string>();
  for (const file of ["udp", "udp6"]) {
    const lines = Deno.readTextFileSync(`/proc/${pid}/net/${file}`)
      .split("\n").slice(1);
    for (const line of lines) {
      const inode = line.trim().split(/\s+/)[9];
      if (inode) udp.add(inode);
    }
  }
  let count = 0;
  for (const fd of Deno.readDirSync(`/proc/${pid}/fd`)) {
    let target = "";
    try {
      target = Deno.readLinkSync(`/proc/${pid}/fd/${fd.name}`);
    } catch {
      continue; // closed meanwhile
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m && udp.has(m[1]!)) count++;
  }
  return count;
}

function mapsOpenSsl(pid: number): boolean {
  return /libcrypto|libssl/.test(Deno.readTextFileSync(`/proc/${pid}/maps`));
}

Deno.test({
  name:
    "an edge (main.ts -role edge, FFI denied, media-wasm unreadable) carries a stream through a media node in another process, and opens no UDP socket and maps no OpenSSL",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using redis = await startRedisServer();
    const root = await clusterRoot();
    const [media] = await startMediaNodes(root, {
      redisUrl: redis.url,
      ids: ["media-1"],
    }) as [MediaProcess];
    // Any attempt to load FFI or to read the WebAssembly module fails.
    const edge = await startEdgeProcess(root, redis.url, [
      "--deny-ffi",
      `--deny-read=${MEDIA_WASM}`,
    ]);
    const clients: WsClient[] = [];
    let publisher: Publisher | undefined;
    let subscriber: Subscriber | undefined;
    try {
      const ws = edge.ws;

      const carrot = await member(ws, "carrot");
      const vimes = await member(ws, "vimes");
      clients.push(carrot, vimes);
      subscriber = new Subscriber(vimes);
      subscriber.start();
      publisher = new Publisher(carrot);
      const reply = await publisher.offer();
      strictEqual(reply["type"], "answer", JSON.stringify(reply));
      await subscriber.receives(publisher.id, 50, 15_000);

      const edgeUdp = udpSockets(edge.child.pid);
      const mediaUdp = udpSockets(media.child.pid);
      console.log(
        `UDP sockets: edge ${edgeUdp}, media node ${mediaUdp}; OpenSSL mapped: edge ${
          mapsOpenSsl(edge.child.pid)
        }, media node ${mapsOpenSsl(media.child.pid)}`,
      );
      ok(mediaUdp > 0, "the media node carries the media over UDP");
      strictEqual(edgeUdp, 0, "the edge has no UDP socket");
      strictEqual(
        mapsOpenSsl(edge.child.pid),
        false,
        "the edge loaded no OpenSSL",
      );
    } finally {
      await subscriber?.close();
      await publisher?.close();
      for (const c of clients) await c.close();
      await edge.stop();
      await media.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
});
