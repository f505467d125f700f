import assert from "node:assert/strict";
import {
  defaultServerConfig,
  parseServerConfig,
  serializeServerConfig,
} from "./server_config.ts";
import { expandPermissions } from "./permissions.ts";

const file = "data/config.json";

Deno.test("parseServerConfig() reads every key of config.json", () => {
  const config = parseServerConfig({
    users: { root: { password: "x", permissions: "admin" } },
    writableGroups: true,
    allowOrigin: ["https://a.example"],
    allowAdminOrigin: ["https://b.example"],
    proxyURL: "https://example.org/galene/",
    canonicalHost: "example.org",
    publicServer: true,
  }, { file });
  const root = config.users["root"];
  assert.ok(root);
  assert.deepEqual(
    expandPermissions(root.permissions, {
      allowRecording: false,
      unrestrictedTokens: false,
    }),
    ["admin"],
  );
  assert.equal(config.writableGroups, true);
  assert.deepEqual(config.allowOrigin, ["https://a.example"]);
  assert.deepEqual(config.allowAdminOrigin, ["https://b.example"]);
  assert.equal(config.proxyURL, "https://example.org/galene/");
  assert.equal(config.canonicalHost, "example.org");
  assert.equal(config.publicServer, true);
  assert.deepEqual(config.warnings, []);
});

Deno.test("parseServerConfig() gives the defaults for an empty object", () => {
  assert.deepEqual(parseServerConfig({}, { file }), defaultServerConfig());
});

Deno.test("parseServerConfig() ignores the obsolete admin key with a warning", () => {
  const config = parseServerConfig({ admin: [{ username: "x" }] }, { file });
  assert.deepEqual(config.warnings, [
    `data/config.json: "admin" is obsolete and ignored; use "users"`,
  ]);
});

Deno.test("parseServerConfig() names the file, key and problem", () => {
  const cases: Array<[unknown, string]> = [
    [{ turn: "x" }, `data/config.json: unknown key "turn"`],
    [
      { writableGroups: 1 },
      `data/config.json: "writableGroups" must be a boolean`,
    ],
    [{ allowOrigin: "x" }, `"allowOrigin" must be an array of strings`],
    [{ proxyURL: "not a url" }, `"proxyURL" must be an absolute URL`],
    [{ users: { a: { permissions: "root" } } }, `"users"["a"]["permissions"]`],
    [null, `data/config.json: the file must be a JSON object`],
  ];
  for (const [json, message] of cases) {
    assert.throws(() => parseServerConfig(json, { file }), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.ok(error.message.includes(message), error.message);
      return true;
    });
  }
});

Deno.test("serializeServerConfig() round-trips through parseServerConfig()", () => {
  const source = {
    users: { root: { password: { type: "wildcard" }, permissions: "admin" } },
    writableGroups: true,
    allowOrigin: ["https://a.example"],
    canonicalHost: "example.org",
  };
  const config = parseServerConfig(source, { file });
  assert.deepEqual(
    JSON.parse(JSON.stringify(serializeServerConfig(config))),
    source,
  );
});

Deno.test("parseServerConfig() keeps a clusterSecret of at least 32 bytes and refuses a shorter one without showing it", () => {
  const secret = "a cluster secret of at least 32 bytes";
  assert.equal(
    parseServerConfig({ clusterSecret: secret }, { file: "c.json" })
      .clusterSecret,
    secret,
  );
  assert.throws(
    () => parseServerConfig({ clusterSecret: "short one" }, { file: "c.json" }),
    (e: Error) =>
      /"clusterSecret" must be at least 32 bytes/.test(e.message) &&
      !e.message.includes("short one"),
  );
});
