/**
 * Galène's `usermessage` (peer-to-peer file transfer messages are only
 * relayed), and the protocol error a spoofed sender gets.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { startTestServer } from "../support/test_server.ts";

const user = (permissions: unknown) => ({ password: "p", permissions });
const GROUP = {
  users: { vimes: user("op"), carrot: user("present"), nobby: user("present") },
};

Deno.test("a broadcast usermessage is relayed to everyone with privileged set for an op", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    vimes.send({
      type: "usermessage",
      kind: "mute",
      source: vimes.id,
      username: "vimes",
      value: null,
      noecho: true,
    });
    const got = await carrot.nextOf("usermessage", "mute");
    strictEqual(got["source"], vimes.id);
    strictEqual(got["username"], "vimes");
    strictEqual(got["privileged"], true);
    await vimes.sync();
    ok(!vimes.has({ kind: "mute" }), "noecho was not honoured");

    carrot.send({
      type: "usermessage",
      kind: "warning",
      source: carrot.id,
      username: "carrot",
      value: "hello",
    });
    const w = await vimes.next({ type: "usermessage", source: carrot.id });
    strictEqual(w["privileged"], undefined);
    strictEqual(w["value"], "hello");
    // Without noecho the sender gets its own message back.
    await carrot.next({ type: "usermessage", source: carrot.id });
  } finally {
    await t.close();
  }
});

Deno.test("a private usermessage reaches only its destination", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    const nobby = await t.member("g", "nobby", "p");
    vimes.send({
      type: "usermessage",
      kind: "mute",
      dest: carrot.id,
      value: null,
    });
    const got = await carrot.nextOf("usermessage", "mute");
    strictEqual(got["dest"], carrot.id);
    strictEqual(got["source"], vimes.id);
    vimes.chat("barrier");
    await nobby.next({ value: "barrier" });
    ok(!nobby.has({ kind: "mute" }));
    await vimes.next({ value: "barrier" });
    ok(!vimes.has({ kind: "mute" }));
    vimes.send({ type: "usermessage", kind: "mute", dest: "ghost" });
    strictEqual(
      (await vimes.nextOf("usermessage", "error"))["value"],
      "user unknown",
    );
  } finally {
    await t.close();
  }
});

Deno.test("filetransfer usermessages are relayed between clients untouched", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const carrot = await t.member("g", "carrot", "p");
    const nobby = await t.member("g", "nobby", "p");
    const invite = {
      type: "invite",
      version: ["1"],
      id: "f00d",
      name: "report é.pdf",
      size: 123456,
      mimetype: "application/pdf",
    };
    carrot.send({
      type: "usermessage",
      kind: "filetransfer",
      source: carrot.id,
      username: "carrot",
      dest: nobby.id,
      value: invite,
    });
    const got = await nobby.nextOf("usermessage", "filetransfer");
    deepStrictEqual(got["value"], invite);
    strictEqual(got["source"], carrot.id);
    strictEqual(got["username"], "carrot");
    strictEqual(got["privileged"], undefined);

    const answer = {
      type: "answer",
      version: ["1"],
      id: "f00d",
      sdp: "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n",
      nested: { list: [1, null, { deep: true }] },
    };
    nobby.send({
      type: "usermessage",
      kind: "filetransfer",
      dest: carrot.id,
      value: answer,
    });
    deepStrictEqual(
      (await carrot.nextOf("usermessage", "filetransfer"))["value"],
      answer,
    );
  } finally {
    await t.close();
  }
});

Deno.test("a chat claiming another client's id is a protocol error and is not relayed", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    const nobby = await t.member("g", "nobby", "p");
    carrot.send({
      type: "chat",
      source: vimes.id,
      username: "carrot",
      value: "forged",
    });
    const error = await carrot.nextOf("usermessage", "error");
    strictEqual(error["privileged"], true);
    strictEqual((await carrot.closed).code, 1002);
    nobby.chat("barrier");
    await vimes.next({ value: "barrier" });
    ok(!vimes.has({ value: "forged" }));
  } finally {
    await t.close();
  }
});

Deno.test("messages claiming another username are protocol errors and are not relayed", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    for (
      const forged of [
        { type: "chat", value: "forged" },
        { type: "usermessage", kind: "mute", value: "forged" },
        { type: "groupaction", kind: "lock", value: "forged" },
        { type: "useraction", kind: "kick", dest: vimes.id, value: "forged" },
      ]
    ) {
      const carrot = await t.member("g", "carrot", "p");
      carrot.send({ ...forged, source: carrot.id, username: "vimes" });
      await carrot.nextOf("usermessage", "error");
      strictEqual((await carrot.closed).code, 1002, forged.type);
    }
    await vimes.sync();
    ok(!vimes.has({ value: "forged" }));
    ok(!vimes.has({ type: "joined", kind: "change" }));
    strictEqual(vimes.isClosed, false);
  } finally {
    await t.close();
  }
});

Deno.test("a non-operator cannot make its usermessage privileged", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    carrot.send({
      type: "usermessage",
      kind: "kicked",
      dest: vimes.id,
      privileged: true,
      value: "you are fired",
    });
    const got = await vimes.nextOf("usermessage", "kicked");
    strictEqual(got["privileged"], undefined);
    strictEqual(got["source"], carrot.id);
    // A chat cannot claim privilege either.
    carrot.chat("official", { privileged: true });
    strictEqual((await vimes.nextOf("chat"))["privileged"], undefined);
    strictEqual(vimes.isClosed, false);
  } finally {
    await t.close();
  }
});
