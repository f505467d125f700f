/**
 * Galène's `useraction`: permission changes, kick, identify and
 * setdata, and what the target and the others see.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { startTestServer } from "../support/test_server.ts";
import type { WsClient } from "../support/ws_client.ts";

const user = (permissions: unknown) => ({ password: "p", permissions });
const GROUP = {
  users: { vimes: user("op"), carrot: user("present"), nobby: user("present") },
};

function act(by: WsClient, kind: string, dest: string, value?: unknown): void {
  by.send({
    type: "useraction",
    kind,
    source: by.id,
    username: by.username,
    dest,
    ...(value === undefined ? {} : { value }),
  });
}

/** The target's joined change and the others' user change agree. */
async function expectPermissions(
  target: WsClient,
  others: WsClient[],
  permissions: string[],
): Promise<void> {
  const change = await target.nextOf("joined", "change");
  deepStrictEqual(change["permissions"] ?? [], permissions);
  ok(change["status"] !== undefined);
  for (const c of [target, ...others]) {
    const u = await c.next({ type: "user", kind: "change", id: target.id });
    deepStrictEqual(u["permissions"] ?? [], permissions);
    strictEqual(u["username"], target.username);
  }
}

Deno.test("op and unop change the target's permissions and tell everyone", async () => {
  const t = await startTestServer({
    groups: { g: GROUP, rec: { ...GROUP, "allow-recording": true } },
  });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    const nobby = await t.member("g", "nobby", "p");
    act(vimes, "op", carrot.id);
    await expectPermissions(carrot, [vimes, nobby], [
      "op",
      "present",
      "message",
    ]);
    // The new operator can act at once.
    act(carrot, "shutup", nobby.id);
    await expectPermissions(nobby, [vimes, carrot], ["present"]);
    act(vimes, "unop", carrot.id);
    await expectPermissions(carrot, [vimes, nobby], ["present", "message"]);
    act(carrot, "unshutup", nobby.id);
    strictEqual(
      (await carrot.nextOf("usermessage", "error"))["value"],
      "not authorised",
    );

    // With allow-recording, op also grants record, and unop removes both.
    const boss = await t.member("rec", "vimes", "p");
    const cadet = await t.member("rec", "carrot", "p");
    act(boss, "op", cadet.id);
    await expectPermissions(cadet, [boss], [
      "op",
      "present",
      "message",
      "record",
    ]);
    act(boss, "unop", cadet.id);
    await expectPermissions(cadet, [boss], ["present", "message"]);
  } finally {
    await t.close();
  }
});

Deno.test("present and unpresent add and remove the present permission", async () => {
  const t = await startTestServer({
    groups: {
      g: { users: { vimes: user("op"), gaspode: user("message") } },
    },
  });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const gaspode = await t.member("g", "gaspode", "p");
    act(vimes, "present", gaspode.id);
    await expectPermissions(gaspode, [vimes], ["present", "message"]);
    act(vimes, "unpresent", gaspode.id);
    await expectPermissions(gaspode, [vimes], ["message"]);
  } finally {
    await t.close();
  }
});

Deno.test("after shutup the target cannot chat, and after unshutup it can again", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    act(vimes, "shutup", carrot.id);
    await expectPermissions(carrot, [vimes], ["present"]);
    carrot.chat("mmph");
    strictEqual(
      (await carrot.nextOf("usermessage", "error"))["value"],
      "not authorised",
    );
    act(vimes, "unshutup", carrot.id);
    await expectPermissions(carrot, [vimes], ["present", "message"]);
    carrot.chat("thank you");
    await vimes.next({ type: "chat", value: "thank you" });
    await vimes.sync();
    ok(!vimes.has({ value: "mmph" }));
  } finally {
    await t.close();
  }
});

Deno.test("kick sends the target kicked with the kicker and reason, then closes with 1000", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    const nobby = await t.member("g", "nobby", "p");
    act(vimes, "kick", nobby.id, "disorderly conduct");
    const kicked = await nobby.nextOf("usermessage", "kicked");
    strictEqual(kicked["id"], vimes.id);
    strictEqual(kicked["username"], "vimes");
    strictEqual(kicked["privileged"], true);
    strictEqual(kicked["value"], "disorderly conduct");
    const closed = await nobby.closed;
    strictEqual(closed.code, 1000);
    strictEqual(closed.reason, "disorderly conduct");
    for (const c of [vimes, carrot]) {
      await c.next({ type: "user", kind: "delete", id: nobby.id });
    }

    // Without a reason the default one is given.
    act(vimes, "kick", carrot.id);
    strictEqual(
      (await carrot.nextOf("usermessage", "kicked"))["value"],
      "you have been kicked out",
    );
    strictEqual((await carrot.closed).code, 1000);
  } finally {
    await t.close();
  }
});

Deno.test("identify tells the operator the target's address and warns the target", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    act(vimes, "identify", carrot.id);
    const info = await vimes.nextOf("usermessage", "userinfo");
    strictEqual(info["privileged"], true);
    const value = info["value"] as Record<string, unknown>;
    strictEqual(value["id"], carrot.id);
    strictEqual(value["username"], "carrot");
    ok(
      String(value["address"]).startsWith("127.0.0.1"),
      String(value["address"]),
    );
    const warning = await carrot.nextOf("usermessage", "warning");
    strictEqual(warning["privileged"], true);
  } finally {
    await t.close();
  }
});

Deno.test("setdata on oneself is broadcast as user change, and refused on another", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    act(carrot, "setdata", carrot.id, { raisehand: true, mood: "keen" });
    for (const c of [vimes, carrot]) {
      const u = await c.next({ type: "user", kind: "change", id: carrot.id });
      deepStrictEqual(u["data"], { raisehand: true, mood: "keen" });
      deepStrictEqual(u["permissions"], ["present", "message"]);
    }
    act(carrot, "setdata", carrot.id, { raisehand: null });
    deepStrictEqual(
      (await vimes.next({ type: "user", kind: "change", id: carrot.id }))[
        "data"
      ],
      { mood: "keen" },
    );
    await carrot.next({ type: "user", kind: "change", id: carrot.id });
    // Not even an operator may set another member's data.
    act(vimes, "setdata", carrot.id, { raisehand: true });
    await vimes.nextOf("usermessage", "error");
    await carrot.sync();
    ok(!carrot.has({ type: "user", kind: "change" }));
  } finally {
    await t.close();
  }
});

Deno.test("non-operators may not op, present, shutup, kick or identify", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    for (
      const kind of [
        "op",
        "unop",
        "present",
        "unpresent",
        "shutup",
        "kick",
        "identify",
      ]
    ) {
      act(carrot, kind, vimes.id);
      strictEqual(
        (await carrot.nextOf("usermessage", "error"))["value"],
        "not authorised",
        kind,
      );
    }
    await vimes.sync();
    ok(!vimes.has({ type: "joined" }));
    ok(!vimes.has({ type: "usermessage" }));
    strictEqual(vimes.isClosed, false);
  } finally {
    await t.close();
  }
});

Deno.test("a user action on an unknown id or of an unknown kind is an error", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    act(vimes, "kick", "ghost");
    strictEqual(
      (await vimes.nextOf("usermessage", "error"))["value"],
      "user unknown",
    );
    act(vimes, "promote", vimes.id);
    await vimes.nextOf("usermessage", "error");
    strictEqual(vimes.isClosed, false);
  } finally {
    await t.close();
  }
});
