/**
 * A browser's DTLS handshake messages that reach the server twice (the
 * browser retransmits when the server answers slowly, as on a loaded
 * machine) must not break the call. werift alone answered a repeated hello
 * with a new flight and never completed the handshake on the browser's side
 * (server/media/local/dtls_retransmission.ts).
 */

import { ok } from "node:assert/strict";
import { launchBrowser } from "../support/browser.ts";
import { openCall, PEER_PAGES } from "./support/peer_page.ts";
import { openGroup } from "../support/groups.ts";
import { waitFor } from "../support/wait_for.ts";
import { startTestServer } from "../support/test_server.ts";

Deno.test({
  name:
    "with every DTLS handshake datagram received twice, publisher and subscriber connect and the subscriber decodes",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const e2e = await startTestServer({
      staticDir: PEER_PAGES,
      groups: { e2e: openGroup() },
      testFaults: { duplicateHandshakes: true },
    });
    const browser = await launchBrowser();
    try {
      const { a, b } = await openCall(browser, e2e.url);
      const t0 = performance.now();
      await a.evaluate(`window.peer.publish()`);
      const states = await waitFor(
        "both peer connections connected",
        () =>
          Promise.all([
            a.evaluate(
              `[...window.peer.ups.values()].map((u) => u.pc.connectionState)`,
            ),
            b.evaluate(
              `[...window.peer.downs.values()].map((d) => d.pc.connectionState)`,
            ),
          ]).then(([up, down]) => {
            const all = [...up as string[], ...down as string[]];
            return all.length === 2 && all.every((s) => s === "connected")
              ? all
              : undefined;
          }),
        { timeoutMs: 15_000, intervalMs: 200 },
      );
      ok(states.length === 2);
      console.log(
        `connected ${Math.round(performance.now() - t0)} ms after publishing`,
      );
      await waitFor("B to decode video", async () => {
        const s = await b.evaluate(`window.peer.downStats()`) as {
          kind: string;
          framesDecoded: number;
        }[];
        return s.some((x) => x.kind === "video" && x.framesDecoded > 5)
          ? true
          : undefined;
      }, { timeoutMs: 10_000, intervalMs: 200 });
    } finally {
      await browser.close();
      await e2e.close();
    }
  },
});
