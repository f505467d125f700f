/**
 * The first message about a down stream is its `offer`.
 * Galène's own client throws "unknown stream" on an `ice` for a stream it
 * was not offered yet, so candidates the server gathers while it prepares
 * an offer are held and sent after it; after an ICE restart, candidates of
 * the new session follow the offer that announces it.
 *
 * @module
 */

import { ok, strictEqual } from "node:assert/strict";
import type { RTCPeerConnection } from "werift";
import { loopbackPeer } from "../support/werift_peers.ts";
import { Publisher } from "../support/publisher.ts";
import { startTestServer } from "../support/test_server.ts";
import { waitFor } from "../support/wait_for.ts";
import type { Message, WsClient } from "../support/ws_client.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const GROUP = {
  users: {
    carrot: { password: "p", permissions: "present" },
    angua: { password: "p", permissions: "present" },
    nobby: { password: "p", permissions: "observe" },
  },
};

/** Answers every offer the client gets with a werift peer, as a browser would. */
function answerOffers(client: WsClient): { stop(): Promise<void> } {
  const peers = new Map<string, RTCPeerConnection>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      let m: Message;
      try {
        m = await client.nextOf("offer", undefined, 60_000);
      } catch {
        return;
      }
      const id = String(m["id"]);
      const pc = peers.get(id) ?? loopbackPeer();
      peers.set(id, pc);
      await pc.setRemoteDescription({ type: "offer", sdp: String(m["sdp"]) });
      await pc.setLocalDescription(await pc.createAnswer());
      client.send({ type: "answer", id, sdp: pc.localDescription!.sdp });
    }
  })();
  return {
    async stop() {
      stopped = true;
      await Promise.all([...peers.values()].map((pc) => pc.close()));
      void loop;
    },
  };
}

/** The ICE username fragment of an offer, or of a candidate line. */
function ufrags(m: Message): string[] {
  if (m["type"] === "offer") {
    return [...String(m["sdp"]).matchAll(/a=ice-ufrag:(\S+)/g)].map((x) =>
      x[1]!
    );
  }
  const candidate = m["candidate"] as { candidate?: string } | undefined;
  const found = /\bufrag (\S+)/.exec(candidate?.candidate ?? "");
  return found ? [found[1]!] : [];
}

/**
 * Checks that, for every stream id, no `ice` comes before its first offer,
 * and every candidate's ufrag was announced by an offer before it.
 */
function checkOrder(history: readonly Message[]): number {
  const announced = new Map<string, Set<string>>();
  let checked = 0;
  history.forEach((m, i) => {
    const id = String(m["id"]);
    if (m["type"] === "offer") {
      const set = announced.get(id) ?? new Set();
      for (const u of ufrags(m)) set.add(u);
      announced.set(id, set);
    } else if (m["type"] === "ice") {
      const set = announced.get(id);
      ok(set, `message ${i}: ice for stream ${id} before its offer`);
      for (const u of ufrags(m)) {
        ok(set.has(u), `message ${i}: candidate ufrag ${u} before its offer`);
      }
      checked++;
    }
  });
  return checked;
}

Deno.test({
  name:
    "no ice about a down stream precedes its offer, for every stream and after an ICE restart",
  ...opts,
  async fn() {
    const t = await startTestServer({ groups: { g: GROUP } });
    const carrot = await t.member("g", "carrot", "p");
    const angua = await t.member("g", "angua", "p");
    const nobby = await t.member("g", "nobby", "p");
    const publishers = [
      new Publisher(carrot),
      new Publisher(carrot),
      new Publisher(angua),
    ];
    const answering = answerOffers(nobby);
    try {
      // One stream is published before the request, two after.
      strictEqual((await publishers[0]!.offer())["type"], "answer");
      nobby.send({ type: "request", request: { "": ["audio", "video"] } });
      for (const p of publishers.slice(1)) {
        strictEqual((await p.offer())["type"], "answer");
      }
      for (const p of publishers) {
        await nobby.next({ type: "ice", id: p.id }, 10_000);
      }
      // An ICE restart of each: a new offer with new credentials.
      for (const p of publishers) {
        nobby.send({ type: "renegotiate", id: p.id });
      }
      for (const p of publishers) {
        const offers = () =>
          nobby.history.filter((m) => m["type"] === "offer" && m["id"] === p.id)
            .length;
        await waitFor(`the second offer of ${p.id}`, () => offers() >= 2);
        strictEqual(offers(), 2);
      }
      await nobby.sync();
      ok(checkOrder(nobby.history) >= 6, "too few candidates to check");
    } finally {
      await answering.stop();
      await Promise.all(publishers.map((p) => p.close()));
      await t.close();
    }
  },
});
