/**
 * `join` and `joined` (kinds `fail` and `redirect`), with Galène's group files:
 * logging in with each kind of password, and the permissions it grants.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { pbkdf2Sync, randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";
import { startTestServer, type TestServer } from "../support/test_server.ts";
import type { Message } from "../support/ws_client.ts";

/** Connects, handshakes and sends one join; returns the `joined` answer. */
async function tryJoin(
  t: TestServer,
  group: string,
  username: string | undefined,
  password?: string,
): Promise<Message> {
  const c = await t.connect();
  await c.handshake();
  return await c.join(group, username, password);
}

function pbkdf2Password(password: string): Record<string, unknown> {
  const salt = randomBytes(8);
  const key = pbkdf2Sync(password, salt, 4096, 32, "sha256");
  return {
    type: "pbkdf2",
    hash: "sha-256",
    key: key.toString("hex"),
    salt: salt.toString("hex"),
    iterations: 4096,
  };
}

const NOT_AUTHORISED = {
  type: "joined",
  kind: "fail",
  value: "not authorised",
};

function assertRefused(joined: Message, value = "not authorised"): void {
  strictEqual(joined["type"], "joined");
  strictEqual(joined["kind"], "fail", JSON.stringify(joined));
  strictEqual(joined["value"], value);
  strictEqual(joined["permissions"], undefined);
}

Deno.test("each password type lets the right password in and keeps the wrong one out", async () => {
  const t = await startTestServer({
    groups: {
      g: {
        users: {
          plain: { password: "sesame", permissions: "present" },
          pbkdf2: {
            password: pbkdf2Password("sesame"),
            permissions: "present",
          },
          bcrypt: {
            password: { type: "bcrypt", key: bcrypt.hashSync("sesame", 4) },
            permissions: "present",
          },
          any: { password: { type: "wildcard" }, permissions: "present" },
          nobody: {
            password: { key: "sesame" },
            permissions: "present",
          },
        },
      },
    },
  });
  try {
    for (const user of ["plain", "pbkdf2", "bcrypt"]) {
      const good = await tryJoin(t, "g", user, "sesame");
      strictEqual(good["kind"], "join", `${user}: ${JSON.stringify(good)}`);
      strictEqual(good["username"], user);
      deepStrictEqual(good["permissions"], ["present", "message"]);
      assertRefused(await tryJoin(t, "g", user, "Sesame"));
      assertRefused(await tryJoin(t, "g", user, ""));
    }
    const wild = await tryJoin(t, "g", "any", "whatever at all");
    strictEqual(wild["kind"], "join");
    // A password object without a type never matches, even its own key.
    assertRefused(await tryJoin(t, "g", "nobody", "sesame"));
    assertRefused(await tryJoin(t, "g", "nobody", ""));
  } finally {
    await t.close();
  }
});

Deno.test("a refused login is a joined fail with value not authorised and the socket stays open", async () => {
  const t = await startTestServer({
    groups: { g: { users: { alice: { password: "a", permissions: "op" } } } },
  });
  try {
    const c = await t.connect();
    await c.handshake();
    const joined = await c.join("g", "alice", "wrong");
    for (const [k, v] of Object.entries(NOT_AUTHORISED)) {
      strictEqual(joined[k], v);
    }
    strictEqual(joined["group"], "g");
    // An unknown username with no wildcard user is refused the same way.
    assertRefused(await c.join("g", "mallory", "a"));
    // The client may try again on the same socket.
    const again = await c.join("g", "alice", "a");
    strictEqual(again["kind"], "join");
  } finally {
    await t.close();
  }
});

Deno.test("joining a group that does not exist fails with group does not exist", async () => {
  const t = await startTestServer({ groups: {} });
  try {
    assertRefused(await tryJoin(t, "nope", "a", "a"), "group does not exist");
    assertRefused(
      await tryJoin(t, "../etc/passwd", "a", "a"),
      "group does not exist",
    );
  } finally {
    await t.close();
  }
});

Deno.test("joining a group with redirect answers joined redirect with the target", async () => {
  const t = await startTestServer({
    groups: { old: { redirect: "https://example.org/group/new/" } },
  });
  try {
    const joined = await tryJoin(t, "old", "a", "a");
    strictEqual(joined["kind"], "redirect");
    strictEqual(joined["value"], "https://example.org/group/new/");
  } finally {
    await t.close();
  }
});

Deno.test("an empty username is refused unless allow-anonymous or a user named empty exists", async () => {
  const t = await startTestServer({
    groups: {
      strict: { "wildcard-user": { password: "x", permissions: "present" } },
      anon: {
        "allow-anonymous": true,
        "wildcard-user": { password: "x", permissions: "present" },
      },
      empty: { users: { "": { password: "x", permissions: "message" } } },
    },
  });
  try {
    assertRefused(await tryJoin(t, "strict", "", "x"));
    assertRefused(await tryJoin(t, "strict", undefined, "x"));
    strictEqual((await tryJoin(t, "strict", "bob", "x"))["kind"], "join");
    const anon = await tryJoin(t, "anon", "", "x");
    strictEqual(anon["kind"], "join");
    strictEqual(anon["username"], "");
    const empty = await tryJoin(t, "empty", "", "x");
    strictEqual(empty["kind"], "join");
    deepStrictEqual(empty["permissions"], ["message"]);
  } finally {
    await t.close();
  }
});

Deno.test("the wildcard user and then the fallback users admit unknown usernames", async () => {
  const t = await startTestServer({
    groups: {
      g: {
        users: { alice: { password: "a", permissions: "op" } },
        "wildcard-user": { password: "w", permissions: "present" },
        "fallback-users": [
          { password: "f1", permissions: "message" },
          { password: "f2", permissions: "observe" },
        ],
      },
    },
  });
  try {
    deepStrictEqual((await tryJoin(t, "g", "bob", "w"))["permissions"], [
      "present",
      "message",
    ]);
    deepStrictEqual((await tryJoin(t, "g", "carol", "f1"))["permissions"], [
      "message",
    ]);
    const observer = await tryJoin(t, "g", "dave", "f2");
    strictEqual(observer["kind"], "join");
    // An empty permission list is omitted.
    strictEqual(observer["permissions"], undefined);
    assertRefused(await tryJoin(t, "g", "eve", "nothing"));
    // A configured user must match its own password: no fallback.
    assertRefused(await tryJoin(t, "g", "alice", "w"));
  } finally {
    await t.close();
  }
});

Deno.test("the obsolete op, presenter and other lists still log users in", async () => {
  const t = await startTestServer({
    groups: {
      g: {
        op: [{ username: "boss", password: "b" }],
        presenter: [{ username: "speaker", password: "s" }],
        other: [{}],
      },
    },
  });
  try {
    const boss = await tryJoin(t, "g", "boss", "b");
    deepStrictEqual(boss["permissions"], [
      "op",
      "present",
      "message",
      "caption",
      "token",
    ]);
    deepStrictEqual((await tryJoin(t, "g", "speaker", "s"))["permissions"], [
      "present",
      "message",
    ]);
    // A pattern with neither username nor password admits anyone.
    deepStrictEqual((await tryJoin(t, "g", "anyone", "x"))["permissions"], [
      "message",
    ]);
    assertRefused(await tryJoin(t, "g", "boss", "x"));
  } finally {
    await t.close();
  }
});

Deno.test("a group file with an unknown key refuses joins clearly and the server keeps running", async () => {
  const t = await startTestServer({
    groups: {
      bad: { users: {}, "max-users": 3 },
      good: { "wildcard-user": { password: "x", permissions: "present" } },
    },
  });
  try {
    const joined = await tryJoin(t, "bad", "a", "x");
    strictEqual(joined["kind"], "fail");
    ok(
      /misconfigured/.test(String(joined["value"])),
      JSON.stringify(joined),
    );
    const line = await t.waitForLog("max-users");
    ok(line.includes("bad.json"), line);
    strictEqual((await tryJoin(t, "good", "a", "x"))["kind"], "join");
  } finally {
    await t.close();
  }
});

Deno.test("permission names map to internal permissions as the reference's table says", async () => {
  const user = (permissions: unknown) => ({ password: "p", permissions });
  const t = await startTestServer({
    groups: {
      plain: {
        users: {
          op: user("op"),
          present: user("present"),
          message: user("message"),
          observe: user("observe"),
          caption: user("caption"),
          raw: user(["message", "caption"]),
        },
      },
      rec: {
        "allow-recording": true,
        "unrestricted-tokens": true,
        users: { op: user("op"), present: user("present") },
      },
    },
  });
  try {
    const perms = async (group: string, name: string) =>
      (await tryJoin(t, group, name, "p"))["permissions"] ?? [];
    deepStrictEqual(await perms("plain", "op"), [
      "op",
      "present",
      "message",
      "caption",
      "token",
    ]);
    deepStrictEqual(await perms("plain", "present"), ["present", "message"]);
    deepStrictEqual(await perms("plain", "message"), ["message"]);
    deepStrictEqual(await perms("plain", "observe"), []);
    deepStrictEqual(await perms("plain", "caption"), ["caption"]);
    deepStrictEqual(await perms("plain", "raw"), ["message", "caption"]);
    deepStrictEqual(await perms("rec", "op"), [
      "op",
      "present",
      "message",
      "caption",
      "token",
      "record",
    ]);
    deepStrictEqual(await perms("rec", "present"), [
      "present",
      "message",
      "token",
    ]);
  } finally {
    await t.close();
  }
});

Deno.test("a refused password is answered only after the failure delay", async () => {
  const t = await startTestServer({
    groups: { g: { users: { alice: { password: "a", permissions: "op" } } } },
    timings: { failureDelay: 1000 },
  });
  try {
    const c = await t.connect();
    await c.handshake();
    const started = Date.now();
    assertRefused(await c.join("g", "alice", "wrong"));
    ok(Date.now() - started >= 990, "answered without the delay");
    const quick = Date.now();
    strictEqual((await c.join("g", "alice", "a"))["kind"], "join");
    // Generous: a loaded CI machine must not make this fail.
    ok(Date.now() - quick < 900, "a good password was delayed");
  } finally {
    await t.close();
  }
});

Deno.test("a username that is not a clean path is refused", async () => {
  const t = await startTestServer({
    groups: {
      g: { "wildcard-user": { password: "x", permissions: "present" } },
    },
  });
  try {
    for (const name of ["/root", "a/../b", "a/./b", "a\\b", "trailing/"]) {
      assertRefused(await tryJoin(t, "g", name, "x"));
    }
    strictEqual((await tryJoin(t, "g", "a/b", "x"))["kind"], "join");
  } finally {
    await t.close();
  }
});
