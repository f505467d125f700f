/**
 * Scalable video between real Chromium peers: the server forwards each
 * subscriber the spatial and temporal layers its request and bandwidth
 * allow, from one SVC stream, and the subscriber decodes what it gets.
 * A subscriber's bandwidth is set with the media node's test-only
 * `bandwidthCap` fault, which bounds its simulcast layer as well.
 */

import { ok, strictEqual } from "node:assert/strict";
import type { Page } from "playwright-core";
import { cameraFile, launchBrowser } from "../support/browser.ts";
import { openPeer, PEER_PAGES } from "./support/peer_page.ts";
import { openGroup } from "../support/groups.ts";
import { waitFor } from "../support/wait_for.ts";
import { startTestServer, type TestServer } from "../support/test_server.ts";
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
  e2e: TestServer,
  subscriber: string,
): Promise<TrackStats[]> {
  const stats = await e2e.server.media.stats();
  return stats
    .filter((c) => c.direction === "down" && c.subscriber === subscriber)
    .flatMap((c) => c.tracks.filter((t) => t.tid !== undefined));
}

/** A temporal-layers case: the codec, and whether it is inside simulcast. */
interface TemporalCase {
  codec: "VP8" | "AV1";
  /** Simulcast with L1T3 in each layer; the subscriber asks for video-low. */
  simulcast: boolean;
}

// AV1's layers come from its dependency descriptor header extension, which
// the server negotiates when AV1 is among the group's codecs.
const TEMPORAL_CASES: TemporalCase[] = [
  { codec: "VP8", simulcast: false },
  { codec: "AV1", simulcast: false },
  { codec: "VP8", simulcast: true },
];

for (const { codec, simulcast } of TEMPORAL_CASES) {
  const what = simulcast
    ? `the low simulcast layer of a ${codec} L1T3 stream`
    : `a ${codec} L1T3 stream`;
  Deno.test({
    name:
      `a bandwidth-limited subscriber of ${what} gets its base temporal layer without loss, and the full rate back within 5 s without a keyframe`,
    ...opts,
    async fn() {
      const cap = new Map<string, number>();
      const e2e = await startTestServer({
        staticDir: PEER_PAGES,
        groups: { e2e: openGroup({ codecs: [codec.toLowerCase(), "opus"] }) },
        testFaults: { bandwidthCap: cap },
      });
      // The low simulcast layer has 100 kbit/s: Chromium's own camera
      // pattern keeps its full frame rate there, ffmpeg's would not.
      const browser = await launchBrowser(
        simulcast ? {} : { videoFile: await cameraFile() },
      );
      try {
        const a = await openPeer(browser, e2e.url);
        const b = await openPeer(browser, e2e.url);
        await join(a, "alice");
        await join(b, "bob");
        const wanted = simulcast ? "video-low" : "video";
        await evalPeer(b, `peer.request({"": ["${wanted}"]});`);
        await evalPeer(
          a,
          `return await peer.publish({ scalabilityMode: "L1T3", codec: "video/${codec}", simulcast: ${simulcast} });`,
        );
        await waitFor("A to encode L1T3", async () => {
          const v = (await upStats(a)).find((x) => x.kind === "video");
          return v?.scalabilityMode === "L1T3" ? true : undefined;
        }, { timeoutMs: 10_000, intervalMs: 200 });
        await decodes(b, "B", 10_000, 30);
        const full = await frameRate(b, 3000);
        console.log(`full rate ${full.toFixed(1)} fps`);
        ok(full >= 12, `B decodes only ${full} fps before the cap`);
        const start = await video(b);
        // Keyframe requests that reached A, over its layers.
        const asked = async () =>
          (await upStats(a)).filter((x) => x.kind === "video")
            .reduce((n, x) => n + x.pliCount + x.firCount, 0);
        const before = await asked();

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
        if (simulcast) strictEqual(layers[0]?.layer, "l", "the low layer");

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
        // No keyframe was asked for (one the encoder makes by itself, as
        // AV1's does when the CPU makes it change resolution, is no switch's).
        strictEqual(await asked(), before, "keyframe requests that reached A");
        strictEqual(end.pliCount, start.pliCount, "keyframe requests from B");
        strictEqual(end.packetsLost, start.packetsLost, "packets lost");
      } finally {
        await browser.close();
        await e2e.close();
      }
    },
  });
}

Deno.test({
  name:
    "the bandwidth cap that bounds the SVC layers moves a simulcast subscriber to the low layer too, and lifting it brings the high layer back",
  ...opts,
  async fn() {
    const cap = new Map<string, number>();
    const e2e = await startTestServer({
      staticDir: PEER_PAGES,
      groups: { e2e: openGroup({ codecs: ["vp8", "opus"] }) },
      testFaults: { bandwidthCap: cap },
    });
    const browser = await launchBrowser({ videoFile: await cameraFile() });
    try {
      const a = await openPeer(browser, e2e.url);
      const b = await openPeer(browser, e2e.url);
      await join(a, "alice");
      await join(b, "bob");
      await evalPeer(b, `peer.request({"": ["video"]});`);
      await evalPeer(a, `return await peer.publish({ simulcast: true });`);
      const bob = await evalPeer<string>(b, `return peer.id;`);
      const layer = async () => (await serverLayers(e2e, bob))[0]?.layer;
      await waitFor("B to get the high layer", async () => {
        return (await video(b)).frameWidth >= 1280 ? true : undefined;
      }, { timeoutMs: 20_000, intervalMs: 200 });
      strictEqual(await layer(), "h");
      cap.set(bob, 50_000);
      let t0 = Date.now();
      await waitFor("B to get the low layer", async () => {
        const w = (await video(b)).frameWidth;
        return w > 0 && w < 1280 && (await layer()) === "l" ? true : undefined;
      }, { timeoutMs: 8000, intervalMs: 200 });
      console.log(`capped: low layer after ${Date.now() - t0} ms`);
      cap.delete(bob);
      t0 = Date.now();
      // A raise waits 8 s after a switch down.
      await waitFor("B to get the high layer back", async () => {
        return (await video(b)).frameWidth >= 1280 ? true : undefined;
      }, { timeoutMs: 15_000, intervalMs: 200 });
      console.log(`lifted: high layer after ${Date.now() - t0} ms`);
    } finally {
      await browser.close();
      await e2e.close();
    }
  },
});

/** Starts recording the longest pause between decoded frames at `page`. */
async function watchDecoding(page: Page): Promise<void> {
  await evalPeer(
    page,
    `peer.watch = { last: 0, lastChange: performance.now(), longest: 0 };
     peer.watchTimer = setInterval(async () => {
       const s = (await peer.downStats()).find((x) => x.kind === "video");
       const now = performance.now();
       if (s && s.framesDecoded !== peer.watch.last) {
         peer.watch.longest = Math.max(peer.watch.longest, now - peer.watch.lastChange);
         peer.watch.last = s.framesDecoded;
         peer.watch.lastChange = now;
       }
     }, 50);`,
  );
}

/** Stops {@link watchDecoding}; returns the longest pause in ms. */
function longestPause(page: Page): Promise<number> {
  return evalPeer<number>(
    page,
    `clearInterval(peer.watchTimer); return peer.watch.longest;`,
  );
}

function offers(page: Page): Promise<number> {
  return evalPeer<number>(
    page,
    `return peer.messages.filter((m) => m.type === "offer").length;`,
  );
}

Deno.test({
  name:
    "from one VP9 L3T3_KEY stream, a video-low subscriber decodes the lowest spatial layer while another decodes 1280×720 from its top layer's frames alone, and they swap without renegotiation or a pause over 500 ms",
  ...opts,
  async fn() {
    const e2e = await startTestServer({
      staticDir: PEER_PAGES,
      groups: { e2e: openGroup({ codecs: ["vp9", "opus"] }) },
    });
    const browser = await launchBrowser({ videoFile: await cameraFile() });
    try {
      const a = await openPeer(browser, e2e.url);
      const b = await openPeer(browser, e2e.url);
      const c = await openPeer(browser, e2e.url);
      await join(a, "alice");
      await join(b, "bob");
      await join(c, "carol");
      await evalPeer(b, `peer.request({"": ["video-low"]});`);
      await evalPeer(c, `peer.request({"": ["video"]});`);
      const id = await evalPeer<string>(
        a,
        `return await peer.publish({ scalabilityMode: "L3T3_KEY" });`,
      );
      await waitFor("A to encode VP9 L3T3_KEY", async () => {
        const v = (await upStats(a)).find((x) => x.kind === "video");
        return v?.scalabilityMode === "L3T3_KEY" ? true : undefined;
      }, { timeoutMs: 10_000, intervalMs: 200 });
      const width = async (p: Page) => (await video(p)).frameWidth;
      const sizes = async () => {
        const [vb, vc] = [await video(b), await video(c)];
        return `B ${vb.frameWidth}×${vb.frameHeight}, C ${vc.frameWidth}×${vc.frameHeight}`;
      };
      await waitFor("C to decode 1280×720", async () => {
        return (await width(c)) >= 1280 ? true : undefined;
      }, { timeoutMs: 25_000, intervalMs: 200 });
      await decodes(b, "B", 5000, 30);
      const low = await width(b);
      console.log(`at once: ${await sizes()}`);

      // C, at the top layer, gets that layer's frames alone (and the lower
      // layers of keyframes): a share of what A sends, and it still decodes
      // 1280×720 without a freeze or a keyframe request.
      const sentBytes = async () =>
        (await upStats(a)).filter((x) => x.kind === "video")
          .reduce((n, x) => n + x.bytesSent, 0);
      const [sent0, c0] = [await sentBytes(), await video(c)];
      await new Promise((r) => setTimeout(r, 4000));
      const [sent1, c1] = [await sentBytes(), await video(c)];
      const share = (c1.bytesReceived - c0.bytesReceived) / (sent1 - sent0);
      const fps = (c1.framesDecoded - c0.framesDecoded) /
        ((c1.timestamp - c0.timestamp) / 1000);
      console.log(
        `C at 1280×720 received ${
          ((c1.bytesReceived - c0.bytesReceived) / 4000 * 8).toFixed(0)
        } kbit/s, ${(share * 100).toFixed(0)} % of the ${
          ((sent1 - sent0) / 4000 * 8).toFixed(0)
        } kbit/s A sent; ${fps.toFixed(1)} fps, ${
          c1.freezeCount - c0.freezeCount
        } freezes (${
          (c1.totalFreezesDuration - c0.totalFreezesDuration).toFixed(3)
        } s), ${c1.pliCount - c0.pliCount} PLI, ${
          c1.packetsLost - c0.packetsLost
        } lost, ${c1.framesDropped - c0.framesDropped} dropped`,
      );
      // Every layer forwarded gave 99 %; the top layer alone about 78 %.
      ok(share < 0.9, `C received ${share} of what A sent`);
      strictEqual(c1.frameWidth, 1280, "C's width");
      // No freeze over 500 ms (a shorter one is a loaded machine's decoder).
      const frozen = c1.totalFreezesDuration - c0.totalFreezesDuration;
      ok(frozen < 0.5, `C's video froze ${frozen} s`);
      strictEqual(c1.pliCount - c0.pliCount, 0, "C's keyframe requests");
      ok(low > 0 && low <= 640, `B decodes ${low} wide`);
      const bob = await evalPeer<string>(b, `return peer.id;`);
      const layers = await serverLayers(e2e, bob);
      strictEqual(layers[0]?.sid, 0, "stats show B the lowest spatial layer");
      strictEqual(layers[0]?.maxSid, 2);

      await watchDecoding(b);
      await watchDecoding(c);
      const before = [await offers(b), await offers(c)];
      const t0 = Date.now();
      await evalPeer(
        b,
        `peer.requestStream(${JSON.stringify(id)}, ["video"]);`,
      );
      await evalPeer(
        c,
        `peer.requestStream(${JSON.stringify(id)}, ["video-low"]);`,
      );
      await waitFor("B up and C down", async () => {
        const [wb, wc] = [await width(b), await width(c)];
        return wb >= 1280 && wc > 0 && wc <= 640 ? true : undefined;
      }, { timeoutMs: 5000, intervalMs: 100 });
      console.log(`swapped after ${Date.now() - t0} ms: ${await sizes()}`);
      await new Promise((r) => setTimeout(r, 500));
      const pauses = [await longestPause(b), await longestPause(c)];
      console.log(`longest pauses: B ${pauses[0]} ms, C ${pauses[1]} ms`);
      ok(pauses[0]! < 500 && pauses[1]! < 500, `pauses ${pauses}`);
      strictEqual(
        `${await offers(b)},${await offers(c)}`,
        before.join(","),
        "a switch renegotiated",
      );
    } finally {
      await browser.close();
      await e2e.close();
    }
  },
});
