/**
 * Chromium behind "relay only" through Nereid's built-in TURN server: the
 * publisher's and the subscriber's peer connections may use nothing but
 * relayed candidates, and video still goes through the group (the test peer
 * page, and the web client with its "relay only" setting); the web client's
 * `/relay-test` passes through it.
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { launchBrowser } from "../support/browser.ts";
import { openPeer, PEER_PAGES } from "../e2e/support/peer_page.ts";
import { DEMO_GROUP, openGroup } from "../support/groups.ts";
import { eventually, waitFor } from "../support/wait_for.ts";
import {
  startTestServer,
  type TestServer,
  type TestServerOptions,
} from "../support/test_server.ts";
import { login, open, say } from "../client/browser.ts";
import { RENEW_EVERY_MS } from "../../server/ice/credential_renewal.ts";

/** What one peer connection's candidate pairs say. */
export interface PairStats {
  /** The selected pair's local and remote candidate types. */
  local: string;
  remote: string;
  /** The local candidate types of every pair that carried bytes. */
  carrying: string[];
  /** Bytes sent and received over every pair. */
  bytesSent: number;
  bytesReceived: number;
}

/**
 * The candidate pairs of every open peer connection of the test peer page,
 * publishing (`ups`) or receiving (`downs`).
 */
export function pairStats(
  page: Page,
  which: "ups" | "downs",
): Promise<PairStats[]> {
  return page.evaluate(async (which) => {
    const peer = (globalThis as unknown as {
      peer: Record<string, Map<string, { pc: RTCPeerConnection }>>;
    }).peer;
    const out: PairStats[] = [];
    for (const { pc } of peer[which]!.values()) {
      const report = await pc.getStats();
      const all = [...report.values()];
      const transport = all.find((s) =>
        s.type === "transport" && s.selectedCandidatePairId
      );
      const pair = transport && report.get(transport.selectedCandidatePairId);
      if (!pair) continue;
      const type = (id: string) => report.get(id)?.candidateType ?? "";
      const pairs = all.filter((s) => s.type === "candidate-pair");
      const carrying = pairs.filter((p) => p.bytesSent + p.bytesReceived > 0)
        .map((p) => type(p.localCandidateId));
      out.push({
        local: type(pair.localCandidateId),
        remote: type(pair.remoteCandidateId),
        carrying: [...new Set(carrying)],
        bytesSent: pairs.reduce((n, p) => n + (p.bytesSent ?? 0), 0),
        bytesReceived: pairs.reduce((n, p) => n + (p.bytesReceived ?? 0), 0),
      });
    }
    return out;
  }, which);
}

/**
 * Joins the `e2e` group; with `relay`, the page then relays only whatever
 * the server says (what a browser told to relay only does).
 */
async function join(
  page: Page,
  username: string,
  relay: boolean,
): Promise<void> {
  await page.evaluate(async ([u, relay]) => {
    const peer = (globalThis as unknown as {
      peer: {
        connect(g: string, u: string, p: string): Promise<unknown>;
        rtcConfiguration: RTCConfiguration;
      };
    }).peer;
    await peer.connect("e2e", u as string, "x");
    if (relay) {
      peer.rtcConfiguration = {
        ...peer.rtcConfiguration,
        iceTransportPolicy: "relay",
      };
    }
  }, [username, relay] as const);
}

/** Publishes from A, subscribes from B; resolves once B decodes video. */
async function call(a: Page, b: Page): Promise<number> {
  await b.evaluate(`peer.request({"": ["audio", "video"]})`);
  await a.evaluate(`peer.publish()`);
  return await waitFor("B to decode video", async () => {
    const s = await b.evaluate(`peer.downStats()`) as {
      kind: string;
      framesDecoded: number;
    }[];
    const v = s.find((x) => x.kind === "video");
    return v && v.framesDecoded > 10 ? v.framesDecoded : undefined;
  }, { timeoutMs: 30_000, intervalMs: 200 });
}

/** What {@link relayedCall} saw. */
interface RelayedCall {
  server: TestServer;
  /** The publisher's page. */
  a: Page;
  /** Frames B decoded. */
  frames: number;
  up: PairStats[];
  down: PairStats[];
}

/**
 * Alice publishes from page A to bob on page B, both on the peer page of a
 * server with a built-in TURN server; with `serverRelayOnly`, the server
 * runs with `-relay-only` and the pages keep its configuration, otherwise
 * the pages relay only by themselves. Every pair of both peer connections
 * must have relayed all they carried; `check` asserts the rest.
 */
async function relayedCall(
  options: { serverRelayOnly: boolean },
  check: (call: RelayedCall) => Promise<void> | void,
): Promise<void> {
  const server = await startTestServer({
    staticDir: PEER_PAGES,
    groups: { e2e: openGroup() },
    turn: "127.0.0.1:0",
    ...(options.serverRelayOnly ? { relayOnly: true } : {}),
  });
  const browser = await launchBrowser();
  try {
    const a = await openPeer(browser, server.url);
    const b = await openPeer(browser, server.url);
    await join(a, "alice", !options.serverRelayOnly);
    await join(b, "bob", !options.serverRelayOnly);
    const frames = await call(a, b);
    const up = await pairStats(a, "ups");
    const down = await pairStats(b, "downs");
    console.log(
      `B decoded ${frames} frames; publisher ${JSON.stringify(up)}, ` +
        `subscriber ${JSON.stringify(down)}`,
    );
    strictEqual(up.length, 1);
    strictEqual(down.length, 1);
    for (const pair of [...up, ...down]) {
      strictEqual(pair.local, "relay");
      // Every packet went through a relay.
      deepStrictEqual(pair.carrying, ["relay"]);
    }
    ok(up[0]!.bytesSent > 0, "the publisher sent nothing");
    ok(down[0]!.bytesReceived > 0, "B received nothing");
    await check({ server, a, frames, up, down });
  } finally {
    await browser.close();
    await server.close();
  }
}

Deno.test({
  name:
    "Chromium told to relay only publishes and receives video through the built-in TURN server",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await relayedCall({ serverRelayOnly: false }, ({ server }) => {
      // Both pages' media went through allocations of Nereid's server.
      ok(server.server.turn!.server.allocationCount >= 2);
    });
  },
});

/**
 * Runs `run` with the web client's demo group on a server with a built-in
 * TURN server (and `options`), in a fresh Chromium.
 */
async function withWebClient(
  options: Partial<TestServerOptions>,
  run: (
    client: { srv: TestServer; browser: Browser; url: string },
  ) => Promise<void>,
): Promise<void> {
  const srv = await startTestServer({
    groups: { demo: DEMO_GROUP },
    turn: "127.0.0.1:0",
    ...options,
  });
  const browser = await launchBrowser();
  try {
    await run({ srv, browser, url: `${srv.url}/group/demo/` });
  } finally {
    await browser.close();
    await srv.close();
  }
}

Deno.test({
  name: "/relay-test in the web client passes through the built-in TURN server",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withWebClient({}, async ({ browser, url }) => {
      const ann = await open(browser, url);
      await login(ann, "ann", "x", "none");
      await say(ann, "/relay-test");
      const line = ann.page.locator(".msg.system", { hasText: /Relay test/ })
        .last();
      await line.waitFor({ timeout: 15_000 });
      const text = await line.innerText();
      console.log(text);
      ok(/Relay test passed/.test(text), text);
      strictEqual(ann.errors.length, 0, ann.errors.join("\n"));
    });
  },
});

Deno.test({
  name:
    "with -relay-only the server's own connections relay through the built-in TURN server too",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await relayedCall({ serverRelayOnly: true }, async (call) => {
      // The pages kept the server's rtcConfiguration: relay only.
      const policy = await call.a.evaluate(
        `peer.rtcConfiguration.iceTransportPolicy`,
      );
      strictEqual(policy, "relay");
      // The server's end of each pair is a relayed candidate too.
      for (const pair of [...call.up, ...call.down]) {
        strictEqual(pair.remote, "relay");
      }
      const own = [...call.server.server.turn!.server.allocations()]
        .filter((x) => /^\d+:nereid-server\./.test(x.username))
        .map((x) => x.stats.relayed);
      console.log(
        `packets through the server's own allocations ${JSON.stringify(own)}`,
      );
      ok(own.filter((n) => n > 0).length >= 2, "the server relayed nothing");
    });
  },
});

Deno.test({
  name:
    "the web client's open peer connections take renewed TURN credentials without a rejoin",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    let clock = Date.now();
    await withWebClient({ now: () => clock }, async ({ browser, url }) => {
      const ann = await open(browser, url);
      await login(ann, "ann", "x", "audio");
      // The TURN username of the page's first peer connection, kept.
      const username = () =>
        ann.page.evaluate(() => {
          const g = globalThis as unknown as {
            __pcs: RTCPeerConnection[];
            __kept?: RTCPeerConnection | undefined;
          };
          g.__kept ??= g.__pcs[0];
          return g.__kept?.getConfiguration().iceServers?.[0]?.username;
        });
      let before: string | undefined;
      await eventually(async () => {
        before = await username();
        ok(before, "no peer connection yet");
      });
      clock += RENEW_EVERY_MS;
      const expiry = (u: string | undefined) => Number(u!.split(":")[0]);
      await eventually(async () => {
        const after = await username();
        ok(expiry(after) >= expiry(before) + RENEW_EVERY_MS / 1000, after);
      });
      strictEqual(ann.errors.length, 0, ann.errors.join("\n"));
    });
  },
});

Deno.test({
  name:
    "the web client's relay-only setting sends and receives video through the built-in TURN server only",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withWebClient({}, async ({ browser, url }) => {
      const people = [await open(browser, url), await open(browser, url)];
      for (const [i, p] of people.entries()) {
        // The setting as the side menu stores it.
        await p.page.evaluate(() => {
          const s = JSON.parse(localStorage.getItem("nereid-settings")!);
          localStorage.setItem(
            "nereid-settings",
            JSON.stringify({ ...s, relayOnly: true }),
          );
        });
        await p.page.reload();
        await login(p, ["ann", "bob"][i]!, "x");
        assert(await p.page.locator("#relay-check").isChecked());
      }
      for (const p of people) {
        await p.page.waitForFunction(
          () => {
            const v = [
              ...document.querySelectorAll<HTMLVideoElement>(".tile video"),
            ];
            return v.length === 2 && v.every((x) => x.videoWidth > 0);
          },
          undefined,
          { timeout: 20_000 },
        );
      }
      for (const p of people) {
        const pairs = await clientPairs(p.page);
        console.log(JSON.stringify(pairs));
        // One up and one down connection each, every packet relayed.
        strictEqual(pairs.length, 2);
        for (const pair of pairs) {
          strictEqual(pair.local, "relay");
          deepStrictEqual(pair.carrying, ["relay"]);
        }
        strictEqual(p.errors.length, 0, p.errors.join("\n"));
      }
    });
  },
});

/**
 * For every connected peer connection of a web client page: the selected
 * pair's local candidate type, and the local types that carried bytes.
 */
function clientPairs(
  page: Page,
): Promise<{ local: string; carrying: string[] }[]> {
  return page.evaluate(async () => {
    const out: { local: string; carrying: string[] }[] = [];
    const pcs = (globalThis as unknown as { __pcs: RTCPeerConnection[] })
      .__pcs.filter((pc) => pc.connectionState === "connected");
    for (const pc of pcs) {
      const report = await pc.getStats();
      const all = [...report.values()];
      const type = (id: string) => report.get(id)?.candidateType ?? "";
      const t = all.find((s) => s.type === "transport");
      const pair = report.get(t?.selectedCandidatePairId);
      out.push({
        local: pair ? type(pair.localCandidateId) : "",
        carrying: [
          ...new Set(
            all.filter((s) =>
              s.type === "candidate-pair" && s.bytesSent + s.bytesReceived > 0
            ).map((s) => type(s.localCandidateId)),
          ),
        ],
      });
    }
    return out;
  });
}
