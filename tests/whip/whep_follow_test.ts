/**
 * WHEP viewers follow: through a real server, with werift WHIP publishers
 * and a werift WHEP player, a viewer whose stream ends moves to the next
 * one the rule picks on the same session, its tracks going on with the
 * same SSRCs and continuing sequence numbers; a `?stream=` viewer does not
 * follow, a follower waits at most the ICE timeout, and a stream in
 * another codec ends the session.
 *
 * @module
 */

import { ok, strictEqual } from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test_server.ts";
import { waitFor } from "../support/wait_for.ts";
import { type ReceivedRtp, WhepPlayer } from "../support/whep_player.ts";
import { WhipClient } from "../support/whip_client.ts";
import { liveStreams, memberNames } from "./support/group_probe.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const GROUP = {
  users: { whip: { password: "", permissions: "present" } },
  "wildcard-user": { password: "", permissions: "observe" },
  codecs: ["vp8", "vp9", "opus"],
};

function viewers(t: TestServer): number {
  return memberNames(t).filter((u) => u === "whep").length;
}

/** The largest step, either way, between consecutive sequence numbers. */
function largestStep(packets: readonly ReceivedRtp[]): number {
  let step = 0;
  for (let i = 1; i < packets.length; i++) {
    const d = ((packets[i]!.seq - packets[i - 1]!.seq) << 16) >> 16;
    step = Math.max(step, Math.abs(d));
  }
  return step;
}

Deno.test({
  name:
    "a WHEP player follows: A stops, B publishes, and the player receives B's packets on the same session with the same SSRCs and continuing sequence numbers",
  ...opts,
  async fn() {
    const t = await startTestServer({ groups: { g: GROUP } });
    const a = new WhipClient(`${t.url}/group/g/.whip`);
    const b = new WhipClient(`${t.url}/group/g/.whip`);
    const player = new WhepPlayer(`${t.url}/group/g/.whep`);
    try {
      await a.publish();
      await waitFor("A's tracks", () => liveStreams(t).length === 1);
      const first = liveStreams(t)[0]!;
      strictEqual((await player.play()).status, 201);
      await waitFor("A's packets", () => player.received.video.length > 100);
      strictEqual(await a.delete(), 200);
      await waitFor("A to end", () => liveStreams(t).length === 0);
      const before = {
        video: player.received.video.length,
        audio: player.received.audio.length,
      };
      strictEqual(viewers(t), 1, "the viewer waits");

      await b.publish();
      await waitFor(
        "B's packets at the player",
        () =>
          player.received.video.length > before.video + 100 &&
          player.received.audio.length > before.audio + 100,
      );
      const second = liveStreams(t)[0]!;
      ok(second !== first);
      for (const kind of ["video", "audio"] as const) {
        const packets = player.received[kind];
        const ssrcs = new Set(packets.map((p) => p.ssrc));
        strictEqual(ssrcs.size, 1, `one ${kind} SSRC: ${[...ssrcs]}`);
        const step = largestStep(packets);
        console.log(
          `${kind}: ${before[kind]} packets from A, ${
            packets.length - before[kind]
          } from B, largest step ${step}`,
        );
        ok(step <= 3, `${kind}: the largest sequence step is ${step}`);
        const last = packets[before[kind] - 1]!;
        const next = packets[before[kind]]!;
        const forward = (next.timestamp - last.timestamp) >>> 0;
        ok(forward > 0 && forward < 0x10000000, `${kind}: time goes on`);
      }
      // The same session: its resource is still there.
      strictEqual(await player.delete(), 200);
      await waitFor("the viewer to leave", () => viewers(t) === 0);
    } finally {
      await player.close();
      await a.close();
      await b.close();
      await t.close();
    }
  },
});

Deno.test({
  name:
    "a ?stream= viewer ends with its stream; a follower waits at most the ICE timeout; a stream in another codec ends the follower's session",
  ...opts,
  async fn() {
    const t = await startTestServer({
      groups: { g: GROUP },
      timings: { iceTimeout: 1500 },
    });
    const a = new WhipClient(`${t.url}/group/g/.whip`);
    const vp9 = new WhipClient(`${t.url}/group/g/.whip`, undefined, {
      video: "VP9",
    });
    const byId = new WhepPlayer(`${t.url}/group/g/.whep`);
    const latest = new WhepPlayer(`${t.url}/group/g/.whep`);
    try {
      await a.publish();
      await waitFor("A's tracks", () => liveStreams(t).length === 1);
      const id = liveStreams(t)[0]!;
      strictEqual(
        (await byId.play(`?stream=${encodeURIComponent(id)}`)).status,
        201,
      );
      strictEqual((await latest.play()).status, 201);
      await waitFor(
        "packets at both",
        () => byId.packets > 50 && latest.packets > 50,
      );

      // A ends: the ?stream= viewer leaves, the follower waits, then leaves.
      strictEqual(await a.delete(), 200);
      await waitFor("the ?stream= viewer to leave", () => viewers(t) === 1);
      strictEqual(await byId.delete(), 404);
      const waited = performance.now();
      await waitFor("the follower to give up", () => viewers(t) === 0, {
        timeoutMs: 5000,
      });
      const elapsed = performance.now() - waited;
      ok(elapsed > 1000, `gave up after ${Math.round(elapsed)} ms`);
      strictEqual(await latest.delete(), 404);

      // A VP8 follower and a VP9 stream: the session ends.
      const again = new WhipClient(`${t.url}/group/g/.whip`);
      const follower = new WhepPlayer(`${t.url}/group/g/.whep`);
      try {
        await again.publish();
        await waitFor("the stream's tracks", () => liveStreams(t).length === 1);
        strictEqual((await follower.play()).status, 201);
        await waitFor("packets", () => follower.packets > 50);
        strictEqual(await again.delete(), 200);
        await waitFor("the stream to end", () => liveStreams(t).length === 0);
        strictEqual(viewers(t), 1, "the follower waits");
        await vp9.publish();
        await waitFor("the follower to leave", () => viewers(t) === 0, {
          timeoutMs: 1200, // sooner than the ICE timeout would end it
        });
        strictEqual(await follower.delete(), 404);
      } finally {
        await follower.close();
        await again.close();
      }
    } finally {
      await byId.close();
      await latest.close();
      await a.close();
      await vp9.close();
      await t.close();
    }
  },
});
