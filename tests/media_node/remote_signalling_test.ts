/**
 * Signalling over a remote media node: a server whose media node is in
 * another process (RemoteMediaNode) carries a stream, and when that node
 * dies every stream on it ends for its clients (a publisher's `abort` says
 * `media-lost`, with an error message), and a new stream fails to open
 * with an error, while the sessions carry on.
 *
 * @module
 */

import { ok, strictEqual } from "node:assert/strict";
import { Publisher } from "../support/publisher.ts";
import { Subscriber } from "../support/subscriber.ts";
import { startTestServer } from "../support/test_server.ts";
import { connectRemote, startMediaProcess } from "./support/remote_node.ts";

Deno.test({
  name:
    "with its media node killed, a publisher gets abort (media-lost) and an error, its subscriber close, and a new offer abort with the reason; the sessions live on",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const recordingsDir = await Deno.makeTempDir({ prefix: "nereid-remote-" });
    const media = await startMediaProcess({ recordingsDir });
    const t = await startTestServer({
      groups: {
        g: {
          "wildcard-user": {
            password: { type: "wildcard" },
            permissions: "present",
          },
        },
      },
      media: await connectRemote(media, { reconnectMs: 60_000 }),
    });
    const publishers: Publisher[] = [];
    let subscriber: Subscriber | undefined;
    try {
      const carrot = await t.member("g", "carrot", "x");
      const vimes = await t.member("g", "vimes", "x");
      subscriber = new Subscriber(vimes);
      subscriber.start();
      const p = new Publisher(carrot);
      publishers.push(p);
      strictEqual((await p.offer())["type"], "answer");
      await subscriber.receives(p.id, 30, 15_000);

      await media.stop("SIGKILL");
      // The abort says why, for a client that publishes again by itself.
      const abort = await carrot.next({ type: "abort", id: p.id }, 5000);
      strictEqual(abort["error"], "media-lost");
      const error = await carrot.next(
        { type: "usermessage", kind: "error" },
        5000,
      );
      ok(
        String(error["value"]).includes("media server carrying stream"),
        error["value"] as string,
      );
      await vimes.next({ type: "close", id: p.id }, 5000);

      const again = new Publisher(carrot);
      publishers.push(again);
      const refusedOffer = await again.offer();
      strictEqual(refusedOffer["type"], "abort");
      strictEqual(refusedOffer["error"], "media-lost");
      const refused = await carrot.next(
        { type: "usermessage", kind: "error" },
        5000,
      );
      ok(
        /media node media-1 is unreachable/.test(String(refused["value"])),
        String(refused["value"]),
      );
      // The session itself is fine: chat still goes through.
      carrot.chat("still here");
      await vimes.next({ type: "chat", value: "still here" }, 5000);
    } finally {
      await subscriber?.close();
      for (const p of publishers) await p.close();
      await t.close();
      await media.stop("SIGKILL");
      await Deno.remove(recordingsDir, { recursive: true });
    }
  },
});
