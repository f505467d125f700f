/**
 * Galène's `chat`/`chathistory` and the `clearchat` group action:
 * relaying, history and its expiry.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test_server.ts";
import type { Message, WsClient } from "../support/ws_client.ts";

const user = (permissions: unknown) => ({ password: "p", permissions });
const GROUP = {
  users: {
    vimes: user("op"),
    carrot: user("present"),
    nobby: user("present"),
    gaspode: user("observe"),
    scribe: user(["message", "caption"]),
  },
};

async function newcomerHistory(
  t: TestServer,
  group = "g",
): Promise<Message[]> {
  const c = await t.connect();
  await c.handshake();
  c.send({
    type: "join",
    kind: "join",
    group,
    username: "nobby",
    password: "p",
  });
  const history: Message[] = [];
  await c.nextOf("joined", "join");
  for (;;) {
    const m = await c.next(() => true);
    if (m["type"] !== "chathistory") break;
    history.push(m);
  }
  await c.close();
  return history;
}

function values(ms: Message[]): unknown[] {
  return ms.map((m) => m["value"]);
}

Deno.test("a broadcast chat reaches everyone with a server-set id, time and privileged flag", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    const before = Math.floor(Date.now() / 1000) * 1000;
    vimes.chat("Roll call in five minutes.");
    const got = await carrot.nextOf("chat");
    const echo = await vimes.nextOf("chat");
    deepStrictEqual(echo, got);
    strictEqual(got["source"], vimes.id);
    strictEqual(got["username"], "vimes");
    strictEqual(got["privileged"], true);
    strictEqual(got["value"], "Roll call in five minutes.");
    strictEqual(got["dest"], undefined);
    ok(/^[A-Za-z0-9_-]{11}$/.test(String(got["id"])), String(got["id"]));
    const time = String(got["time"]);
    ok(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/.test(time), time);
    ok(Date.parse(time) >= before && Date.parse(time) <= Date.now());

    // A non-operator's chat is not privileged.
    carrot.chat("Yes, sir.");
    const reply = await vimes.nextOf("chat");
    strictEqual(reply["privileged"], undefined);
    strictEqual(reply["username"], "carrot");
    ok(reply["id"] !== got["id"]);
  } finally {
    await t.close();
  }
});

Deno.test("a chat with noecho is not sent back to its sender", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    carrot.chat("quiet", { noecho: true });
    await vimes.next({ type: "chat", value: "quiet" });
    await carrot.sync();
    ok(!carrot.has({ type: "chat" }));
  } finally {
    await t.close();
  }
});

Deno.test("a private chat reaches only its destination and is not stored", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    const nobby = await t.member("g", "nobby", "p");
    vimes.chat("psst", { dest: carrot.id });
    const got = await carrot.next({ type: "chat", value: "psst" });
    strictEqual(got["dest"], carrot.id);
    strictEqual(got["source"], vimes.id);
    strictEqual(got["privileged"], true);
    // A broadcast sent after it is a barrier: whoever got neither saw nothing.
    carrot.chat("after");
    await nobby.next({ type: "chat", value: "after" });
    await vimes.next({ type: "chat", value: "after" });
    ok(!nobby.has({ value: "psst" }));
    ok(!vimes.has({ value: "psst" }));
    deepStrictEqual(values(await newcomerHistory(t)), ["after"]);
  } finally {
    await t.close();
  }
});

Deno.test("a private chat to an unknown id is answered with an error", async () => {
  const t = await startTestServer({ groups: { g: GROUP, h: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const elsewhere = await t.member("h", "carrot", "p");
    vimes.chat("hello?", { dest: "no-such-client" });
    const error = await vimes.nextOf("usermessage", "error");
    strictEqual(error["value"], "user unknown");
    strictEqual(error["privileged"], true);
    // A client in another group is unknown too.
    vimes.chat("hello?", { dest: elsewhere.id });
    strictEqual(
      (await vimes.nextOf("usermessage", "error"))["value"],
      "user unknown",
    );
    await elsewhere.sync();
    ok(!elsewhere.has({ type: "chat" }));
    strictEqual(vimes.isClosed, false);
  } finally {
    await t.close();
  }
});

Deno.test("chat kind me is relayed with its kind and kept in the history", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    carrot.chat("salutes", { kind: "me" });
    strictEqual((await vimes.nextOf("chat"))["kind"], "me");
    const [h] = await newcomerHistory(t);
    strictEqual(h?.["kind"], "me");
    strictEqual(h?.["value"], "salutes");
  } finally {
    await t.close();
  }
});

Deno.test("a caption needs the caption permission", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    const scribe = await t.member("g", "scribe", "p");
    carrot.chat("subtitle", { kind: "caption" });
    strictEqual(
      (await carrot.nextOf("usermessage", "error"))["value"],
      "not authorised",
    );
    scribe.chat("subtitle", { kind: "caption" });
    const got = await vimes.next({ type: "chat", kind: "caption" });
    strictEqual(got["username"], "scribe");
    ok(!vimes.has({ username: "carrot", kind: "caption" }));
  } finally {
    await t.close();
  }
});

Deno.test("a member without the message permission cannot chat", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const gaspode = await t.member("g", "gaspode", "p");
    gaspode.chat("woof");
    strictEqual(
      (await gaspode.nextOf("usermessage", "error"))["value"],
      "not authorised",
    );
    gaspode.send({ type: "usermessage", kind: "x", value: 1 });
    await gaspode.nextOf("usermessage", "error");
    strictEqual(gaspode.isClosed, false);
    await vimes.sync();
    ok(!vimes.has({ type: "chat" }));
    ok(!vimes.has({ type: "usermessage" }));
  } finally {
    await t.close();
  }
});

Deno.test("a chat before joining is refused and the socket stays open", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const c = await t.connect();
    await c.handshake();
    c.send({ type: "chat", source: c.id, value: "hi" });
    await c.nextOf("usermessage", "error");
    await c.sync();
  } finally {
    await t.close();
  }
});

Deno.test("the chat history is replayed to a later joiner, oldest first", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    for (let i = 0; i < 55; i++) vimes.chat(`m${i}`);
    await vimes.next({ type: "chat", value: "m54" });
    const history = await newcomerHistory(t);
    // Galène keeps 50 entries.
    strictEqual(history.length, 50);
    strictEqual(history[0]?.["value"], "m5");
    strictEqual(history[49]?.["value"], "m54");
    for (const h of history) {
      strictEqual(h["type"], "chathistory");
      strictEqual(h["username"], "vimes");
      strictEqual(h["source"], vimes.id);
    }
  } finally {
    await t.close();
  }
});

Deno.test("chat history older than max-history-age is not replayed", async () => {
  let clock = Date.now();
  const t = await startTestServer({
    groups: { g: { ...GROUP, "max-history-age": 1 } },
    now: () => clock,
  });
  try {
    const vimes = await t.member("g", "vimes", "p");
    vimes.chat("old");
    await vimes.nextOf("chat");
    clock += 1001;
    vimes.chat("new");
    await vimes.nextOf("chat");
    deepStrictEqual(values(await newcomerHistory(t)), ["new"]);
  } finally {
    await t.close();
  }
});

/** Sends chats and returns their echoes, as the server stamped them. */
async function chatAll(c: WsClient, list: string[]): Promise<Message[]> {
  for (const v of list) c.chat(v);
  const echoes: Message[] = [];
  for (const v of list) echoes.push(await c.next({ type: "chat", value: v }));
  return echoes;
}

Deno.test("clearchat clears the whole history, one message, or one user's messages", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    const [v1] = await chatAll(vimes, ["v1", "v2"]);
    await chatAll(carrot, ["c1", "c2"]);

    // One message.
    const one = { id: v1?.["id"], userId: vimes.id };
    vimes.send({ type: "groupaction", kind: "clearchat", value: one });
    const cleared = await carrot.nextOf("usermessage", "clearchat");
    strictEqual(cleared["privileged"], true);
    deepStrictEqual(cleared["value"], one);
    deepStrictEqual(values(await newcomerHistory(t)), ["v2", "c1", "c2"]);

    // One user's messages.
    vimes.send({
      type: "groupaction",
      kind: "clearchat",
      value: { userId: carrot.id },
    });
    await carrot.nextOf("usermessage", "clearchat");
    deepStrictEqual(values(await newcomerHistory(t)), ["v2"]);

    // Everything.
    vimes.send({ type: "groupaction", kind: "clearchat" });
    const all = await carrot.nextOf("usermessage", "clearchat");
    strictEqual(all["value"], undefined);
    deepStrictEqual(await newcomerHistory(t), []);

    // Only operators may clear.
    await chatAll(carrot, ["c3"]);
    carrot.send({ type: "groupaction", kind: "clearchat" });
    strictEqual(
      (await carrot.nextOf("usermessage", "error"))["value"],
      "not authorised",
    );
    deepStrictEqual(values(await newcomerHistory(t)), ["c3"]);
  } finally {
    await t.close();
  }
});
