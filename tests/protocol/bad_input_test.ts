/**
 * As in Galène, malformed or hostile input closes the offending
 * connection and nothing else; the server goes on serving.
 *
 * @module
 */

import { ok, strictEqual } from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test_server.ts";

const user = (permissions: unknown) => ({ password: "p", permissions });
const GROUP = { users: { vimes: user("op"), carrot: user("present") } };

/** A fresh client can still join and chat with a member already there. */
async function stillServes(t: TestServer): Promise<void> {
  const vimes = await t.member("g", "vimes", "p");
  const carrot = await t.member("g", "carrot", "p");
  carrot.chat("all quiet");
  await vimes.next({ type: "chat", value: "all quiet" });
  await vimes.close();
  await carrot.close();
}

const BAD_FRAMES: Array<[string, string]> = [
  ["invalid JSON", '{"type": "chat", '],
  ["a JSON value that is not an object", "[1, 2, 3]"],
  ["a message without a type", '{"kind":"join"}'],
  ["a join without a group", '{"type":"join","kind":"join","username":"x"}'],
  ["a chat whose value is a number", '{"type":"chat","value":42}'],
  [
    "a join whose group is an object",
    '{"type":"join","kind":"join","group":{}}',
  ],
  ["an unknown message type", '{"type":"teleport"}'],
  ["a second handshake", '{"type":"handshake","version":["2"]}'],
];

for (const [what, frame] of BAD_FRAMES) {
  Deno.test(`${what} closes the connection with 1002 and the server goes on`, async () => {
    const t = await startTestServer({ groups: { g: GROUP } });
    try {
      const c = await t.member("g", "carrot", "p");
      c.send(frame);
      const error = await c.nextOf("usermessage", "error");
      strictEqual(error["privileged"], true);
      strictEqual((await c.closed).code, 1002);
      strictEqual(t.server.groups.existing("g")?.clientCount, 0);
      await stillServes(t);
    } finally {
      await t.close();
    }
  });
}

Deno.test("any message before the handshake closes the connection with 1002", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    for (const frame of ['{"type":"ping"}', "not json", '{"type":"chat"}']) {
      const c = await t.connect();
      c.send(frame);
      strictEqual((await c.closed).code, 1002, frame);
    }
    await stillServes(t);
  } finally {
    await t.close();
  }
});

Deno.test("a message over 1 MiB closes the connection with 1009", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const c = await t.member("g", "carrot", "p");
    c.chat("x".repeat((1 << 20) + 10));
    strictEqual((await c.closed).code, 1009);
    // Just under the limit is fine.
    const d = await t.member("g", "carrot", "p");
    d.chat("y".repeat((1 << 20) - 200));
    const echo = await d.nextOf("chat");
    strictEqual(String(echo["value"]).length, (1 << 20) - 200);
    await stillServes(t);
  } finally {
    await t.close();
  }
});

Deno.test("a burst of 5000 messages closes the flooder while the others chat on", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    const flooder = await t.member("g", "carrot", "p");
    for (let i = 0; i < 5000; i++) flooder.chat(`spam ${i}`, { noecho: true });
    strictEqual(
      (await flooder.nextOf("usermessage", "error", 5000))["value"],
      "too many messages",
    );
    // The server closes with 1008, but the client may not see that code: it
    // is still sending, so the server's TCP close can reset the connection
    // before the close frame is read.
    await flooder.closed;
    await vimes.next({ type: "user", kind: "delete", id: flooder.id }, 5000);
    // Drop what the flood delivered, then check that chat works normally.
    vimes.drain();
    carrot.drain();
    carrot.chat("after the storm");
    await vimes.next({ type: "chat", value: "after the storm" });
    vimes.chat("noted");
    await carrot.next({ type: "chat", value: "noted" });
    // The history kept at most 50 entries of the flood.
    const c = await t.connect();
    await c.handshake();
    await c.join("g", "carrot", "p");
    await c.sync();
    ok(c.pending.filter((m) => m["type"] === "chathistory").length <= 50);
    await stillServes(t);
  } finally {
    await t.close();
  }
});
