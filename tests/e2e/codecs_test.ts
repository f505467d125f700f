/**
 * Each codec a group may list, forwarded between real Chromium peers: the
 * group's `codecs` decide what is negotiated, and the subscriber decodes.
 */

import { strictEqual } from "node:assert/strict";
import type { Page } from "playwright-core";
import { launchBrowser } from "../support/browser.ts";
import { openCall, PEER_PAGES } from "./support/peer_page.ts";
import { openGroup } from "../support/groups.ts";
import { waitFor } from "../support/wait_for.ts";
import { startTestServer } from "../support/test_server.ts";

/** What this Chromium can send, asked once (MIME subtypes, lower case). */
async function sendableCodecs(): Promise<Set<string>> {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const names = await page.evaluate(() =>
      [
        ...(RTCRtpSender.getCapabilities("video")?.codecs ?? []),
        ...(RTCRtpSender.getCapabilities("audio")?.codecs ?? []),
      ].map((c) => c.mimeType.split("/")[1]!.toLowerCase())
    );
    return new Set(names);
  } finally {
    await browser.close();
  }
}

const sendable = await sendableCodecs();
const opts = { sanitizeOps: false, sanitizeResources: false };

interface Inbound {
  kind: string;
  framesDecoded: number;
  packetsReceived: number;
  codec: string;
}

function inbound(page: Page): Promise<Inbound[]> {
  return page.evaluate(`(async () => {
    const out = [];
    for (const d of window.peer.downs.values()) {
      const r = await d.pc.getStats();
      r.forEach((s) => {
        if (s.type !== "inbound-rtp") return;
        const c = s.codecId ? r.get(s.codecId) : undefined;
        out.push({ kind: s.kind, framesDecoded: s.framesDecoded || 0,
          packetsReceived: s.packetsReceived || 0,
          codec: c ? c.mimeType.split("/")[1].toLowerCase() : "" });
      });
    }
    return out;
  })()`);
}

async function forwards(codecs: string[]): Promise<Inbound[]> {
  const e2e = await startTestServer({
    staticDir: PEER_PAGES,
    groups: { e2e: openGroup({ codecs }) },
  });
  const browser = await launchBrowser();
  try {
    const { a, b } = await openCall(browser, e2e.url);
    await a.evaluate(`window.peer.publish()`);
    return await waitFor(`B to decode ${codecs.join("+")}`, async () => {
      const s = await inbound(b);
      const v = s.find((x) => x.kind === "video");
      const au = s.find((x) => x.kind === "audio");
      return v && v.framesDecoded > 5 && au && au.packetsReceived > 5
        ? s
        : undefined;
    }, { timeoutMs: 15_000, intervalMs: 200 });
  } finally {
    await browser.close();
    await e2e.close();
  }
}

const VIDEO = { vp8: "VP8", vp9: "VP9", h264: "H.264", av1: "AV1" };

for (const [video, label] of Object.entries(VIDEO)) {
  Deno.test({
    name: `${label} video with Opus is forwarded and decoded`,
    ignore: !sendable.has(video),
    ...opts,
    async fn() {
      const s = await forwards([video, "opus"]);
      strictEqual(s.find((x) => x.kind === "video")?.codec, video);
      strictEqual(s.find((x) => x.kind === "audio")?.codec, "opus");
    },
  });
}

for (const audio of ["g722", "pcmu", "pcma"]) {
  Deno.test({
    name: `a group listing only ${audio.toUpperCase()} for audio negotiates it`,
    ignore: !sendable.has(audio),
    ...opts,
    async fn() {
      const s = await forwards(["vp8", audio]);
      strictEqual(s.find((x) => x.kind === "audio")?.codec, audio);
    },
  });
}
