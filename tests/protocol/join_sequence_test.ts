/**
 * Galène's `joined` and `user` messages in a session's order: what a client
 * receives when it joins and what the others see when it comes and goes.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { startTestServer } from "../support/test_server.ts";
import type { Message } from "../support/ws_client.ts";

const GROUP = {
  displayName: "Night Watch",
  users: { vimes: { password: "sybil", permissions: "op" } },
  "wildcard-user": { password: "w", permissions: "present" },
};

const any = () => true;

Deno.test("a join is answered joined, then the chat history, then user add for self and for each member", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "sybil");
    vimes.chat("one");
    vimes.chat("two");
    await vimes.next({ type: "chat", value: "two" });

    const carrot = await t.connect();
    await carrot.handshake();
    carrot.send({
      type: "join",
      kind: "join",
      group: "g",
      username: "carrot",
      password: "w",
      data: { raisehand: true },
    });
    const received: Message[] = [];
    for (let i = 0; i < 5; i++) received.push(await carrot.next(any));

    const joined = received[0]!;
    strictEqual(joined["type"], "joined");
    strictEqual(joined["kind"], "join");
    strictEqual(joined["group"], "g");
    strictEqual(joined["username"], "carrot");
    deepStrictEqual(joined["permissions"], ["present", "message"]);
    const status = joined["status"] as Record<string, unknown>;
    strictEqual(status["name"], "g");
    strictEqual(status["displayName"], "Night Watch");
    strictEqual(status["clientCount"], 2);
    strictEqual(status["locked"], undefined);
    // `location` and `endpoint` come from `.status`, not from `joined`.
    strictEqual(status["location"], undefined);
    strictEqual(status["endpoint"], undefined);
    const rtc = joined["rtcConfiguration"] as Record<string, unknown>;
    ok(Array.isArray(rtc["iceServers"]), JSON.stringify(rtc));

    deepStrictEqual(
      received.slice(1, 3).map((m) => [m["type"], m["value"], m["username"]]),
      [["chathistory", "one", "vimes"], ["chathistory", "two", "vimes"]],
    );
    for (const h of received.slice(1, 3)) {
      strictEqual(h["source"], vimes.id);
      ok(typeof h["id"] === "string" && h["id"] !== "");
      ok(!Number.isNaN(Date.parse(String(h["time"]))));
    }
    deepStrictEqual(received[3], {
      type: "user",
      kind: "add",
      id: carrot.id,
      username: "carrot",
      permissions: ["present", "message"],
      data: { raisehand: true },
    });
    deepStrictEqual(received[4], {
      type: "user",
      kind: "add",
      id: vimes.id,
      username: "vimes",
      permissions: ["op", "present", "message", "caption", "token"],
    });

    // The member already there is told about the newcomer.
    deepStrictEqual(
      await vimes.next({ type: "user", kind: "add", id: carrot.id }),
      received[3],
    );
  } finally {
    await t.close();
  }
});

Deno.test("leaving with join kind leave sends joined leave and user delete to the others", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "sybil");
    const carrot = await t.member("g", "carrot", "w");
    carrot.send({ type: "join", kind: "leave", group: "g" });
    const left = await carrot.nextOf("joined", "leave");
    strictEqual(left["group"], "g");
    deepStrictEqual(
      await vimes.next({ type: "user", kind: "delete", id: carrot.id }),
      { type: "user", kind: "delete", id: carrot.id, username: "carrot" },
    );
    // The socket stays open and the client may join again.
    const again = await carrot.join("g", "carrot", "w");
    strictEqual(again["kind"], "join");
    await vimes.next({ type: "user", kind: "add", id: carrot.id });
  } finally {
    await t.close();
  }
});

Deno.test("closing the socket removes the member and the others get user delete", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "sybil");
    const carrot = await t.member("g", "carrot", "w");
    await carrot.close();
    await vimes.next({ type: "user", kind: "delete", id: carrot.id });
    strictEqual(t.server.groups.existing("g")?.clientCount, 1);
    // A later joiner does not see the departed member.
    const nobby = await t.connect();
    await nobby.handshake();
    await nobby.join("g", "nobby", "w");
    await nobby.sync();
    ok(!nobby.has({ type: "user", id: carrot.id }));
    ok(nobby.has({ type: "user", kind: "add", id: vimes.id }));
  } finally {
    await t.close();
  }
});

Deno.test("a second join on the same socket is a protocol error closing with 1002", async () => {
  const t = await startTestServer({ groups: { g: GROUP, h: GROUP } });
  try {
    const carrot = await t.member("g", "carrot", "w");
    carrot.send({
      type: "join",
      kind: "join",
      group: "h",
      username: "carrot",
      password: "w",
    });
    const error = await carrot.nextOf("usermessage", "error");
    strictEqual(error["privileged"], true);
    const closed = await carrot.closed;
    strictEqual(closed.code, 1002);
    strictEqual(t.server.groups.existing("g")?.clientCount, 0);
  } finally {
    await t.close();
  }
});

Deno.test("joining without an id in the handshake is a protocol error", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const c = await t.connect();
    await c.handshake({ id: null });
    c.send({
      type: "join",
      kind: "join",
      group: "g",
      username: "carrot",
      password: "w",
    });
    await c.nextOf("usermessage", "error");
    strictEqual((await c.closed).code, 1002);
  } finally {
    await t.close();
  }
});

Deno.test("leaving a group one is not in is a protocol error", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const c = await t.connect();
    await c.handshake();
    c.send({ type: "join", kind: "leave", group: "g" });
    strictEqual((await c.closed).code, 1002);
  } finally {
    await t.close();
  }
});

Deno.test("an unknown join kind is a protocol error", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const c = await t.connect();
    await c.handshake();
    c.send({ type: "join", kind: "rejoin", group: "g", username: "x" });
    strictEqual((await c.closed).code, 1002);
  } finally {
    await t.close();
  }
});

Deno.test("two clients with the same username both join and are told apart by id", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const a = await t.member("g", "carrot", "w");
    const b = await t.member("g", "carrot", "w");
    await a.next({ type: "user", kind: "add", id: b.id });
    ok(a.id !== b.id);
  } finally {
    await t.close();
  }
});
