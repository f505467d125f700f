/**
 * Galène's `groupaction`: lock, setdata, subgroups, record, and the
 * permissions each needs.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test_server.ts";
import type { Message, WsClient } from "../support/ws_client.ts";

const user = (permissions: unknown) => ({ password: "p", permissions });
const GROUP = {
  "auto-subgroups": true,
  users: { vimes: user("op"), carrot: user("present"), nobby: user("present") },
};

function status(m: Message): Record<string, unknown> {
  return m["status"] as Record<string, unknown>;
}

async function tryJoin(
  t: TestServer,
  group: string,
  username: string,
): Promise<Message> {
  const c = await t.connect();
  await c.handshake();
  const joined = await c.join(group, username, "p");
  await c.close();
  return joined;
}

async function expectError(c: WsClient, value: string): Promise<void> {
  strictEqual((await c.nextOf("usermessage", "error"))["value"], value);
}

Deno.test("lock with a message tells everyone and refuses non-operators with that message", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    vimes.send({
      type: "groupaction",
      kind: "lock",
      value: "closed for lunch",
    });
    for (const c of [vimes, carrot]) {
      const change = await c.nextOf("joined", "change");
      strictEqual(status(change)["locked"], true);
      strictEqual(change["username"], c.username);
      ok(Array.isArray(change["permissions"]));
      ok(change["rtcConfiguration"] !== undefined, "no rtcConfiguration");
    }
    const refused = await tryJoin(t, "g", "nobby");
    strictEqual(refused["kind"], "fail");
    strictEqual(refused["value"], "closed for lunch");
    // An operator may still join a locked group.
    strictEqual((await tryJoin(t, "g", "vimes"))["kind"], "join");

    vimes.send({ type: "groupaction", kind: "unlock" });
    for (const c of [vimes, carrot]) {
      const change = await c.nextOf("joined", "change");
      strictEqual(status(change)["locked"], undefined);
    }
    strictEqual((await tryJoin(t, "g", "nobby"))["kind"], "join");
  } finally {
    await t.close();
  }
});

Deno.test("lock without a message refuses with this group is locked", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    vimes.send({ type: "groupaction", kind: "lock" });
    await vimes.nextOf("joined", "change");
    strictEqual(
      (await tryJoin(t, "g", "nobby"))["value"],
      "this group is locked",
    );
  } finally {
    await t.close();
  }
});

Deno.test("setdata merges group data, tells everyone, and null deletes a key", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    vimes.send({
      type: "groupaction",
      kind: "setdata",
      value: { topic: "patrol", n: 3 },
    });
    for (const c of [vimes, carrot]) {
      const change = await c.nextOf("joined", "change");
      deepStrictEqual(change["data"], { topic: "patrol", n: 3 });
    }
    vimes.send({ type: "groupaction", kind: "setdata", value: { n: null } });
    deepStrictEqual(
      (await carrot.nextOf("joined", "change"))["data"],
      { topic: "patrol" },
    );
    // A later joiner gets the data in its joined.
    const c = await t.connect();
    await c.handshake();
    deepStrictEqual((await c.join("g", "nobby", "p"))["data"], {
      topic: "patrol",
    });
    vimes.send({
      type: "groupaction",
      kind: "setdata",
      value: { topic: null },
    });
    strictEqual((await carrot.nextOf("joined", "change"))["data"], undefined);
  } finally {
    await t.close();
  }
});

Deno.test("subgroups answers with a private chat from Server listing populated subgroups", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    await t.member("g/a", "carrot", "p");
    await t.member("g/a", "nobby", "p");
    await t.member("g/b", "carrot", "p");
    const empty = await t.member("g/c", "carrot", "p");
    await empty.close();
    vimes.send({ type: "groupaction", kind: "subgroups" });
    const reply = await vimes.nextOf("chat");
    strictEqual(reply["username"], "Server");
    strictEqual(reply["dest"], vimes.id);
    const lines = String(reply["value"]).split("\n").sort();
    deepStrictEqual(lines, ["g/a (2 clients)", "g/b (1 clients)"]);
  } finally {
    await t.close();
  }
});

Deno.test("record and unrecord need the record permission", async () => {
  const t = await startTestServer({
    groups: {
      g: GROUP,
      rec: { ...GROUP, "allow-recording": true },
    },
  });
  try {
    // An op without allow-recording has no record permission.
    const vimes = await t.member("g", "vimes", "p");
    for (const kind of ["record", "unrecord"]) {
      vimes.send({ type: "groupaction", kind });
      await expectError(vimes, "not authorised");
    }
    const carrot = await t.member("rec", "carrot", "p");
    carrot.send({ type: "groupaction", kind: "record" });
    await expectError(carrot, "not authorised");
    // With the permission, the hidden recorder joins and everyone sees it.
    const recorder = await t.member("rec", "vimes", "p");
    recorder.send({ type: "groupaction", kind: "record" });
    const added = await carrot.next({
      type: "user",
      kind: "add",
      username: "RECORDING",
    });
    deepStrictEqual(added["permissions"], ["system"]);
    recorder.send({ type: "groupaction", kind: "record" });
    await expectError(recorder, "already recording");
    recorder.send({ type: "groupaction", kind: "unrecord" });
    await carrot.next({ type: "user", kind: "delete", id: added["id"] });
    recorder.send({ type: "groupaction", kind: "unrecord" });
    await expectError(recorder, "not recording");
  } finally {
    await t.close();
  }
});

Deno.test("an unknown group action is answered unknown group action", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    vimes.send({ type: "groupaction", kind: "dance" });
    await expectError(vimes, "unknown group action");
    const carrot = await t.member("g", "carrot", "p");
    carrot.send({ type: "groupaction", kind: "toString" });
    await expectError(carrot, "unknown group action");
    await vimes.sync();
  } finally {
    await t.close();
  }
});

Deno.test("non-operators may not lock, unlock, setdata, subgroups or clearchat", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    for (
      const kind of ["lock", "unlock", "setdata", "subgroups", "clearchat"]
    ) {
      carrot.send({
        type: "groupaction",
        kind,
        value: kind === "setdata" ? { a: 1 } : null,
      });
      await expectError(carrot, "not authorised");
    }
    await vimes.sync();
    ok(!vimes.has({ type: "joined", kind: "change" }));
    strictEqual(t.server.groups.existing("g")?.locked, false);
  } finally {
    await t.close();
  }
});
