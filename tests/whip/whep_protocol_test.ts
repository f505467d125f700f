/**
 * WHEP through a real server, with werift peers: a WHEP player receives the
 * stream the rule chooses (a `?stream=` viewer ends with it; following is
 * whep_follow_test.ts), is a member for `max-clients` and
 * for operators, and every refusal gets its status and leaves nothing.
 *
 * @module
 */

import { ok, strictEqual } from "node:assert/strict";
import { Publisher } from "../support/publisher.ts";
import { startTestServer, type TestServer } from "../support/test_server.ts";
import { waitFor } from "../support/wait_for.ts";
import { WhepPlayer } from "../support/whep_player.ts";
import { WhipClient } from "../support/whip_client.ts";
import {
  groupOf,
  kick,
  memberNames,
  type TestGroup,
} from "./support/group_probe.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const GROUP = {
  users: {
    vimes: { password: "p", permissions: "op" },
    carrot: { password: "p", permissions: "present" },
    whip: { password: "", permissions: "present" },
  },
  "wildcard-user": { password: "", permissions: "observe" },
};

/** The stream id the down connection of member `username` carries. */
async function watched(
  t: TestServer,
  username: string,
): Promise<string | undefined> {
  const viewer = [...groupOf(t)?.members() ?? []].find((m) =>
    m.username === username
  );
  if (viewer === undefined) return undefined;
  const down = (await t.server.media.stats()).find((c) =>
    c.direction === "down" && c.subscriber === viewer.id
  );
  return down?.id;
}

/** Carrot's `camera` publishes; resolves with group `g` once it has tracks. */
async function cameraLive(
  t: TestServer,
  camera: Publisher,
): Promise<TestGroup> {
  strictEqual((await camera.offer())["type"], "answer");
  const group = groupOf(t)!;
  await waitFor(
    "carrot's tracks",
    () => [...group.streams()].some((s) => s.tracks.length > 0),
  );
  return group;
}

Deno.test({
  name:
    "a WHEP player receives the stream published last, ?user= and ?stream= choose another, and a ?stream= viewer's session ends with its stream",
  ...opts,
  async fn() {
    const t = await startTestServer({ groups: { g: GROUP } });
    const carrot = await t.member("g", "carrot", "p");
    const camera = new Publisher(carrot);
    const whip = new WhipClient(`${t.url}/group/g/.whip`);
    const players: WhepPlayer[] = [];
    const player = () => {
      const p = new WhepPlayer(`${t.url}/group/g/.whep`);
      players.push(p);
      return p;
    };
    try {
      strictEqual((await player().play()).status, 404, "nothing to watch yet");
      // The camera's tracks first, so that the WHIP stream is surely the
      // one published last (a stream counts once it has tracks).
      const group = await cameraLive(t, camera);
      await whip.publish();
      await waitFor(
        "both streams to have tracks",
        () =>
          [...group.streams()].filter((s) => s.tracks.length > 0).length === 2,
      );
      const whipStream = [...group.streams()].find((s) =>
        s.owner.username === "whip"
      )!.id;

      const latest = player();
      strictEqual((await latest.play()).status, 201);
      await waitFor("the latest stream's packets", () => latest.packets > 50);
      strictEqual(await watched(t, "whep"), whipStream);
      strictEqual(await latest.delete(), 200);
      await waitFor(
        "the viewer to leave",
        () => !memberNames(t).includes("whep"),
      );

      const byUser = player();
      strictEqual((await byUser.play("?user=carrot")).status, 201);
      await waitFor("carrot's packets", () => byUser.packets > 50);
      strictEqual(await watched(t, "whep"), camera.id);

      const byId = player();
      strictEqual(
        (await byId.play(`?stream=${encodeURIComponent(whipStream)}`)).status,
        201,
      );
      strictEqual((await player().play("?stream=nope")).status, 404);
      strictEqual((await player().play("?user=nobody")).status, 404);

      // The WHIP stream ends: its ?stream= viewer's session ends (it does
      // not follow), carrot's viewer's not.
      strictEqual(await whip.delete(), 200);
      await waitFor(
        "the ?stream= viewer to leave",
        () => memberNames(t).filter((u) => u === "whep").length === 1,
      );
      strictEqual(await byId.delete(), 404);
      strictEqual(await byUser.delete(), 200);
      await waitFor("no viewer", () => !memberNames(t).includes("whep"));
    } finally {
      for (const p of players) await p.close();
      await camera.close();
      await whip.close();
      await t.close();
    }
  },
});

Deno.test({
  name:
    "WHEP refusals: 415, 413, 400, 404, 403, 422 for a player without the server's payload type, 503 when the group is full; nothing is left",
  ...opts,
  async fn() {
    const t = await startTestServer({
      groups: {
        g: { ...GROUP, "max-clients": 3 },
        closed: { users: { vimes: { password: "p", permissions: "op" } } },
      },
    });
    const carrot = await t.member("g", "carrot", "p");
    const camera = new Publisher(carrot);
    const good = new WhepPlayer(`${t.url}/group/g/.whep`);
    const odd = new WhepPlayer(`${t.url}/group/g/.whep`, {
      videoPayloadType: 100,
    });
    const post = (group: string, init: RequestInit) =>
      fetch(`${t.url}/group/${group}/.whep`, { method: "POST", ...init })
        .then(async (r) => ({ status: r.status, body: await r.text() }));
    const sdp = { "Content-Type": "application/sdp" };
    try {
      const group = await cameraLive(t, camera);
      await good.pc.setLocalDescription(await good.pc.createOffer());
      const offer = good.pc.localDescription!.sdp;
      const before = (await t.server.media.stats()).length;
      const clients = group.clientCount;

      strictEqual(
        (await post("g", { headers: { "Content-Type": "text/plain" } }))
          .status,
        415,
      );
      strictEqual(
        (await post("g", { headers: sdp, body: "v=0\r\n".repeat(60_000) }))
          .status,
        413,
      );
      strictEqual(
        (await post("g", { headers: sdp, body: "nope" })).status,
        400,
      );
      strictEqual(
        (await post("nowhere", { headers: sdp, body: offer })).status,
        404,
      );
      strictEqual(
        (await post("closed", { headers: sdp, body: offer })).status,
        403,
      );
      const refused = await odd.play();
      strictEqual(refused.status, 422, refused.body);
      ok(/payload type 96/.test(refused.body), refused.body);
      strictEqual(group.clientCount, clients);
      strictEqual((await t.server.media.stats()).length, before);

      // Two viewers fill the group (carrot is the third member).
      strictEqual((await post("g", { headers: sdp, body: offer })).status, 201);
      strictEqual((await post("g", { headers: sdp, body: offer })).status, 201);
      const full = await post("g", { headers: sdp, body: offer });
      strictEqual(full.status, 503, full.body);
    } finally {
      await good.close();
      await odd.close();
      await camera.close();
      await t.close();
    }
  },
});

Deno.test({
  name:
    "a WHEP viewer is shown to operators as a member, who can kick it; its resource is then gone",
  ...opts,
  async fn() {
    const t = await startTestServer({ groups: { g: GROUP } });
    const carrot = await t.member("g", "carrot", "p");
    const camera = new Publisher(carrot);
    const vimes = await t.member("g", "vimes", "p");
    const viewer = new WhepPlayer(`${t.url}/group/g/.whep`);
    try {
      await cameraLive(t, camera);
      strictEqual((await viewer.play()).status, 201);
      const added = await vimes.next({
        type: "user",
        kind: "add",
        username: "whep",
      });
      await kick(vimes, added["id"], "enough");
      strictEqual(await viewer.delete(), 404);
      await waitFor(
        "the viewer's connection to close",
        async () =>
          (await t.server.media.stats()).every((c) => c.direction === "up"),
      );
    } finally {
      await viewer.close();
      await camera.close();
      await t.close();
    }
  },
});

Deno.test({
  name:
    "a WHEP viewer that never connects is removed after the ICE timeout, one that plays stays",
  ...opts,
  async fn() {
    const t = await startTestServer({
      groups: { g: GROUP },
      timings: { iceTimeout: 1500 },
    });
    const carrot = await t.member("g", "carrot", "p");
    const camera = new Publisher(carrot);
    const silent = new WhepPlayer(`${t.url}/group/g/.whep`);
    const playing = new WhepPlayer(`${t.url}/group/g/.whep`);
    try {
      await cameraLive(t, camera);
      await playing.play();
      // Posted, but the answer is never applied: ICE never starts.
      await silent.pc.setLocalDescription(await silent.pc.createOffer());
      const posted = await fetch(`${t.url}/group/g/.whep`, {
        method: "POST",
        headers: { "Content-Type": "application/sdp" },
        body: silent.pc.localDescription!.sdp,
      });
      await posted.body?.cancel();
      strictEqual(posted.status, 201);
      silent.resource = new URL(posted.headers.get("Location")!, t.url).href;
      strictEqual(memberNames(t).filter((u) => u === "whep").length, 2);
      await waitFor(
        "the silent viewer to be removed",
        () => memberNames(t).filter((u) => u === "whep").length === 1,
        { timeoutMs: 5000 },
      );
      strictEqual(await silent.delete(), 404);
      const before = playing.packets;
      await waitFor("the player to go on", () => playing.packets > before + 50);
      strictEqual(await playing.delete(), 200);
    } finally {
      await silent.close();
      await playing.close();
      await camera.close();
      await t.close();
    }
  },
});
