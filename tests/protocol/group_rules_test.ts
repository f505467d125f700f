/**
 * Galène's group file rules on who may join —
 * max-clients, not-before/expires, autolock, autokick — and subgroups.
 *
 * @module
 */

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/test_server.ts";
import type { Message } from "../support/ws_client.ts";

const user = (permissions: unknown) => ({ password: "p", permissions });
const USERS = {
  users: { vimes: user("op") },
  "wildcard-user": user("present"),
};

async function tryJoin(
  t: TestServer,
  group: string,
  username: string,
): Promise<Message> {
  const c = await t.connect();
  await c.handshake();
  return await c.join(group, username, "p");
}

function refusal(m: Message): unknown {
  return m["kind"] === "fail" ? m["value"] : m["kind"];
}

Deno.test("max-clients refuses one client too many with too many users, but not an op", async () => {
  const t = await startTestServer({
    groups: { g: { ...USERS, "max-clients": 2 } },
  });
  try {
    await t.member("g", "carrot", "p");
    await t.member("g", "nobby", "p");
    strictEqual(refusal(await tryJoin(t, "g", "colon")), "too many users");
    strictEqual(refusal(await tryJoin(t, "g", "vimes")), "join");
  } finally {
    await t.close();
  }
});

Deno.test("a group before not-before is not open yet and after expires is closed, except to ops", async () => {
  const hour = 3600_000;
  const t = await startTestServer({
    groups: {
      early: {
        ...USERS,
        "not-before": new Date(Date.now() + hour).toISOString(),
      },
      late: { ...USERS, expires: new Date(Date.now() - hour).toISOString() },
      open: {
        ...USERS,
        "not-before": new Date(Date.now() - hour).toISOString(),
        expires: new Date(Date.now() + hour).toISOString(),
      },
    },
  });
  try {
    strictEqual(
      refusal(await tryJoin(t, "early", "carrot")),
      "this group is not open yet",
    );
    strictEqual(
      refusal(await tryJoin(t, "late", "carrot")),
      "this group is closed",
    );
    strictEqual(refusal(await tryJoin(t, "early", "vimes")), "join");
    strictEqual(refusal(await tryJoin(t, "late", "vimes")), "join");
    strictEqual(refusal(await tryJoin(t, "open", "carrot")), "join");
  } finally {
    await t.close();
  }
});

Deno.test("an autolock group is locked at creation and relocked when the last op leaves", async () => {
  const t = await startTestServer({
    groups: { g: { ...USERS, autolock: true } },
  });
  try {
    strictEqual(
      refusal(await tryJoin(t, "g", "carrot")),
      "this group is locked",
    );
    const vimes = await t.member("g", "vimes", "p");
    vimes.send({ type: "groupaction", kind: "unlock" });
    await vimes.nextOf("joined", "change");
    const carrot = await t.member("g", "carrot", "p");
    await vimes.close();
    const change = await carrot.nextOf("joined", "change");
    strictEqual((change["status"] as Record<string, unknown>)["locked"], true);
    strictEqual(
      refusal(await tryJoin(t, "g", "nobby")),
      "this group is locked",
    );
    // Members already inside stay.
    await carrot.sync();
  } finally {
    await t.close();
  }
});

Deno.test("an autolock group is relocked when its last op is unopped", async () => {
  const t = await startTestServer({
    groups: {
      g: {
        users: { vimes: user("op"), keys: user("op") },
        "wildcard-user": user("present"),
        autolock: true,
      },
    },
  });
  try {
    const vimes = await t.member("g", "vimes", "p");
    vimes.send({ type: "groupaction", kind: "unlock" });
    await vimes.nextOf("joined", "change");
    vimes.send({ type: "useraction", kind: "unop", dest: vimes.id });
    await vimes.next((m) =>
      m["type"] === "joined" &&
      (m["status"] as Record<string, unknown>)["locked"] === true
    );
  } finally {
    await t.close();
  }
});

Deno.test("autokick refuses non-ops while no op is present and kicks everyone when the last op leaves", async () => {
  const t = await startTestServer({
    groups: { g: { ...USERS, autokick: true } },
  });
  try {
    strictEqual(
      refusal(await tryJoin(t, "g", "carrot")),
      "there are no operators in this group",
    );
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    const nobby = await t.member("g", "nobby", "p");
    await vimes.close();
    for (const c of [carrot, nobby]) {
      await c.nextOf("usermessage", "kicked");
      strictEqual((await c.closed).code, 1000);
    }
    strictEqual(t.server.groups.existing("g")?.clientCount, 0);
    strictEqual(
      refusal(await tryJoin(t, "g", "carrot")),
      "there are no operators in this group",
    );
  } finally {
    await t.close();
  }
});

Deno.test("auto-subgroups lets any subgroup be joined with the parent's users", async () => {
  const t = await startTestServer({
    groups: {
      a: { ...USERS, "auto-subgroups": true, displayName: "A" },
      b: USERS,
    },
  });
  try {
    const joined = await tryJoin(t, "a/anything", "carrot");
    strictEqual(joined["kind"], "join");
    strictEqual(joined["group"], "a/anything");
    const status = joined["status"] as Record<string, unknown>;
    strictEqual(status["name"], "a/anything");
    // An automatic subgroup does not inherit the display name.
    strictEqual(status["displayName"], undefined);
    strictEqual(refusal(await tryJoin(t, "a/x/y", "carrot")), "join");
    strictEqual(
      refusal(await tryJoin(t, "b/anything", "carrot")),
      "group does not exist",
    );
  } finally {
    await t.close();
  }
});

Deno.test("a subgroup file a/b.json is the group a/b with its own users", async () => {
  const t = await startTestServer({
    groups: {
      a: USERS,
      "a/b": { users: { carrot: user("op") }, displayName: "Sub" },
    },
  });
  try {
    const joined = await tryJoin(t, "a/b", "carrot");
    strictEqual(joined["kind"], "join");
    deepStrictEqual(joined["permissions"], [
      "op",
      "present",
      "message",
      "caption",
      "token",
    ]);
    strictEqual(
      (joined["status"] as Record<string, unknown>)["displayName"],
      "Sub",
    );
    // The parent's users are not users of the subgroup.
    strictEqual(refusal(await tryJoin(t, "a/b", "vimes")), "not authorised");
  } finally {
    await t.close();
  }
});
