// When ICE fails at once, the web client restarts it with back-off and one
// negotiation at a time per stream, in a real Chromium against a real
// Nereid server. The page's descriptions from the server are pointed at a
// peer that refuses every connectivity check (ice_refuser.ts), and the
// page's own candidates are kept from the server: each ICE attempt of the
// camera it publishes and of the camera it receives fails within a round
// trip. The test counts the offers (and the requests for one) the page
// sends, with their times.

import assert from "node:assert/strict";
import { RESTART_DELAYS_MS } from "../../client/src/renegotiator.ts";
import { login, open, type Person } from "./browser.ts";
import { startIceRefuser } from "./ice_refuser.ts";
import { startTestServer } from "../support/test_server.ts";
import { DEMO_GROUP } from "../support/groups.ts";
import { launchBrowser } from "../support/browser.ts";

/** What the page did, in ms since the hook was installed. */
interface Negotiation {
  what: "offer" | "renegotiate" | "failed" | "createOffer";
  t: number;
  id?: string;
  /** The signalling state when createOffer was called. */
  state?: string;
}

/**
 * Runs in the page: every description from the server leads to `target`,
 * no candidate goes either way, and offers, requests for one, connection
 * failures and createOffer calls are logged in `__negotiations`. The
 * server's ufrag is kept (prefixed), so that its ICE restarts are still
 * restarts.
 */
function pointIceAt(target: { pwd: string; candidate: string }): void {
  const log: Negotiation[] = [];
  (globalThis as unknown as { __negotiations: Negotiation[] })
    .__negotiations = log;
  const t0 = performance.now();
  const at = () => Math.round(performance.now() - t0);
  const retarget = (sdp: string) =>
    sdp.split("\r\n").flatMap((line) => {
      if (line.startsWith("a=candidate") || line === "a=end-of-candidates") {
        return [];
      }
      if (line.startsWith("a=ice-ufrag:")) {
        return [`a=ice-ufrag:R${line.slice("a=ice-ufrag:".length)}`];
      }
      if (line.startsWith("a=ice-pwd:")) return [`a=ice-pwd:${target.pwd}`];
      if (line.startsWith("a=mid:")) return [line, `a=${target.candidate}`];
      return [line];
    }).join("\r\n");
  const proto = RTCPeerConnection.prototype;
  // The DOM types' overloads (legacy callbacks) set aside: the promise forms.
  const setRemote = proto.setRemoteDescription as (
    this: RTCPeerConnection,
    d: RTCSessionDescriptionInit,
  ) => Promise<void>;
  proto.setRemoteDescription = function (
    this: RTCPeerConnection,
    d: RTCSessionDescriptionInit,
  ) {
    return setRemote.call(this, { type: d.type, sdp: retarget(d.sdp ?? "") });
  } as typeof proto.setRemoteDescription;
  proto.addIceCandidate = function () {
    return Promise.resolve();
  } as typeof proto.addIceCandidate;
  const createOffer = proto.createOffer as (
    this: RTCPeerConnection,
    options?: RTCOfferOptions,
  ) => Promise<RTCSessionDescriptionInit>;
  proto.createOffer = function (
    this: RTCPeerConnection,
    options?: RTCOfferOptions,
  ) {
    log.push({ what: "createOffer", t: at(), state: this.signalingState });
    return createOffer.call(this, options);
  } as typeof proto.createOffer;
  const Native = globalThis.RTCPeerConnection;
  globalThis.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      this.addEventListener("connectionstatechange", () => {
        if (this.connectionState === "failed") {
          log.push({ what: "failed", t: at() });
        }
      });
    }
  };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (this: WebSocket, data) {
    if (typeof data !== "string") return send.call(this, data);
    const m = JSON.parse(data);
    if (m.type === "ice") return;
    if (m.type === "offer" || m.type === "renegotiate") {
      log.push({ what: m.type, t: at(), id: m.id });
    }
    if (typeof m.sdp === "string") {
      m.sdp = m.sdp.split("\r\n").filter((l: string) =>
        !l.startsWith("a=candidate")
      ).join("\r\n");
    }
    return send.call(this, JSON.stringify(m));
  };
}

async function negotiations(p: Person): Promise<Negotiation[]> {
  return await p.page.evaluate(() =>
    (globalThis as unknown as { __negotiations: Negotiation[] })
      .__negotiations
  );
}

/** The times of `what` for the stream it was first sent for. */
function timesOf(log: Negotiation[], what: Negotiation["what"]): number[] {
  const id = log.find((n) => n.what === what)?.id;
  return log.filter((n) => n.what === what && n.id === id).map((n) => n.t);
}

/**
 * Each of `times` after the first came at least its restart's delay after
 * the one before (it waited out that delay after a failure that followed
 * the one before). `restarts` is the restart the first one is: 0 for a
 * first offer, 1 for a first request (itself a restart).
 */
function assertSpacedOut(
  times: number[],
  what: string,
  restarts: number,
): void {
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    const least = RESTART_DELAYS_MS[restarts + i - 1]!;
    assert.ok(
      gap >= least,
      `${what} ${i + 1} came ${gap} ms after the one before (${times})`,
    );
  }
}

Deno.test({
  name:
    "a connection whose ICE fails at once is restarted with back-off, one negotiation at a time",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const srv = await startTestServer({ groups: { demo: DEMO_GROUP } });
    const refuser = await startIceRefuser();
    const browser = await launchBrowser();
    const people: Person[] = [];
    try {
      const bob = await open(browser, `${srv.url}/group/demo/`);
      people.push(bob);
      await login(bob, "bob", "y");
      const ann = await open(browser, `${srv.url}/group/demo/`);
      people.push(ann);
      const complaints: string[] = [];
      ann.page.on("console", (m) => {
        if (m.type() === "error" || /InvalidStateError/.test(m.text())) {
          complaints.push(m.text());
        }
      });
      await ann.page.evaluate(pointIceAt, {
        pwd: refuser.pwd,
        candidate: refuser.candidate,
      });
      await login(ann, "ann", "x");

      // Four offers for her camera: the first and three restarts; three
      // requests for a new offer of bob's camera.
      await ann.page.waitForFunction(
        () => {
          const log = (globalThis as unknown as {
            __negotiations: Negotiation[];
          }).__negotiations;
          const count = (what: string) =>
            log.filter((n) => n.what === what).length;
          return count("offer") >= 4 && count("renegotiate") >= 3;
        },
        undefined,
        { timeout: 30_000, polling: 100 },
      );
      const log = await negotiations(ann);
      const offers = timesOf(log, "offer");
      const asks = timesOf(log, "renegotiate");
      const failures = log.filter((n) => n.what === "failed").length;
      assert.ok(failures >= 6, `ICE failed ${failures} times`);
      assert.ok(refuser.refused > 0, "the checks reached the refuser");
      assertSpacedOut(offers, "offer", 0);
      assertSpacedOut(asks, "request for an offer", 1);
      // Never a second offer while one waits for its answer.
      assert.deepEqual(
        log.filter((n) => n.what === "createOffer" && n.state !== "stable"),
        [],
      );
      assert.deepEqual(complaints, [], "no negotiation error");
      assert.deepEqual(
        await ann.page.locator(".toast", { hasText: "Media:" }).allInnerTexts(),
        [],
      );
      for (const p of people) {
        assert.deepEqual(p.errors, [], "no uncaught page errors");
      }
    } finally {
      for (const p of people) await p.context.close().catch(() => {});
      await browser.close();
      await refuser.close();
      await srv.close();
    }
  },
});
