/**
 * Galène's media signalling through a real server, with werift peers
 * standing in for browsers: who may publish, what subscribers are offered,
 * and that every way a stream ends closes its copies and leaks nothing.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { openSockets } from "../support/werift_peers.ts";
import { Publisher } from "../support/publisher.ts";
import { startTestServer, type TestServer } from "../support/test_server.ts";
import type { WsClient } from "../support/ws_client.ts";
import { waitFor } from "../support/wait_for.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const GROUP = {
  users: {
    vimes: { password: "p", permissions: "op" },
    carrot: { password: "p", permissions: "present" },
    nobby: { password: "p", permissions: "observe" },
  },
};

async function subscriber(t: TestServer, name: string): Promise<WsClient> {
  const c = await t.member("g", name, "p");
  c.send({ type: "request", request: { "": ["audio", "video"] } });
  return c;
}

Deno.test({
  name:
    "a user without the present permission is refused with abort and an error, and no connection is made",
  ...opts,
  async fn() {
    const t = await startTestServer({ groups: { g: GROUP } });
    const nobby = await t.member("g", "nobby", "p");
    const p = new Publisher(nobby);
    try {
      const reply = await p.offer();
      strictEqual(reply["type"], "abort");
      const error = await nobby.next({ type: "usermessage", kind: "error" });
      strictEqual(error["value"], "not authorised");
      strictEqual((await t.server.media.stats()).length, 0);
    } finally {
      await p.close();
      await t.close();
    }
  },
});

Deno.test({
  name:
    "a subscriber is offered the stream with the publisher's id, label and name, and gets close when the publisher closes it",
  ...opts,
  async fn() {
    const sockets = openSockets();
    const t = await startTestServer({ groups: { g: GROUP } });
    const carrot = await t.member("g", "carrot", "p");
    const vimes = await subscriber(t, "vimes");
    const p = new Publisher(carrot);
    try {
      strictEqual((await p.offer())["type"], "answer");
      const offer = await vimes.next({ type: "offer", id: p.id }, 10_000);
      deepStrictEqual(
        [offer["label"], offer["source"], offer["username"]],
        ["camera", carrot.id, "carrot"],
      );
      ok(String(offer["sdp"]).includes("a=sendonly"));
      carrot.send({ type: "close", id: p.id });
      await vimes.next({ type: "close", id: p.id });
      await t.settle(0);
    } finally {
      await p.close();
      await t.close();
    }
    // Every UDP socket of the server's connections is gone.
    await waitFor(
      "the server's sockets to close",
      () => openSockets() <= sockets,
      { timeoutMs: 3000 },
    ).catch(() => {
      throw new Error(`${openSockets() - sockets} sockets left`);
    });
  },
});

Deno.test({
  name:
    "taking present away aborts the publisher's streams, and a dropped socket closes them at every subscriber",
  ...opts,
  async fn() {
    const t = await startTestServer({ groups: { g: GROUP } });
    const carrot = await t.member("g", "carrot", "p");
    const vimes = await subscriber(t, "vimes");
    const p = new Publisher(carrot);
    try {
      await p.offer();
      await vimes.next({ type: "offer", id: p.id }, 10_000);
      vimes.send({
        type: "useraction",
        kind: "unpresent",
        source: vimes.id,
        username: "vimes",
        dest: carrot.id,
      });
      await carrot.next({ type: "abort", id: p.id });
      const error = await carrot.next({ type: "usermessage", kind: "error" });
      strictEqual(error["value"], "permission denied");
      // The stream is gone only when the client closes it; here it drops.
      await carrot.close();
      await vimes.next({ type: "close", id: p.id });
      await vimes.next({ type: "user", kind: "delete", id: carrot.id });
      await t.settle(0);
    } finally {
      await p.close();
      await t.close();
    }
  },
});

Deno.test({
  name:
    "the statistics API shows the publisher's up stream and the subscriber's copy",
  ...opts,
  async fn() {
    const t = await startTestServer({
      groups: { g: GROUP },
      config: { users: { root: { password: "pw", permissions: "admin" } } },
    });
    const carrot = await t.member("g", "carrot", "p");
    const vimes = await subscriber(t, "vimes");
    const p = new Publisher(carrot);
    try {
      await p.offer();
      await vimes.next({ type: "offer", id: p.id }, 10_000);
      const res = await fetch(`${t.url}/galene-api/v0/.stats`, {
        headers: { Authorization: `Basic ${btoa("root:pw")}` },
      });
      strictEqual(res.status, 200);
      const stats = await res.json() as {
        name: string;
        clients: {
          id: string;
          up?: { id: string }[];
          down?: { id: string }[];
        }[];
      }[];
      const g = stats.find((x) => x.name === "g");
      ok(g, JSON.stringify(stats));
      const byId = new Map(g.clients.map((c) => [c.id, c]));
      deepStrictEqual(byId.get(carrot.id)?.up?.map((c) => c.id), [p.id]);
      deepStrictEqual(byId.get(vimes.id)?.down?.map((c) => c.id), [p.id]);
    } finally {
      await p.close();
      await t.close();
    }
  },
});
