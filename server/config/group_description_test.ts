import assert from "node:assert/strict";
import {
  authenticateUser,
  type GroupDescription,
  isConfiguredUser,
  parseGroupDescription,
  serializeGroupDescription,
} from "./group_description.ts";

const file = "groups/demo.json";

function parse(json: unknown): GroupDescription {
  return parseGroupDescription(json, { file });
}

function login(d: GroupDescription, username: string, password: string) {
  return authenticateUser(d, { username, password });
}

Deno.test("parseGroupDescription() applies Galène's defaults to an empty file", () => {
  const d = parse({});
  assert.equal(Object.keys(d.users).length, 0);
  assert.equal(d.wildcardUser, undefined);
  assert.deepEqual(d.fallbackUsers, []);
  assert.deepEqual(d.authKeys, []);
  assert.equal(d.public, false);
  assert.equal(d.displayName, "");
  assert.equal(d.maxClients, 0);
  assert.equal(d.maxHistoryAge, 14400);
  assert.deepEqual(d.codecs, ["vp8", "opus"]);
  assert.equal(d.autoSubgroups, false);
  assert.equal(d.notBefore, undefined);
  assert.deepEqual(d.warnings, []);
});

Deno.test("parseGroupDescription() reads every field of a full file", () => {
  const d = parse({
    users: { vimes: { password: "x", permissions: "op" } },
    "wildcard-user": { password: { type: "wildcard" }, permissions: "present" },
    authKeys: [{ kty: "oct", alg: "HS256", k: "AAAA" }],
    authServer: "https://auth.example/",
    authPortal: "https://portal.example/",
    public: true,
    displayName: "Night Watch",
    description: "Pseudopolis Yard",
    contact: "vimes@example.org",
    comment: "internal",
    redirect: "https://elsewhere.example/group/x/",
    "max-clients": 20,
    "max-history-age": 60,
    "not-before": "2026-07-28T14:00:00Z",
    expires: "2026-07-29T16:00:00+02:00",
    "allow-recording": true,
    "unrestricted-tokens": true,
    "auto-subgroups": true,
    autolock: true,
    autokick: true,
    codecs: ["VP9", "opus", "h264"],
  });
  assert.equal(d.users["vimes"]?.permissions, "op");
  assert.deepEqual(d.wildcardUser?.password, { type: "wildcard" });
  assert.equal(d.authKeys[0]?.["alg"], "HS256");
  assert.equal(d.authServer, "https://auth.example/");
  assert.equal(d.authPortal, "https://portal.example/");
  assert.equal(d.public, true);
  assert.equal(d.displayName, "Night Watch");
  assert.equal(d.description, "Pseudopolis Yard");
  assert.equal(d.contact, "vimes@example.org");
  assert.equal(d.comment, "internal");
  assert.equal(d.redirect, "https://elsewhere.example/group/x/");
  assert.equal(d.maxClients, 20);
  assert.equal(d.maxHistoryAge, 60);
  assert.equal(d.notBefore?.toISOString(), "2026-07-28T14:00:00.000Z");
  assert.equal(d.expires?.toISOString(), "2026-07-29T14:00:00.000Z");
  assert.ok(d.allowRecording && d.unrestrictedTokens && d.autoSubgroups);
  assert.ok(d.autolock && d.autokick);
  assert.deepEqual(d.codecs, ["vp9", "opus", "h264"]);
});

Deno.test("parseGroupDescription() names the file, key and problem", () => {
  const cases: Array<[unknown, string]> = [
    [{ foo: 1 }, `groups/demo.json: unknown key "foo"`],
    [
      { "max-clients": -1 },
      `groups/demo.json: "max-clients" must be a non-negative integer`,
    ],
    [{ "max-clients": 1.5 }, `groups/demo.json: "max-clients" must be`],
    [{ public: "yes" }, `groups/demo.json: "public" must be a boolean`],
    [{ displayName: 3 }, `groups/demo.json: "displayName" must be a string`],
    [{ codecs: ["vp8", "theora"] }, `"codecs" contains unknown codec "theora"`],
    [{ codecs: "vp8" }, `"codecs" must be an array of strings`],
    [{ expires: "tomorrow" }, `"expires" must be an RFC 3339 time`],
    [{ "not-before": "2026-13-45T99:00:00Z" }, `"not-before" must be an RFC`],
    [{ authKeys: ["k"] }, `"authKeys"["0"] must be a JWK object`],
    [{ authKeys: {} }, `"authKeys" must be an array`],
    [{ users: [] }, `"users" must be a JSON object`],
    [
      { users: { bob: { password: "x", permissions: "god" } } },
      `"users"["bob"]["permissions"] names unknown permission set "god"`,
    ],
    [
      { users: { bob: { password: "x", role: "op" } } },
      `"users"["bob"]: unknown key "role"`,
    ],
    [{ "wildcard-user": 1 }, `"wildcard-user" must be a JSON object`],
    [{ op: [{ user: "x" }] }, `"op"["0"]: unknown key "user"`],
    [[], `groups/demo.json: the file must be a JSON object`],
  ];
  for (const [json, message] of cases) {
    assert.throws(() => parse(json), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.ok(error.message.includes(message), error.message);
      assert.ok(error.message.startsWith(file), error.message);
      return true;
    });
  }
});

Deno.test("parseGroupDescription() treats a zero max-history-age as unset", () => {
  assert.equal(parse({ "max-history-age": 0 }).maxHistoryAge, 14400);
});

Deno.test("parseGroupDescription() converts allow-subgroups and keeps allow-anonymous, with warnings", () => {
  const d = parse({ "allow-subgroups": true, "allow-anonymous": true });
  assert.equal(d.autoSubgroups, true);
  assert.equal(d.allowAnonymous, true);
  assert.equal(d.warnings.length, 2);
  assert.match(d.warnings[0] ?? "", /"allow-subgroups" is obsolete/);
});

Deno.test("authenticateUser() requires a configured user's own password, without fallback", async () => {
  const d = parse({
    users: { vimes: { password: "sam", permissions: "op" } },
    "wildcard-user": { password: { type: "wildcard" }, permissions: "present" },
  });
  assert.deepEqual(await login(d, "vimes", "sam"), [
    "op",
    "present",
    "message",
    "caption",
    "token",
  ]);
  assert.equal(await login(d, "vimes", "wrong"), null);
  assert.deepEqual(await login(d, "carrot", "anything"), [
    "present",
    "message",
  ]);
  assert.deepEqual(await login(d, "", ""), ["present", "message"]);
  assert.ok(isConfiguredUser(d, "vimes"));
  assert.ok(!isConfiguredUser(d, "carrot"));
});

Deno.test("authenticateUser() refuses unknown users when there is no wildcard user", async () => {
  const d = parse({ users: { vimes: { password: "sam", permissions: "op" } } });
  assert.equal(await login(d, "carrot", "sam"), null);
  assert.equal(await login(d, "constructor", ""), null);
  assert.equal(await login(d, "__proto__", ""), null);
  assert.ok(!isConfiguredUser(d, "toString"));
});

Deno.test("authenticateUser() widens op and present with the group's flags", async () => {
  const d = parse({
    "allow-recording": true,
    "unrestricted-tokens": true,
    users: {
      vimes: { password: "a", permissions: "op" },
      carrot: { password: "b", permissions: "present" },
      nobby: { password: "c" },
    },
  });
  assert.ok((await login(d, "vimes", "a"))?.includes("record"));
  assert.deepEqual(await login(d, "carrot", "b"), [
    "present",
    "message",
    "token",
  ]);
  assert.deepEqual(await login(d, "nobby", "c"), []);
});

Deno.test("a user named __proto__ is an ordinary user", async () => {
  // JSON.parse makes "__proto__" an own key, as reading a file does.
  const d = parse(JSON.parse(
    `{"users": {"__proto__": {"password": "d", "permissions": ["message"]}}}`,
  ));
  assert.ok(isConfiguredUser(d, "__proto__"));
  assert.deepEqual(await login(d, "__proto__", "d"), ["message"]);
  assert.equal(await login(d, "__proto__", "x"), null);
  const json = JSON.stringify(serializeGroupDescription(d));
  assert.deepEqual(parse(JSON.parse(json)), d);
});

Deno.test("authenticateUser() never lets a user without a password in", async () => {
  const d = parse({ users: { vimes: { permissions: "op" } } });
  assert.equal(await login(d, "vimes", ""), null);
  assert.equal(await login(d, "vimes", "x"), null);
});

Deno.test("old op/presenter/other lists become users and a wildcard user", async () => {
  const d = parse({
    op: [{ username: "vimes", password: "sam" }],
    presenter: [{ username: "carrot" }],
    other: [{}],
  });
  assert.equal(d.users["vimes"]?.permissions, "op");
  assert.deepEqual(d.users["carrot"]?.password, { type: "wildcard" });
  assert.equal(d.wildcardUser?.permissions, "message");
  assert.deepEqual(d.fallbackUsers, []);
  assert.match(d.warnings.join("\n"), /obsolete/);
  assert.equal((await login(d, "vimes", "sam"))?.[0], "op");
  assert.equal(await login(d, "vimes", "x"), null);
  assert.deepEqual(await login(d, "carrot", "x"), ["present", "message"]);
  assert.deepEqual(await login(d, "angua", "x"), ["message"]);
});

Deno.test("several old wildcard patterns become fallback users tried in order", async () => {
  const d = parse({
    op: [{ password: "op-secret" }],
    presenter: [{ password: "talk" }],
    other: [{ password: { type: "wildcard" } }],
  });
  assert.equal(d.wildcardUser, undefined);
  assert.equal(d.fallbackUsers.length, 3);
  assert.equal((await login(d, "a", "op-secret"))?.[0], "op");
  assert.deepEqual(await login(d, "b", "talk"), ["present", "message"]);
  assert.deepEqual(await login(d, "c", "other"), ["message"]);
});

Deno.test("fallback-users are tried after the wildcard user", async () => {
  const d = parse({
    "wildcard-user": { password: "w", permissions: "present" },
    "fallback-users": [
      { password: "f", permissions: "message" },
      { password: "w", permissions: "op" },
    ],
  });
  assert.deepEqual(await login(d, "x", "w"), ["present", "message"]);
  assert.deepEqual(await login(d, "x", "f"), ["message"]);
  assert.equal(await login(d, "x", "nope"), null);
});

Deno.test("serializeGroupDescription() writes Galène's keys and parses back to the same description", () => {
  const source = {
    users: {
      vimes: { password: "sam", permissions: "op" },
      carrot: {
        password: {
          type: "bcrypt",
          key: "$2b$04$Nereid0123456789abcdeuN/XQbYkVQv80MP7FmJimOTqSx8.kTsi",
        },
        permissions: ["present", "message"],
      },
      nobby: { permissions: "observe" },
    },
    "wildcard-user": { password: { type: "wildcard" }, permissions: "message" },
    public: true,
    displayName: "Night Watch",
    "max-clients": 4,
    "not-before": "2026-07-28T14:00:00.000Z",
    "allow-recording": true,
    "auto-subgroups": true,
    codecs: ["vp9", "opus"],
    authKeys: [{ kty: "oct", alg: "HS256", k: "AAAA" }],
  };
  const d = parse(source);
  const json = serializeGroupDescription(d);
  assert.deepEqual(JSON.parse(JSON.stringify(json)), source);
  assert.deepEqual(parse(JSON.parse(JSON.stringify(json))), d);
});

Deno.test("serializeGroupDescription() writes old forms in their modern spelling", () => {
  const json = serializeGroupDescription(
    parse({ "allow-subgroups": true, presenter: [{}] }),
  );
  assert.deepEqual(json, {
    "wildcard-user": {
      password: { type: "wildcard" },
      permissions: "present",
    },
    "auto-subgroups": true,
  });
});
