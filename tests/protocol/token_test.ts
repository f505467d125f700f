/**
 * Galène's stateful tokens and JWTs through the protocol: invitations made, listed,
 * extended and revoked from a client; joins with stateful tokens and JWTs.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import * as jose from "jose";
import { startTestServer, type TestServer } from "../support/test_server.ts";
import type { Message, WsClient } from "../support/ws_client.ts";

const GROUP = {
  users: {
    vimes: { password: "p", permissions: "op" },
    carrot: { password: "p", permissions: "present" },
  },
};

async function makeToken(op: WsClient, value: Message): Promise<Message> {
  op.send({
    type: "groupaction",
    kind: "maketoken",
    source: op.id,
    username: op.username,
    value,
  });
  return await op.next((m) =>
    m["type"] === "usermessage" &&
    (m["kind"] === "token" || m["kind"] === "error")
  );
}

async function tokenJoin(
  t: TestServer,
  token: string,
  username?: string,
): Promise<Message> {
  const c = await t.connect();
  await c.handshake();
  return await c.join("g", username, undefined, { token });
}

Deno.test("an op's invitation lets a new user in, asking for a username when it has none", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const op = await t.member("g", "vimes", "p");
    const reply = await makeToken(op, { expires: 3_600_000 });
    strictEqual(reply["kind"], "token", JSON.stringify(reply));
    const token = (reply["value"] as Message)["token"] as string;
    ok(token.length > 0);
    deepStrictEqual((reply["value"] as Message)["permissions"], [
      "present",
      "message",
    ]);
    const probe = await tokenJoin(t, token);
    strictEqual(probe["kind"], "fail");
    strictEqual(probe["error"], "need-username");
    const taken = await tokenJoin(t, token, "carrot");
    strictEqual(taken["kind"], "fail");
    strictEqual(taken["error"], "duplicate-username");
    const ok1 = await tokenJoin(t, token, "angua");
    strictEqual(ok1["kind"], "join");
    strictEqual(ok1["username"], "angua");
    deepStrictEqual(ok1["permissions"], ["present", "message"]);
  } finally {
    await t.close();
  }
});

Deno.test("a token's own username wins over the one the client gives", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const op = await t.member("g", "vimes", "p");
    const reply = await makeToken(op, { username: "angua", expires: 60_000 });
    const token = (reply["value"] as Message)["token"] as string;
    const joined = await tokenJoin(t, token, "someone-else");
    strictEqual(joined["kind"], "join");
    strictEqual(joined["username"], "angua");
  } finally {
    await t.close();
  }
});

Deno.test("listtokens lists the group's invitations and a revoked one no longer opens the group", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const op = await t.member("g", "vimes", "p");
    const token =
      ((await makeToken(op, { expires: 60_000 }))["value"] as Message)[
        "token"
      ] as string;
    op.send({
      type: "groupaction",
      kind: "listtokens",
      source: op.id,
      username: "vimes",
    });
    const list = await op.next({ type: "usermessage", kind: "tokenlist" });
    deepStrictEqual(
      (list["value"] as Message[]).map((x) => x["token"]),
      [token],
    );
    op.send({
      type: "groupaction",
      kind: "edittoken",
      source: op.id,
      username: "vimes",
      value: { token, expires: -1000 },
    });
    const edited = await op.next({ type: "usermessage", kind: "token" });
    ok(
      Date.parse((edited["value"] as Message)["expires"] as string) <
        Date.now(),
    );
    const refused = await tokenJoin(t, token, "angua");
    strictEqual(refused["kind"], "fail");
    strictEqual(refused["value"], "not authorised");
  } finally {
    await t.close();
  }
});

Deno.test("a presenter may not create invitations unless tokens are unrestricted, nor grant more than it has", async () => {
  const t = await startTestServer({
    groups: { g: GROUP, h: { ...GROUP, "unrestricted-tokens": true } },
  });
  try {
    const p = await t.member("g", "carrot", "p");
    p.send({
      type: "groupaction",
      kind: "maketoken",
      source: p.id,
      username: "carrot",
      value: { expires: 60_000 },
    });
    const refused = await p.next({ type: "usermessage", kind: "error" });
    strictEqual(refused["value"], "not authorised");
    const q = await t.member("h", "carrot", "p");
    const wider = await makeToken(q, {
      expires: 60_000,
      permissions: ["op"],
    });
    strictEqual(wider["kind"], "error");
    const fine = await makeToken(q, { expires: 60_000 });
    strictEqual(fine["kind"], "token");
  } finally {
    await t.close();
  }
});

Deno.test("a JWT signed with one of the group's keys logs in with its subject and permissions", async () => {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const jwk = { ...(await jose.exportJWK(secret)), alg: "HS256" };
  const t = await startTestServer({ groups: { g: { authKeys: [jwk] } } });
  try {
    const now = Math.floor(Date.now() / 1000);
    const good = await new jose.SignJWT({
      permissions: ["present", "message"],
    }).setProtectedHeader({ alg: "HS256" }).setSubject("carrot")
      .setAudience(`${t.url}/group/g/`).setIssuedAt(now).setExpirationTime(
        now + 60,
      ).sign(secret);
    const joined = await tokenJoin(t, good);
    strictEqual(joined["kind"], "join");
    strictEqual(joined["username"], "carrot");
    deepStrictEqual(joined["permissions"], ["present", "message"]);
    const otherGroup = await new jose.SignJWT({ permissions: ["present"] })
      .setProtectedHeader({ alg: "HS256" }).setSubject("carrot")
      .setAudience(`${t.url}/group/other/`).setExpirationTime(now + 60).sign(
        secret,
      );
    strictEqual((await tokenJoin(t, otherGroup))["kind"], "fail");
    const wrongKey = await new jose.SignJWT({ permissions: ["present"] })
      .setProtectedHeader({ alg: "HS256" }).setSubject("carrot")
      .setAudience(`${t.url}/group/g/`).setExpirationTime(now + 60).sign(
        crypto.getRandomValues(new Uint8Array(32)),
      );
    strictEqual((await tokenJoin(t, wrongKey))["kind"], "fail");
  } finally {
    await t.close();
  }
});
