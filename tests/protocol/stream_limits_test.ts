/**
 * A presenter cannot hold the server's sockets and memory
 * with up streams. A client has at most `maxUpStreams` up streams (published
 * or being offered), and an up stream whose ICE does not complete within
 * the ICE timeout is closed, and the client told `abort`.
 *
 * @module
 */

import { ok, strictEqual } from "node:assert/strict";
import { loopbackPeer, sendTrack } from "../support/werift_peers.ts";
import { Publisher } from "../support/publisher.ts";
import { startTestServer } from "../support/test_server.ts";
import { waitFor } from "../support/wait_for.ts";
import { randomId, type WsClient } from "../support/ws_client.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const GROUP = {
  users: { carrot: { password: "p", permissions: "present" } },
};

/** An offer from a peer that is gone at once: its ICE can never complete. */
async function deadOffer(): Promise<string> {
  const pc = loopbackPeer();
  pc.addTransceiver(sendTrack("video"), { direction: "sendonly" });
  pc.addTransceiver(sendTrack("audio"), { direction: "sendonly" });
  await pc.setLocalDescription(await pc.createOffer());
  const sdp = pc.localDescription!.sdp;
  await pc.close();
  return sdp;
}

/** Sends an offer for stream `id`; resolves with the server's reply. */
async function offer(
  client: WsClient,
  id: string,
  sdp: string,
  extra: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  client.send({
    type: "offer",
    id,
    label: "camera",
    source: client.id,
    username: client.username,
    sdp,
    ...extra,
  });
  return await client.next((m) =>
    m["id"] === id && (m["type"] === "answer" || m["type"] === "abort")
  );
}

Deno.test({
  name:
    "an offer beyond the client's up stream limit is aborted with an error; replacing or closing makes room",
  ...opts,
  async fn() {
    const t = await startTestServer({ groups: { g: GROUP }, maxUpStreams: 2 });
    try {
      const carrot = await t.member("g", "carrot", "p");
      const sdp = await deadOffer();
      const [a, b, c] = [randomId(), randomId(), randomId()];
      strictEqual((await offer(carrot, a, sdp))["type"], "answer");
      strictEqual((await offer(carrot, b, sdp))["type"], "answer");
      strictEqual((await offer(carrot, c, sdp))["type"], "abort");
      const error = await carrot.next({ type: "usermessage", kind: "error" });
      ok(
        String(error["value"]).includes("too many streams"),
        String(error["value"]),
      );
      await t.settle(2);
      // A renegotiation of an open stream is not a new stream.
      strictEqual((await offer(carrot, a, sdp))["type"], "answer");
      // Replacing a stream takes its place.
      const d = randomId();
      strictEqual(
        (await offer(carrot, d, sdp, { replace: a }))["type"],
        "answer",
      );
      carrot.send({ type: "close", id: b });
      strictEqual((await offer(carrot, c, sdp))["type"], "answer");
      await t.settle(2);
    } finally {
      await t.close();
    }
  },
});

Deno.test({
  name:
    "an up stream whose ICE never completes is closed after the ICE timeout and its client told abort; a connected one stays",
  ...opts,
  async fn() {
    const t = await startTestServer({
      groups: { g: GROUP },
      timings: { iceTimeout: 1500 },
    });
    const carrot = await t.member("g", "carrot", "p");
    const live = new Publisher(carrot);
    try {
      strictEqual((await live.offer())["type"], "answer");
      await connected(live);
      const dead = randomId();
      const started = Date.now();
      strictEqual(
        (await offer(carrot, dead, await deadOffer()))["type"],
        "answer",
      );
      await carrot.next({ type: "abort", id: dead }, 10_000);
      ok(
        Date.now() - started >= 1400,
        `aborted after ${Date.now() - started} ms`,
      );
      const error = await carrot.next({ type: "usermessage", kind: "error" });
      ok(
        String(error["value"]).includes("did not connect"),
        String(error["value"]),
      );
      await t.settle(1);
      await carrot.sync();
      strictEqual(carrot.has({ type: "abort", id: live.id }), false);
    } finally {
      await live.close();
      await t.close();
    }
  },
});

/** Waits for a publisher's peer connection to connect. */
async function connected(p: Publisher): Promise<void> {
  await waitFor(
    "the publisher's peer connection to connect",
    () => p.pc.connectionState === "connected",
  );
}
