/**
 * Chromium behind "relay only" through Nereid's built-in TURN server: the
 * publisher's and the subscriber's peer connections may use nothing but
 * relayed candidates, and video still goes through the group; the web
 * client's `/relay-test` passes through it.
 */

import { ok, strictEqual } from "node:assert/strict";
import type { Page } from "playwright-core";
import { launchBrowser, openPeer, waitFor } from "../e2e/support/browser.ts";
import { startE2eServer } from "../e2e/support/e2e_server.ts";
import { launch, login, open, say } from "../client/browser.ts";
import { DEMO_GROUP, startClientTestServer } from "../client/server.ts";

/** The candidate types of one peer connection's selected pair. */
export interface SelectedPair {
  local: string;
  remote: string;
  bytesSent: number;
  bytesReceived: number;
}

/**
 * The selected candidate pair of every open peer connection of the test
 * peer page, publishing (`up`) and receiving (`down`).
 */
export function selectedPairs(
  page: Page,
  which: "ups" | "downs",
): Promise<SelectedPair[]> {
  return page.evaluate(async (which) => {
    const peer = (globalThis as unknown as {
      peer: Record<string, Map<string, { pc: RTCPeerConnection }>>;
    }).peer;
    const out: SelectedPair[] = [];
    for (const { pc } of peer[which]!.values()) {
      const report = await pc.getStats();
      const all = [...report.values()] as Record<string, unknown>[];
      const transport = all.find((s) =>
        s["type"] === "transport" && s["selectedCandidatePairId"]
      );
      const pair = transport && report.get(
        transport["selectedCandidatePairId"] as string,
      );
      if (!pair) continue;
      const local = report.get(pair.localCandidateId);
      const remote = report.get(pair.remoteCandidateId);
      out.push({
        local: local?.candidateType ?? "",
        remote: remote?.candidateType ?? "",
        bytesSent: pair.bytesSent ?? 0,
        bytesReceived: pair.bytesReceived ?? 0,
      });
    }
    return out;
  }, which);
}

async function join(page: Page, username: string): Promise<void> {
  await page.evaluate(async (u) => {
    const peer = (globalThis as unknown as {
      peer: {
        connect(g: string, u: string, p: string): Promise<unknown>;
        rtcConfiguration: RTCConfiguration;
      };
    }).peer;
    await peer.connect("e2e", u, "x");
    // What a browser told to relay only does with the group's servers.
    peer.rtcConfiguration = {
      ...peer.rtcConfiguration,
      iceTransportPolicy: "relay",
    };
  }, username);
}

Deno.test({
  name:
    "Chromium told to relay only publishes and receives video through the built-in TURN server",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const e2e = await startE2eServer({ turn: "127.0.0.1:0" });
    const browser = await launchBrowser();
    try {
      const a = await openPeer(browser, e2e.url);
      const b = await openPeer(browser, e2e.url);
      await join(a, "alice");
      await join(b, "bob");
      await b.evaluate(`peer.request({"": ["audio", "video"]})`);
      await a.evaluate(`peer.publish()`);
      const frames = await waitFor("B to decode video", async () => {
        const s = await b.evaluate(`peer.downStats()`) as {
          kind: string;
          framesDecoded: number;
        }[];
        const v = s.find((x) => x.kind === "video");
        return v && v.framesDecoded > 10 ? v.framesDecoded : undefined;
      }, { timeout: 30_000 });
      const up = await selectedPairs(a, "ups");
      const down = await selectedPairs(b, "downs");
      console.log(
        `B decoded ${frames} frames; publisher ${JSON.stringify(up)}, ` +
          `subscriber ${JSON.stringify(down)}`,
      );
      strictEqual(up.length, 1);
      strictEqual(down.length, 1);
      for (const pair of [...up, ...down]) strictEqual(pair.local, "relay");
      ok(up[0]!.bytesSent > 0, "the publisher sent nothing on its pair");
      ok(down[0]!.bytesReceived > 0, "B received nothing on its pair");
      // Both pages' media went through allocations of Nereid's server.
      ok(e2e.server.turn!.server.allocationCount >= 2);
    } finally {
      await browser.close();
      await e2e.close();
    }
  },
});

Deno.test({
  name: "/relay-test in the web client passes through the built-in TURN server",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const srv = await startClientTestServer({ demo: DEMO_GROUP }, {
      turn: "127.0.0.1:0",
    });
    const browser = await launch();
    try {
      const ann = await open(browser, `${srv.url}/group/demo/`);
      await login(ann, "ann", "x", "none");
      await say(ann, "/relay-test");
      const line = ann.page.locator(".msg.system", { hasText: /Relay test/ })
        .last();
      await line.waitFor({ timeout: 15_000 });
      const text = await line.innerText();
      console.log(text);
      ok(/Relay test passed/.test(text), text);
      strictEqual(ann.errors.length, 0, ann.errors.join("\n"));
    } finally {
      await browser.close();
      await srv.close();
    }
  },
});
