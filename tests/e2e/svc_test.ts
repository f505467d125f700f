/**
 * Scalable video between real Chromium peers: the server forwards each
 * subscriber the spatial and temporal layers its request and bandwidth
 * allow, from one SVC stream, and the subscriber decodes what it gets.
 * A subscriber's bandwidth is set with the media node's test-only
 * `bandwidthCap` fault.
 */

import { ok, strictEqual } from "node:assert/strict";
import type { Page } from "playwright-core";
import { cameraFile, launchBrowser, openPeer } from "./support/browser.ts";
import { waitFor } from "../support/wait_for.ts";
import { type E2eServer, startE2eServer } from "./support/e2e_server.ts";
import {
  decodes,
  type DownStat,
  downStats,
  evalPeer,
  join,
  upStats,
} from "./support/peer_stats.ts";
import type { TrackStats } from "../../server/media/media_node.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function video(page: Page): Promise<DownStat> {
  const v = (await downStats(page)).find((x) => x.kind === "video");
  if (v === undefined) throw new Error("No video received");
  return v;
}

/** Frames decoded per second by `page` over the next `ms` milliseconds. */
async function frameRate(page: Page, ms: number): Promise<number> {
  const a = await video(page);
  await new Promise((r) => setTimeout(r, ms));
  const b = await video(page);
  return (b.framesDecoded - a.framesDecoded) /
    ((b.timestamp - a.timestamp) / 1000);
}

/**
 * Waits until `page` decodes at least (or, with `below`, at most) `fps`
 * frames per second over the last second; returns the rate.
 */
function reachesRate(
  page: Page,
  what: string,
  options: { fps: number; below?: boolean; timeoutMs: number },
): Promise<number> {
  const samples: { t: number; frames: number }[] = [];
  return waitFor(what, async () => {
    const v = await video(page);
    samples.push({ t: v.timestamp, frames: v.framesDecoded });
    const last = samples[samples.length - 1]!;
    const first = samples.find((s) => last.t - s.t <= 1000);
    if (first === undefined || last.t - first.t < 900) return undefined;
    const fps = (last.frames - first.frames) / ((last.t - first.t) / 1000);
    const met = options.below ? fps <= options.fps : fps >= options.fps;
    return met ? fps : undefined;
  }, { timeoutMs: options.timeoutMs, intervalMs: 100 });
}

/** The SVC figures of the server's down tracks to `subscriber`. */
async function serverLayers(
  e2e: E2eServer,
  subscriber: string,
): Promise<TrackStats[]> {
  const stats = await e2e.server.media.stats();
  return stats
    .filter((c) => c.direction === "down" && c.subscriber === subscriber)
    .flatMap((c) => c.tracks.filter((t) => t.tid !== undefined));
}

Deno.test({
  name:
    "a bandwidth-limited subscriber of a VP8 L1T3 stream gets its base temporal layer without loss, and the full rate back within 5 s without a keyframe",
  ...opts,
  async fn() {
    const cap = new Map<string, number>();
    const e2e = await startE2eServer({ faults: { bandwidthCap: cap } });
    const browser = await launchBrowser({ videoFile: await cameraFile() });
    try {
      const a = await openPeer(browser, e2e.url);
      const b = await openPeer(browser, e2e.url);
      await join(a, "alice");
      await join(b, "bob");
      await evalPeer(b, `peer.request({"": ["video"]});`);
      await evalPeer(
        a,
        `return await peer.publish({ scalabilityMode: "L1T3" });`,
      );
      await waitFor("A to encode L1T3", async () => {
        const v = (await upStats(a)).find((x) => x.kind === "video");
        return v?.scalabilityMode === "L1T3" ? true : undefined;
      }, { timeoutMs: 10_000, intervalMs: 200 });
      await decodes(b, "B", 10_000, 30);
      const full = await frameRate(b, 3000);
      console.log(`full rate ${full.toFixed(1)} fps`);
      ok(full >= 15, `B decodes only ${full} fps before the cap`);
      const start = await video(b);

      const bob = await evalPeer<string>(b, `return peer.id;`);
      cap.set(bob, 1); // nothing fits: the base layer is the floor
      await reachesRate(b, "B's rate to drop", {
        fps: full * 0.6,
        below: true,
        timeoutMs: 8000,
      });
      const limited = await frameRate(b, 3000);
      console.log(
        `capped ${limited.toFixed(1)} fps (${
          (limited / full).toFixed(2)
        } of full)`,
      );
      ok(
        limited >= full * 0.15 && limited <= full * 0.4,
        `capped rate ${limited} fps against ${full} fps`,
      );
      const layers = await serverLayers(e2e, bob);
      strictEqual(layers[0]?.tid, 0, "stats show the base temporal layer");
      strictEqual(layers[0]?.maxTid, 2);

      cap.delete(bob);
      const t0 = Date.now();
      const back = await reachesRate(b, "B's full rate back", {
        fps: full * 0.8,
        timeoutMs: 5000,
      });
      console.log(
        `full rate back after ${Date.now() - t0} ms (${back.toFixed(1)} fps)`,
      );
      const end = await video(b);
      console.log(
        `B: ${end.packetsLost - start.packetsLost} lost, ${
          end.pliCount - start.pliCount
        } PLI, ${end.nackCount - start.nackCount} NACK, ${
          end.keyFramesDecoded - start.keyFramesDecoded
        } keyframes, ${end.framesDropped - start.framesDropped} dropped, ${
          end.freezeCount - start.freezeCount
        } freezes`,
      );
      strictEqual(end.keyFramesDecoded, start.keyFramesDecoded, "keyframes");
      strictEqual(end.pliCount, start.pliCount, "keyframe requests");
      strictEqual(end.packetsLost, start.packetsLost, "packets lost");
    } finally {
      await browser.close();
      await e2e.close();
    }
  },
});
