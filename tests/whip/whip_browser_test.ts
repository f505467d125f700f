/**
 * WHIP and WHEP with clients nobody here wrote, in Chromium: Medooze's
 * `whip-whep` (npm) publishes the fake camera in two simulcast layers and
 * the microphone into a group, and a person in the web client (another
 * context) gets the layer the server picks, sees and hears it, then sees it
 * go when the WHIP client stops; a WHEP player (RTCPeerConnection and
 * fetch) watches a camera published from the web client; and a WHEP player
 * follows from one WHIP publisher to the next, decoding on.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { bundle } from "../../client/build.ts";
import { login, open, type Person } from "../client/browser.ts";
import { launchBrowser } from "../support/browser.ts";
import { DEMO_GROUP } from "../support/groups.ts";
import { startTestServer } from "../support/test_server.ts";
import { waitFor } from "../support/wait_for.ts";
import { groupOf, liveStreams, memberNames } from "./support/group_probe.ts";
import {
  clientPage,
  startWhep,
  startWhip,
  stopWhep,
  stopWhip,
  whepFrames,
  whepVideoSsrcs,
} from "./support/whip_pages.ts";

const PAGE = fileURLToPath(new URL("./pages/whip_page.ts", import.meta.url));

/** Frames decoded so far by the first tile playing a stream of `username`. */
function framesOf(p: Person, username: string): Promise<number> {
  return p.page.evaluate((name) => {
    const tile = [...document.querySelectorAll(".tile")].find((t) =>
      t.textContent?.includes(name)
    );
    const video = tile?.querySelector("video");
    if (!video || video.videoWidth === 0) return 0;
    return video.getVideoPlaybackQuality().totalVideoFrames;
  }, username);
}

/** Audio packets received over the page's peer connections. */
function audioPackets(p: Person): Promise<number> {
  return p.page.evaluate(async () => {
    let n = 0;
    const pcs = (globalThis as unknown as { __pcs: RTCPeerConnection[] })
      .__pcs;
    for (const pc of pcs) {
      if (pc.connectionState === "closed") continue;
      for (const s of (await pc.getStats()).values()) {
        if (s.type === "inbound-rtp" && s.kind === "audio") {
          n += s.packetsReceived ?? 0;
        }
      }
    }
    return n;
  });
}

Deno.test({
  name:
    "Medooze's whip-whep WHIP client publishes simulcast into a group: a person in the web client gets a layer the server picks, decodes its video, receives its audio, and sees it go on stop",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const srv = await startTestServer({ groups: { demo: DEMO_GROUP } });
    const browser = await launchBrowser();
    try {
      const code = await bundle(PAGE);
      const ann = await open(browser, `${srv.url}/group/demo/`);
      await login(ann, "ann", "x", "none");
      const publisher = await clientPage(browser, srv.url, code);
      const resource = await startWhip(
        publisher,
        `${srv.url}/group/demo/.whip`,
      );
      assert.match(resource, /\/group\/demo\/\.whip\/[0-9a-f]{32}$/);

      await ann.page.locator(".user", { hasText: "whip" }).first().waitFor({
        state: "attached",
      });
      const first = await waitFor(
        "whip's video to play at ann",
        () => framesOf(ann, "whip").then((n) => n > 0 && n),
        { timeoutMs: 20_000 },
      );
      const width = await ann.page.evaluate(() =>
        document.querySelector<HTMLVideoElement>(".tile video")?.videoWidth ??
          0
      );

      assert.ok(width > 0, `video width ${width}`);
      await waitFor(
        "more frames",
        () => framesOf(ann, "whip").then((n) => n > first + 10),
        { timeoutMs: 10_000 },
      );
      // Its simulcast layers reach the server, which picks one for ann.
      const group = groupOf(srv, "demo")!;
      const layers = await waitFor("two video layers from whip", () => {
        const s = [...group.streams()].find((s) => s.owner.username === "whip");
        const rids = s?.tracks.flatMap((t) => t.rid ? [t.rid] : []) ?? [];
        return rids.length === 2 && rids.sort();
      });
      assert.deepEqual(layers, ["h", "l"]);
      const annId = [...group.members()].find((m) => m.username === "ann")!.id;
      const layer = await waitFor("a layer chosen for ann", async () => {
        const down = (await srv.server.media.stats()).find((c) =>
          c.direction === "down" && c.subscriber === annId &&
          c.tracks.some((t) => t.layer !== undefined)
        );
        return down?.tracks.find((t) => t.layer !== undefined)?.layer;
      });
      assert.ok(["h", "l"].includes(layer), layer);
      await waitFor(
        "whip's audio at ann",
        () => audioPackets(ann).then((n) => n > 20),
        { timeoutMs: 10_000 },
      );

      await stopWhip(publisher);
      await ann.page.locator(".tile", { hasText: "whip" }).waitFor({
        state: "detached",
        timeout: 10_000,
      });
      await waitFor(
        "the WHIP member to leave",
        () => srv.server.sessions.size === 1,
      );
      assert.deepEqual(ann.errors, []);
    } finally {
      await browser.close();
      await srv.close();
    }
  },
});

Deno.test({
  name:
    "a WHEP player in Chromium watches a camera published from the web client and decodes it",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const srv = await startTestServer({ groups: { demo: DEMO_GROUP } });
    const browser = await launchBrowser();
    try {
      const code = await bundle(PAGE);
      const bob = await open(browser, `${srv.url}/group/demo/`);
      await login(bob, "bob", "y", "both");
      const group = groupOf(srv, "demo")!;
      await waitFor(
        "bob's camera to be published",
        () => [...group.streams()].some((s) => s.tracks.length >= 2),
        { timeoutMs: 20_000 },
      );
      const player = await clientPage(browser, srv.url, code);
      const status = await startWhep(player, `${srv.url}/group/demo/.whep`);
      assert.equal(status, 201);
      const frames = () => whepFrames(player);
      const first = await waitFor(
        "the WHEP player to decode video",
        () => frames().then((n) => n > 0 && n),
        { timeoutMs: 20_000 },
      );
      await waitFor(
        "more frames at the player",
        () => frames().then((n) => n > first + 10),
      );
      assert.ok(
        [...group.members()].some((m) => m.username === "whep"),
        "the viewer is a member",
      );
      const deleted = await stopWhep(player);
      assert.equal(deleted, 200);
      await waitFor(
        "the viewer to leave",
        () => ![...group.members()].some((m) => m.username === "whep"),
      );
    } finally {
      await browser.close();
      await srv.close();
    }
  },
});

Deno.test({
  name:
    "a WHEP player in Chromium follows: its WHIP publisher stops, another starts, and the player decodes on in the same session, on the same SSRC",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const srv = await startTestServer({ groups: { demo: DEMO_GROUP } });
    const browser = await launchBrowser();
    try {
      const code = await bundle(PAGE);
      const whip = `${srv.url}/group/demo/.whip`;
      const a = await clientPage(browser, srv.url, code);
      await startWhip(a, whip);
      await waitFor("A's tracks", () => liveStreams(srv, "demo").length === 1, {
        timeoutMs: 20_000,
      });
      const player = await clientPage(browser, srv.url, code);
      const status = await startWhep(player, `${srv.url}/group/demo/.whep`);
      assert.equal(status, 201);
      const first = await waitFor(
        "the player to decode A",
        () => whepFrames(player).then((n) => n > 30 && n),
        { timeoutMs: 20_000 },
      );
      const [ssrc] = await whepVideoSsrcs(player);

      await stopWhip(a);
      await waitFor("A to end", () => liveStreams(srv, "demo").length === 0);
      assert.ok(
        memberNames(srv, "demo").includes("whep"),
        "the viewer waits",
      );
      const paused = await whepFrames(player);
      const b = await clientPage(browser, srv.url, code);
      await startWhip(b, whip);
      const after = await waitFor(
        "the player to decode B",
        () => whepFrames(player).then((n) => n > paused + 60 && n),
        { timeoutMs: 20_000 },
      );
      console.log(
        `frames: ${first} decoded from A, ${paused} when A stopped, ${after} with B`,
      );
      assert.deepEqual(await whepVideoSsrcs(player), [ssrc]);
      const deleted = await stopWhep(player);
      assert.equal(deleted, 200, "the same session");
    } finally {
      await browser.close();
      await srv.close();
    }
  },
});
