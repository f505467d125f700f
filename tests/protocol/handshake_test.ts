/**
 * Galène's protocol: the handshake, version negotiation and keep-alive.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { startTestServer } from "../support/test_server.ts";

const OPEN = { users: { alice: { password: "a", permissions: "op" } } };

Deno.test("the server answers a handshake with exactly version 2 and no id", async () => {
  const t = await startTestServer({ groups: { g: OPEN } });
  try {
    const c = await t.connect();
    const answer = await c.handshake();
    deepStrictEqual(answer, { type: "handshake", version: ["2"] });
    // A client that lists "2" among others is not warned.
    const d = await t.connect();
    await d.handshake({ version: ["3", "2", "1"] });
    await d.sync();
    strictEqual(d.pending.length, 0, JSON.stringify(d.pending));
  } finally {
    await t.close();
  }
});

Deno.test("a client offering only version 1 is answered and warned", async () => {
  const t = await startTestServer({ groups: { g: OPEN } });
  try {
    const c = await t.connect();
    const answer = await c.handshake({ version: ["1"] });
    deepStrictEqual(answer["version"], ["2"]);
    const warning = await c.nextOf("usermessage", "warning");
    strictEqual(warning["privileged"], true);
    ok(String(warning["value"]).includes("version"));
    // The session goes on.
    const joined = await c.join("g", "alice", "a");
    strictEqual(joined["kind"], "join");
  } finally {
    await t.close();
  }
});

Deno.test("a first message other than a handshake closes the socket with 1002", async () => {
  const t = await startTestServer({ groups: { g: OPEN } });
  try {
    const c = await t.connect();
    c.send({ type: "join", kind: "join", group: "g", username: "alice" });
    const closed = await c.closed;
    strictEqual(closed.code, 1002);
    strictEqual(closed.reason, "you must handshake first");
  } finally {
    await t.close();
  }
});

Deno.test("a client that never handshakes is closed after the deadline", async () => {
  const t = await startTestServer({ timings: { handshakeTimeout: 100 } });
  try {
    const c = await t.connect();
    const started = Date.now();
    const closed = await c.closed;
    ok(Date.now() - started >= 90, "closed too early");
    strictEqual(closed.code, 1002);
  } finally {
    await t.close();
  }
});

Deno.test("a ping is answered with a pong, before and after joining", async () => {
  const t = await startTestServer({ groups: { g: OPEN } });
  try {
    const c = await t.connect();
    await c.handshake();
    c.send({ type: "ping" });
    deepStrictEqual(await c.nextOf("pong"), { type: "pong" });
    await c.join("g", "alice", "a");
    c.send({ type: "ping" });
    deepStrictEqual(await c.nextOf("pong"), { type: "pong" });
  } finally {
    await t.close();
  }
});

Deno.test("the server pings a silent client, then drops it", async () => {
  const t = await startTestServer({
    groups: { g: OPEN },
    timings: { keepaliveInterval: 40, pingAfter: 100, dropAfter: 400 },
  });
  try {
    const c = await t.member("g", "alice", "a");
    const started = Date.now();
    // The client stays silent: it does not even answer the pings.
    deepStrictEqual(await c.nextOf("ping", undefined, 2000), { type: "ping" });
    const closed = await c.closed;
    ok(Date.now() - started >= 250, "dropped too early");
    ok(closed.code === 1001 || closed.code === 1000, `code ${closed.code}`);
    strictEqual(closed.reason, "client is dead");
    const g = t.server.groups.existing("g");
    strictEqual(g?.clientCount, 0);
  } finally {
    await t.close();
  }
});

Deno.test("a client that answers the server's pings is kept", async () => {
  const t = await startTestServer({
    groups: { g: OPEN },
    timings: { keepaliveInterval: 30, pingAfter: 60, dropAfter: 200 },
  });
  try {
    const c = await t.member("g", "alice", "a");
    for (let i = 0; i < 4; i++) {
      await c.nextOf("ping", undefined, 1000);
      c.send({ type: "pong" });
    }
    strictEqual(c.isClosed, false);
  } finally {
    await t.close();
  }
});
