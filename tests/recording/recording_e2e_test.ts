/**
 * Recording a real Chromium publisher: 10 s of VP8, of VP9 and of scalable
 * VP9 (three spatial layers: the file has them all, at the top size) with
 * Opus, then recordings cut short by closing the publisher's tab and by killing
 * the server with SIGKILL.
 */

import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import type { Page } from "playwright-core";
import { launchBrowser } from "../support/browser.ts";
import { openPeer } from "../e2e/support/peer_page.ts";
import { waitFor } from "../support/wait_for.ts";
import { startRecordingServer } from "./support/recording_server.ts";
import { startServerProcess } from "../support/server_process.ts";
import {
  decodeErrors,
  hasCues,
  headerVideoSize,
  probe,
} from "./support/synthetic.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

function evalPeer<T>(page: Page, code: string): Promise<T> {
  return page.evaluate(
    `(async () => { const peer = window.peer; ${code} })()`,
  );
}

async function joinAndPublish(page: Page, scalabilityMode = ""): Promise<void> {
  await evalPeer(page, `await peer.connect("e2e", "alice", "x");`);
  await evalPeer(
    page,
    `return await peer.publish({ scalabilityMode: "${scalabilityMode}" });`,
  );
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile) out.push(`${dir}/${e.name}`);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort();
}

function firstFile(dir: string): Promise<string> {
  return waitFor("a recording file", async () => {
    const [f] = await files(dir);
    return f !== undefined && (await Deno.stat(f)).size > 0 ? f : undefined;
  }, { timeoutMs: 20_000, intervalMs: 200 });
}

/** The width of every frame a player shows, in order. */
async function frameWidths(path: string, decoder: string): Promise<number[]> {
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-c:v",
      decoder,
      "-i",
      `file:${path}`,
      "-vf",
      "showinfo",
      "-f",
      "null",
      "-",
    ],
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr);
  return [...text.matchAll(/ s:(\d+)x\d+/g)].map((m) => Number(m[1]));
}

// These tests record for a set time on purpose: the length of the file is
// what they check (10 s, at least 3.5 s of 4, up to a kill after 7), so
// they sleep for it rather than wait on a condition. The 2 s before a
// recording starts let Chromium's encoder warm up, as in a call in progress.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The file opens when its first keyframe leaves the 500 ms interleaving
// hold and a tick: it holds ~0.85 s more than we wait (measured).
const FILE_LAG_MS = 800;

const RECORDED: [string, string][] = [
  ["vp8", ""],
  ["vp9", ""],
  ["vp9", "L3T3_KEY"],
];

for (const [codec, mode] of RECORDED) {
  const what = mode ? `${codec} ${mode}` : codec;
  Deno.test({
    name:
      `a Chromium publisher recorded for 10 s gives one ${what} and one Opus stream, 10 s long, with cues, that decodes and seeks`,
    ...opts,
    async fn() {
      const s = await startRecordingServer({ codecs: [codec, "opus"] });
      const browser = await launchBrowser();
      try {
        const group = await s.group();
        const page = await openPeer(browser, s.url);
        await joinAndPublish(page, mode);
        // Record a call in progress, as a user would: once the encoder has
        // warmed up, the file's first keyframe is a fresh one.
        await waitFor("the stream", () =>
          Promise.resolve(
            [...group.streams()].length > 0 ? true : undefined,
          ), { timeoutMs: 10_000, intervalMs: 200 });
        await sleep(2000);
        await s.recorders.start(group);
        ok(
          [...group.members()].some((m) =>
            m.username === "RECORDING" && m.system &&
            m.permissions.join() === "system"
          ),
        );
        const path = await firstFile(`${s.recordings}/e2e`);
        match(path, /\/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-alice\.webm$/);
        await sleep(10_000 - FILE_LAG_MS);
        await s.recorders.stop(group);
        const keep = Deno.env.get("NEREID_KEEP_RECORDINGS");
        if (keep) {
          for (const f of await files(`${s.recordings}/e2e`)) {
            await Deno.copyFile(f, `${keep}/${codec}-${f.split("/").pop()}`);
          }
        }
        strictEqual((await files(`${s.recordings}/e2e`)).length, 1);
        const p = await probe(path);
        deepStrictEqual(
          p.streams.map((x) => x.codec_name).sort(),
          [codec, "opus"].sort(),
        );
        const duration = Number(p.format.duration);
        const v = p.streams.find((x) => x.codec_name === codec);
        console.log(
          `${what}: ${duration.toFixed(3)} s, ${v?.width}×${v?.height}, ${
            (await Deno.stat(path)).size
          } bytes`,
        );
        if (mode) {
          // Every spatial layer is kept, and players show the top one.
          const sent = await evalPeer<number>(
            page,
            `const s = await peer.upStats(); return s.find((x) => x.kind === "video").frameWidth;`,
          );
          const widths = await frameWidths(path, "libvpx-vp9");
          console.log(
            `${widths.length} frames shown, ${
              [...new Set(widths)].join(", ")
            } wide`,
          );
          strictEqual(widths[widths.length - 1], sent, "the top layer's width");
          // The header states the top layer's size, not the base layer's
          // (ffprobe's size is that of the first frame its own decoder
          // shows: the base layer's).
          const header = await headerVideoSize(path);
          console.log(`header ${header?.width}×${header?.height}`);
          strictEqual(header?.width, sent, "the width in the file's header");
        }
        ok(Math.abs(duration - 10) <= 0.5, `duration ${duration}`);
        ok(await hasCues(path), "Cues");
        // A spatial SVC picture is a superframe of its layers: libvpx (as
        // in browsers) shows the top one; ffmpeg's own decoder shows each.
        const decoder = mode ? { decoder: "libvpx-vp9" } : {};
        strictEqual(await decodeErrors(path, decoder), "");
        strictEqual(await decodeErrors(path, { seek: 5, ...decoder }), "");
      } finally {
        await browser.close();
        await s.close();
      }
    },
  });
}

Deno.test({
  name:
    "a recording ended by closing the publisher's tab is complete and decodes",
  ...opts,
  async fn() {
    const s = await startRecordingServer({ codecs: ["vp8", "opus"] });
    const browser = await launchBrowser();
    try {
      const group = await s.group();
      const recorder = await s.recorders.start(group);
      const page = await openPeer(browser, s.url);
      await joinAndPublish(page);
      const path = await firstFile(`${s.recordings}/e2e`);
      await sleep(4000);
      await page.close();
      await waitFor(
        "the stream's recorder to end",
        () => Promise.resolve(recorder.recorders.size === 0 ? true : undefined),
        {
          timeoutMs: 10_000,
          intervalMs: 200,
        },
      );
      await waitFor(
        "the file's cues",
        async () => await hasCues(path) ? true : undefined,
        { timeoutMs: 5000, intervalMs: 200 },
      );
      const p = await probe(path);
      strictEqual(p.streams.length, 2);
      console.log(`tab closed: ${Number(p.format.duration).toFixed(3)} s`);
      ok(Number(p.format.duration) >= 3.5);
      strictEqual(await decodeErrors(path), "");
    } finally {
      await browser.close();
      await s.close();
    }
  },
});

Deno.test({
  name: "a recording cut by SIGKILL of the server decodes up to where it stops",
  ...opts,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "nereid-rec-kill-" });
    const server = await startServerProcess({
      script: new URL("./support/recording_server.ts", import.meta.url)
        .pathname,
      args: [root, "vp8,opus"],
      // Its first line: {"url": …, "recordings": …}.
      ready: /^(.*)\n/,
    });
    const browser = await launchBrowser();
    try {
      const { url, recordings } = JSON.parse(server.ready) as {
        url: string;
        recordings: string;
      };
      const page = await openPeer(browser, url);
      await joinAndPublish(page);
      const path = await firstFile(`${recordings}/e2e`);
      await sleep(7000);
      await server.stop("SIGKILL");
      ok(!(await hasCues(path)), "a killed recorder wrote no cues");
      const p = await probe(path);
      strictEqual(p.streams.length, 2);
      console.log(
        `killed: ${(await Deno.stat(path)).size} bytes, ffprobe duration ${
          p.format.duration ?? "none"
        }`,
      );
      strictEqual(await decodeErrors(path), "");
    } finally {
      await server.stop("SIGKILL");
      await browser.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});
