/**
 * Bounds on what a client controls: message size
 * in bytes, the length of ids and usernames, the chat history a joiner is
 * sent, and group names too long to exist.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { MAX_HISTORY_BYTES } from "../../server/group/chat_history.ts";
import { utf8Length } from "../../server/protocol/byte_limits.ts";
import { startTestServer } from "../support/test_server.ts";
import type { Message } from "../support/ws_client.ts";

const user = (permissions: unknown) => ({ password: "p", permissions });
const GROUP = {
  users: { vimes: user("op"), carrot: user("present") },
  "wildcard-user": user("present"),
};

Deno.test("after ten chats of 1,000,000 characters an operator still joins and gets the history that fits", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    // Two senders: one alone may not send 10 MB at once (the byte rate).
    const carrot = await t.member("g", "carrot", "p");
    const nobby = await t.member("g", "nobby", "p");
    const values: string[] = [];
    for (let i = 0; i < 10; i++) {
      const value = `chat ${i} `.padEnd(1_000_000, "x");
      values.push(value);
      const sender = i < 5 ? carrot : nobby;
      sender.chat(value, { noecho: true });
      if (i === 4) await carrot.sync(); // keeps the history's order
    }
    await nobby.sync();

    const vimes = await t.connect();
    await vimes.handshake();
    vimes.send({
      type: "join",
      kind: "join",
      group: "g",
      username: "vimes",
      password: "p",
    });
    strictEqual((await vimes.nextOf("joined", "join", 10_000))["kind"], "join");
    const history: Message[] = [];
    for (;;) {
      const m = await vimes.next(() => true, 10_000);
      if (m["type"] !== "chathistory") {
        deepStrictEqual([m["type"], m["kind"], m["id"]], [
          "user",
          "add",
          vimes.id,
        ]);
        break;
      }
      history.push(m);
    }
    // The newest chats that fit the budget, oldest first, and nothing else.
    const got = history.map((m) => String(m["value"]));
    ok(got.length >= 1, "some history is sent");
    deepStrictEqual(got, values.slice(values.length - got.length));
    const bytes = history.reduce(
      (n, m) => n + utf8Length(JSON.stringify(m)),
      0,
    );
    ok(bytes <= MAX_HISTORY_BYTES, `${bytes} bytes of history`);
    // As much as fits: one more chat of the same size would not.
    ok(bytes + bytes / got.length > MAX_HISTORY_BYTES, `${got.length} chats`);
    // The operator is a working member: it chats and is heard.
    vimes.username = "vimes";
    vimes.chat("order restored");
    await carrot.next({ type: "chat", value: "order restored" }, 10_000);
    strictEqual(vimes.isClosed, false);
  } finally {
    await t.close();
  }
});

Deno.test("a chat of 1,000,000 euro signs (3 MB of UTF-8) closes the connection with 1009", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const c = await t.member("g", "carrot", "p");
    c.chat("€".repeat(1_000_000));
    const echoed = await c.nextOf("chat", undefined, 10_000).then(
      () => true,
      () => false,
    );
    strictEqual(echoed, false, "the chat is not relayed");
    strictEqual((await c.closed).code, 1009);
    // Just under 1 MiB of UTF-8 is relayed.
    const d = await t.member("g", "carrot", "p");
    const fits = "€".repeat(349_000);
    d.chat(fits);
    strictEqual((await vimes.nextOf("chat", undefined, 10_000))["value"], fits);
  } finally {
    await t.close();
  }
});

Deno.test("a client that sends over 8 MiB at once is closed as too fast, and the others are not dropped as slow", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const flooder = await t.member("g", "carrot", "p");
    const big = "y".repeat(1_000_000);
    for (let i = 0; i < 12; i++) flooder.chat(big, { noecho: true });
    strictEqual(
      (await flooder.nextOf("usermessage", "error", 10_000))["value"],
      "too many messages",
    );
    await flooder.closed;
    await vimes.next(
      { type: "user", kind: "delete", id: flooder.id },
      10_000,
    );
    // At most the burst's 8 MiB reached the others, and they are still here.
    vimes.drain();
    const c = await t.member("g", "carrot", "p");
    c.chat("still here");
    await vimes.next({ type: "chat", value: "still here" }, 10_000);
    strictEqual(vimes.isClosed, false);
  } finally {
    await t.close();
  }
});

Deno.test("a client id over 256 bytes is refused with a clear error and 1002", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const c = await t.connect();
    c.send({ type: "handshake", version: ["2"], id: "i".repeat(257) });
    const error = await c.nextOf("usermessage", "error");
    strictEqual(error["value"], 'Field "id" is longer than 256 bytes');
    strictEqual((await c.closed).code, 1002);
    // 256 bytes is fine.
    const d = await t.connect();
    await d.handshake({ id: "é".repeat(128) });
    strictEqual((await d.join("g", "carrot", "p"))["kind"], "join");
  } finally {
    await t.close();
  }
});

Deno.test("a username over 256 bytes cannot join, and is told why", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const c = await t.connect();
    await c.handshake();
    const joined = await c.join("g", "u".repeat(257), "p");
    strictEqual(joined["kind"], "fail");
    strictEqual(joined["value"], "the username is longer than 256 bytes");
    strictEqual(c.isClosed, false);
    strictEqual((await c.join("g", "u".repeat(256), "p"))["kind"], "join");
  } finally {
    await t.close();
  }
});

Deno.test("stream ids, destinations and kinds over 256 bytes close the connection with 1002", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const long = "x".repeat(257);
    const frames: Message[] = [
      { type: "requestStream", id: long, request: [] },
      { type: "chat", dest: long, value: "hi" },
      { type: "chat", kind: long, value: "hi" },
      { type: "groupaction", kind: long },
      { type: "abort", id: long },
    ];
    for (const frame of frames) {
      const c = await t.member("g", "carrot", "p");
      c.send(frame);
      const error = await c.nextOf("usermessage", "error");
      ok(
        /^Field "\w+" is longer than 256 bytes$/.test(String(error["value"])),
        String(error["value"]),
      );
      strictEqual((await c.closed).code, 1002, JSON.stringify(frame));
    }
  } finally {
    await t.close();
  }
});

Deno.test("no log line carries more than a short piece of what a client sent", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const long = "e".repeat(50_000);
    const since = t.logs.length;
    const refused = await t.connect({ origin: `http://${long}.example` }).then(
      () => false,
      () => true,
    );
    ok(refused, "a foreign Origin is refused");
    const admin = await fetch(`${t.url}/galene-api/v0/.stats`, {
      headers: { Origin: `http://${long}.example` },
    });
    strictEqual(admin.status, 403);
    await admin.body?.cancel();
    const c = await t.member("g", "carrot", "p");
    c.send({ type: long });
    strictEqual((await c.closed).code, 1002);
    await t.waitForLog("admin: refused Origin", { since });
    await t.waitForLog("/ws: refused Origin", { since });
    await t.waitForLog("Unexpected message type", { since });
    const longest = Math.max(...t.logs.slice(since).map((l) => l.length));
    ok(longest < 400, `a log line of ${longest} characters`);
  } finally {
    await t.close();
  }
});

Deno.test("an error that quotes many multi-byte characters still closes the connection", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const c = await t.member("g", "carrot", "p");
    c.send({ type: "€".repeat(100) });
    await c.nextOf("usermessage", "error");
    // The close reason is cut to 123 bytes, not 120 characters (360 bytes,
    // which the socket refuses, leaving the connection open).
    const closed = await Promise.race([
      c.closed,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 3000)),
    ]);
    strictEqual(closed?.code, 1002);
  } finally {
    await t.close();
  }
});

Deno.test("a group name with a component over 255 characters does not exist, and leaves no trace in the logs", async () => {
  const t = await startTestServer({
    groups: { g: GROUP, open: { ...GROUP, "auto-subgroups": true } },
  });
  try {
    const since = t.logs.length;
    const c = await t.connect();
    await c.handshake();
    const names: string[] = [];
    for (let i = 0; i < 100; i++) {
      names.push(`${i}-`.padEnd(300, "a"), `g/${i}-`.padEnd(302, "b"));
    }
    // Over 256 bytes in all, even in short components.
    names.push("open/" + "x/".repeat(130) + "y");
    for (const name of names) {
      const joined = await c.join(name, "carrot", "p");
      deepStrictEqual([joined["kind"], joined["value"]], [
        "fail",
        "group does not exist",
      ]);
      const status = await fetch(`${t.url}/group/${name}/.status`);
      strictEqual(status.status, 404, name.slice(0, 20));
      await status.body?.cancel();
    }
    const traces = t.logs.slice(since).filter((l) =>
      l.includes("aaaaaaaaaa") || l.includes("bbbbbbbbbb") ||
      l.includes("x/x/x/x/x/")
    );
    deepStrictEqual(traces, []);
    // The server still serves real groups.
    strictEqual((await c.join("g", "carrot", "p"))["kind"], "join");
  } finally {
    await t.close();
  }
});

Deno.test("a member's data is at most 64 kB: a larger join or setdata is refused and nothing grows", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const c = await t.connect();
    await c.handshake();
    const joined = await c.join("g", "carrot", "p", {
      data: { avatar: "x".repeat(70_000) },
    });
    deepStrictEqual([joined["kind"], joined["value"]], [
      "fail",
      "user data is over 64 kB",
    ]);
    const carrot = await t.member("g", "carrot", "p");
    const setdata = (value: Message) =>
      carrot.send({ type: "useraction", kind: "setdata", value });
    setdata({ a: "a".repeat(40_000) });
    await vimes.next({ type: "user", kind: "change", id: carrot.id });
    // Each message is small, but together they would be too much.
    setdata({ b: "b".repeat(40_000) });
    strictEqual(
      (await carrot.nextOf("usermessage", "error"))["value"],
      "setdata: the data would be over 64 kB",
    );
    setdata({ a: null, b: "b".repeat(40_000) });
    const change = await vimes.next({
      type: "user",
      kind: "change",
      id: carrot.id,
    });
    deepStrictEqual(Object.keys(change["data"] as Message), ["b"]);
    // The group's data (an operator's setdata) has the same bound.
    vimes.send({
      type: "groupaction",
      kind: "setdata",
      source: vimes.id,
      value: { notes: "n".repeat(70_000) },
    });
    strictEqual(
      (await vimes.nextOf("usermessage", "error"))["value"],
      "setdata: the data would be over 64 kB",
    );
  } finally {
    await t.close();
  }
});
