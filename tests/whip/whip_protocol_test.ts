/**
 * WHIP through a real server, with a werift peer as the WHIP client and a
 * werift subscriber as a member of the group: publishing, trickle and ICE
 * restarts, every refusal's status code, the ways a session ends, and that
 * none of them leaves a member, a connection or a socket behind.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import * as jose from "jose";
import { openSockets } from "../support/werift_peers.ts";
import { Subscriber } from "../support/subscriber.ts";
import { startTestServer, type TestServer } from "../support/test_server.ts";
import { waitFor } from "../support/wait_for.ts";
import type { Message, WsClient } from "../support/ws_client.ts";
import { WhipClient } from "../support/whip_client.ts";
import { groupOf, kick } from "./support/group_probe.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const GROUP = {
  users: {
    vimes: { password: "p", permissions: "op" },
    whip: { password: "", permissions: "present" },
  },
  "wildcard-user": { password: "p", permissions: "present" },
};

/** Members and media connections of the server now. */
async function footprint(t: TestServer, group = "g") {
  const g = groupOf(t, group);
  return {
    members: g ? g.clientCount : 0,
    connections: (await t.server.media.stats()).length,
    sessions: t.server.sessions.size,
  };
}

/** Waits until nothing is left but `expected`. */
async function settles(
  t: TestServer,
  expected: { members: number; connections: number; sessions: number },
): Promise<void> {
  await waitFor(
    `members, connections and sessions to be ${JSON.stringify(expected)}`,
    async () => JSON.stringify(await footprint(t)) === JSON.stringify(expected),
  );
}

/** The first stream offered to a member whose {@link Subscriber} answers. */
function offerTo(client: WsClient): Promise<Message> {
  return waitFor(
    "a stream offered to the member",
    () => client.history.find((m) => m["type"] === "offer"),
  );
}

Deno.test({
  name:
    'a WHIP client publishes into a group: a member receives its stream as whip with label "" and sees it end on DELETE',
  ...opts,
  async fn() {
    const t = await startTestServer({ groups: { g: GROUP } });
    const vimes = await t.member("g", "vimes", "p");
    const sub = new Subscriber(vimes);
    sub.start();
    const whip = new WhipClient(`${t.url}/group/g/.whip`);
    try {
      await whip.publish();
      const added = await vimes.next({ type: "user", kind: "add" });
      strictEqual(added["username"], "whip");
      const offer = await offerTo(vimes);
      strictEqual(offer["label"], "");
      strictEqual(offer["username"], "whip");
      const id = offer["id"] as string;
      await sub.receives(id, 50);
      ok(whip.resource.includes("/group/g/.whip/"));
      ok(/^"[0-9a-f]+"$/.test(whip.etag), whip.etag);
      // The id is 128 random bits, not the member's id.
      const token = whip.resource.split("/").pop()!;
      strictEqual(token.length, 32);
      ok(token !== added["id"]);
      strictEqual(await whip.delete(), 200);
      await vimes.next({ type: "close", id });
      await vimes.next({ type: "user", kind: "delete" });
      strictEqual(await whip.delete(), 404);
      await settles(t, { members: 1, connections: 0, sessions: 1 });
    } finally {
      await sub.close();
      await whip.close();
      await t.close();
    }
  },
});

Deno.test({
  name:
    "WHIP trickle: candidates PATCHed after an offer without any connect it (204), and new credentials restart ICE (200, new ETag)",
  ...opts,
  async fn() {
    const t = await startTestServer({ groups: { g: GROUP } });
    const vimes = await t.member("g", "vimes", "p");
    const sub = new Subscriber(vimes);
    sub.start();
    const whip = new WhipClient(`${t.url}/group/g/.whip`);
    try {
      await whip.publish({ trickle: true });
      const local = whip.pc.localDescription!.sdp;
      const candidates = local.split("\r\n").filter((l) =>
        l.startsWith("a=candidate:")
      );
      ok(candidates.length > 0);
      const ufrag = /a=ice-ufrag:(.*)/.exec(local)![1]!;
      const pwd = /a=ice-pwd:(.*)/.exec(local)![1]!;
      const fragment = [
        `a=ice-ufrag:${ufrag}`,
        `a=ice-pwd:${pwd}`,
        "m=video 9 UDP/TLS/RTP/SAVPF 0",
        "a=mid:0",
        ...candidates,
        "",
      ].join("\r\n");
      const patched = await whip.patch(fragment, { "If-Match": whip.etag });
      strictEqual(patched.response.status, 204, patched.body);
      const offer = await offerTo(vimes);
      await sub.receives(offer["id"] as string, 50);

      // New credentials: an ICE restart, answered with the server's own.
      const restart = [
        "a=ice-ufrag:R3st",
        "a=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "m=video 9 UDP/TLS/RTP/SAVPF 0",
        "a=mid:0",
        "",
      ].join("\r\n");
      const restarted = await whip.patch(restart, { "If-Match": whip.etag });
      strictEqual(restarted.response.status, 200, restarted.body);
      strictEqual(
        restarted.response.headers.get("Content-Type"),
        "application/trickle-ice-sdpfrag",
      );
      ok(/^a=ice-ufrag:/.test(restarted.body), restarted.body);
      ok(restarted.body.includes("a=ice-pwd:"));
      const etag = restarted.response.headers.get("ETag")!;
      ok(etag !== whip.etag);
      // The old tag no longer matches.
      const stale = await whip.patch(fragment, { "If-Match": whip.etag });
      strictEqual(stale.response.status, 412);
      strictEqual(await whip.delete({ "If-Match": etag }), 200);
    } finally {
      await whip.close();
      await t.close();
    }
  },
});

Deno.test({
  name: "WHIP refusals: each bad request gets its status and leaves nothing",
  ...opts,
  async fn() {
    const t = await startTestServer({
      groups: {
        g: GROUP,
        closed: { users: { vimes: { password: "p", permissions: "op" } } },
        watch: { "wildcard-user": { password: "", permissions: "observe" } },
        full: {
          "max-clients": 1,
          "wildcard-user": { password: "", permissions: "present" },
        },
        h264: {
          codecs: ["h264", "opus"],
          "wildcard-user": { password: "", permissions: "present" },
        },
      },
      config: { allowOrigin: ["https://allowed.example"] },
    });
    const whip = new WhipClient(`${t.url}/group/g/.whip`);
    const endpoint = (group: string) => `${t.url}/group/${group}/.whip`;
    const post = (group: string, init: RequestInit) =>
      fetch(endpoint(group), { method: "POST", ...init }).then(async (r) => ({
        status: r.status,
        headers: r.headers,
        body: await r.text(),
      }));
    const sdp = { "Content-Type": "application/sdp" };
    try {
      const offer = await whip.offer();
      const before = await footprint(t);

      strictEqual(
        (await post("g", {
          headers: { "Content-Type": "text/plain" },
          body: offer,
        })).status,
        415,
      );
      strictEqual(
        (await post("g", { headers: sdp, body: "x".repeat(300 << 10) }))
          .status,
        413,
      );
      strictEqual(
        (await post("g", { headers: sdp, body: "hello" })).status,
        400,
      );
      strictEqual(
        (await post("g", { headers: sdp, body: "v=0\r\ns=-\r\n" })).status,
        400,
      );
      strictEqual(
        (await post("nowhere", { headers: sdp, body: offer })).status,
        404,
      );
      // No user `whip`, and no wildcard user: not authorised.
      strictEqual(
        (await post("closed", { headers: sdp, body: offer })).status,
        403,
      );
      // Joining is allowed, publishing is not.
      strictEqual(
        (await post("watch", { headers: sdp, body: offer })).status,
        403,
      );
      // A group whose video codec the offer lacks.
      const noCodec = await post("h264", { headers: sdp, body: offer });
      strictEqual(noCodec.status, 422, noCodec.body);
      ok(/codec/.test(noCodec.body), noCodec.body);
      // A browser page from an Origin the server does not allow.
      strictEqual(
        (await post("g", {
          headers: { ...sdp, Origin: "https://evil.example" },
          body: offer,
        })).status,
        403,
      );
      // max-clients: the group is full.
      const first = await t.member("full", "someone", "");
      const full = await post("full", { headers: sdp, body: offer });
      strictEqual(full.status, 503, full.body);
      await first.close();
      // Methods.
      strictEqual((await fetch(endpoint("g"))).status, 405);
      const unknown = await fetch(`${endpoint("g")}/0123456789abcdef`, {
        method: "PATCH",
        headers: { "Content-Type": "application/trickle-ice-sdpfrag" },
        body: "a=end-of-candidates\r\n",
      });
      await unknown.body?.cancel();
      strictEqual(unknown.status, 404);
      await settles(t, before);
    } finally {
      await whip.close();
      await t.close();
    }
  },
});

Deno.test({
  name:
    "WHIP resources: wrong ETag 412, wrong content type 415, malformed fragment 400, another group 404; CORS for allowed Origins",
  ...opts,
  async fn() {
    const t = await startTestServer({
      groups: { g: GROUP, other: GROUP },
      config: { allowOrigin: ["https://allowed.example"] },
    });
    const whip = new WhipClient(`${t.url}/group/g/.whip`);
    try {
      const preflight = await fetch(`${t.url}/group/g/.whip`, {
        method: "OPTIONS",
        headers: { Origin: "https://allowed.example" },
      });
      strictEqual(preflight.status, 204);
      strictEqual(
        preflight.headers.get("Access-Control-Allow-Origin"),
        "https://allowed.example",
      );
      ok(
        preflight.headers.get("Access-Control-Allow-Methods")!.includes("POST"),
      );
      const refused = await fetch(`${t.url}/group/g/.whip`, {
        method: "OPTIONS",
        headers: { Origin: "https://evil.example" },
      });
      strictEqual(refused.headers.get("Access-Control-Allow-Origin"), null);

      await whip.publish();
      strictEqual(
        (await whip.patch("a=end-of-candidates\r\n", { "If-Match": '"nope"' }))
          .response.status,
        412,
      );
      strictEqual(
        (await whip.patch("a=end-of-candidates\r\n", {
          "Content-Type": "application/sdp",
        })).response.status,
        415,
      );
      strictEqual(
        (await whip.patch("not a fragment")).response.status,
        400,
      );
      const elsewhere = await fetch(
        whip.resource.replace("/group/g/", "/group/other/"),
        { method: "DELETE" },
      );
      await elsewhere.body?.cancel();
      strictEqual(elsewhere.status, 404);
      strictEqual(await whip.delete({ "If-Match": '"nope"' }), 412);
      strictEqual(await whip.delete({ "If-Match": whip.etag }), 200);
      await settles(t, { members: 0, connections: 0, sessions: 0 });
    } finally {
      await whip.close();
      await t.close();
    }
  },
});

Deno.test({
  name:
    "a WHIP bearer token names the publisher, and the resource answers only with that token (403 without)",
  ...opts,
  async fn() {
    const secret = crypto.getRandomValues(new Uint8Array(32));
    const jwk = { ...(await jose.exportJWK(secret)), alg: "HS256" };
    const t = await startTestServer({
      groups: {
        g: {
          authKeys: [jwk],
          users: { vimes: { password: "p", permissions: "op" } },
        },
      },
    });
    const now = Math.floor(Date.now() / 1000);
    const sign = (permissions: string[]) =>
      new jose.SignJWT({ permissions }).setProtectedHeader({ alg: "HS256" })
        .setSubject("camera-1").setAudience(`${t.url}/group/g/`)
        .setIssuedAt(now).setExpirationTime(now + 60).sign(secret);
    const vimes = await t.member("g", "vimes", "p");
    const whip = new WhipClient(
      `${t.url}/group/g/.whip`,
      await sign(["present"]),
    );
    const watcher = new WhipClient(
      `${t.url}/group/g/.whip`,
      await sign(["message"]),
    );
    try {
      strictEqual((await watcher.post()).response.status, 403);
      await whip.publish();
      const added = await vimes.next({ type: "user", kind: "add" });
      strictEqual(added["username"], "camera-1");
      const anonymous = await fetch(whip.resource, { method: "DELETE" });
      await anonymous.body?.cancel();
      strictEqual(anonymous.status, 403);
      strictEqual(await whip.delete(), 200);
      await vimes.next({ type: "user", kind: "delete" });
    } finally {
      await whip.close();
      await watcher.close();
      await t.close();
    }
  },
});

Deno.test({
  name:
    "a WHIP publisher that never connects is removed after the ICE timeout, and one kicked by an operator is gone",
  ...opts,
  async fn() {
    const t = await startTestServer({
      groups: { g: GROUP },
      timings: { iceTimeout: 1500 },
    });
    const vimes = await t.member("g", "vimes", "p");
    const silent = new WhipClient(`${t.url}/group/g/.whip`);
    const kicked = new WhipClient(`${t.url}/group/g/.whip`);
    try {
      // Posted, but the answer is never applied: ICE never starts.
      strictEqual((await silent.post()).response.status, 201);
      const added = await vimes.next({ type: "user", kind: "add" });
      await vimes.next({ type: "user", kind: "delete", id: added["id"] }, 5000);
      strictEqual(await silent.delete(), 404);

      await kicked.publish();
      const whip = await vimes.next({ type: "user", kind: "add" });
      await kick(vimes, whip["id"], "go away");
      strictEqual(await kicked.delete(), 404);
      await settles(t, { members: 1, connections: 0, sessions: 1 });
    } finally {
      await silent.close();
      await kicked.close();
      await t.close();
    }
  },
});

Deno.test({
  name:
    "50 WHIP sessions created and deleted leave the server's members, connections and sockets where they were",
  ...opts,
  async fn() {
    const t = await startTestServer({ groups: { g: GROUP } });
    const vimes = await t.member("g", "vimes", "p");
    const whip = new WhipClient(`${t.url}/group/g/.whip`);
    try {
      const offer = await whip.offer();
      // fetch keeps its connection open: four sockets of this process (the
      // client's, the listener's, and the relay pair to Deno's server).
      const warm = await fetch(`${t.url}/group/g/.whip`, { method: "OPTIONS" });
      await warm.body?.cancel();
      const before = await footprint(t);
      const sockets = openSockets();
      ok(sockets > 0);
      for (let i = 0; i < 50; i++) {
        const session = new WhipClient(`${t.url}/group/g/.whip`);
        const { response } = await session.post(offer);
        strictEqual(response.status, 201);
        if (i === 0) ok(openSockets() > sockets, "a session holds sockets");
        strictEqual(await session.delete(), 200);
        await session.close();
      }
      await settles(t, before);
      // Each session held two sockets or more; a second pooled HTTP
      // connection is the most that may differ.
      const after = await waitFor(
        "the sockets to be closed",
        () => openSockets() <= sockets + 4 && openSockets(),
      );
      ok(after <= sockets + 4, `${sockets} sockets before, ${after} after`);
      deepStrictEqual(await footprint(t), before);
      strictEqual(vimes.isClosed, false);
    } finally {
      await whip.close();
      await t.close();
    }
  },
});

Deno.test({
  name:
    "a WHIP stream is recorded like any other and shown in the statistics API with its bitrate",
  ...opts,
  async fn() {
    const t = await startTestServer({
      groups: { g: { ...GROUP, "allow-recording": true } },
      config: { users: { root: { password: "pw", permissions: "admin" } } },
    });
    const vimes = await t.member("g", "vimes", "p");
    const whip = new WhipClient(`${t.url}/group/g/.whip`);
    try {
      vimes.send({ type: "groupaction", kind: "record" });
      await vimes.next({ type: "user", kind: "add", username: "RECORDING" });
      await whip.publish();
      const stats = await waitFor("whip's up stream in .stats", async () => {
        const res = await fetch(`${t.url}/galene-api/v0/.stats`, {
          headers: { Authorization: `Basic ${btoa("root:pw")}` },
        });
        const groups = await res.json() as {
          clients: {
            username?: string;
            up: { tracks: { bitrate: number }[] }[];
          }[];
        }[];
        const client = groups[0]?.clients.find((c) => c.username === "whip");
        const bitrate = client?.up[0]?.tracks.reduce(
          (n, x) => n + x.bitrate,
          0,
        );
        return bitrate !== undefined && bitrate > 0 && bitrate;
      });
      ok(stats > 0);
      const dir = `${t.recordingsDir}/g`;
      const file = await waitFor("whip's recording to grow", async () => {
        for await (const e of Deno.readDir(dir)) {
          if (!e.name.endsWith("-whip.webm")) continue;
          const size = (await Deno.stat(`${dir}/${e.name}`)).size;
          if (size > 10_000) return e.name;
        }
        return false;
      }, { timeoutMs: 15_000 });
      ok(file.endsWith("-whip.webm"), file);
      strictEqual(await whip.delete(), 200);
    } finally {
      await whip.close();
      await t.close();
    }
  },
});
