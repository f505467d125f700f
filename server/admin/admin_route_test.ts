import assert from "node:assert/strict";
import { type AdminPath, parseAdminPath } from "./admin_route.ts";

const P = "/galene-api/v0/";
const route = (path: string) => {
  const parsed = parseAdminPath(P + path);
  assert.ok(parsed.ok, `${path}: ${!parsed.ok && parsed.message}`);
  return parsed.route;
};
const reason = (path: string) => {
  const parsed: AdminPath = parseAdminPath(P + path);
  return parsed.ok ? "ok" : parsed.reason;
};

Deno.test("parseAdminPath() parses the server-wide endpoints", () => {
  assert.deepEqual(route(".stats"), { kind: "stats" });
  assert.deepEqual(route(".groups/"), { kind: "groups" });
  assert.equal(reason(".groups"), "not-found");
  assert.equal(reason(".statsx"), "not-found");
  assert.equal(parseAdminPath("/other").ok, false);
});

Deno.test("parseAdminPath() parses nested groups with an optional trailing slash", () => {
  assert.deepEqual(route(".groups/a/b"), { kind: "group", group: "a/b" });
  assert.deepEqual(route(".groups/a/b/"), { kind: "group", group: "a/b" });
  assert.deepEqual(route(".groups/a/.keys"), { kind: "keys", group: "a" });
  assert.deepEqual(route(".groups/a/.users/"), { kind: "users", group: "a" });
});

Deno.test("parseAdminPath() parses users, special users and passwords", () => {
  assert.deepEqual(route(".groups/a/.users/bob"), {
    kind: "user",
    group: "a",
    user: { kind: "named", name: "bob" },
  });
  assert.deepEqual(route(".groups/a/.users/x/y/.password"), {
    kind: "password",
    group: "a",
    user: { kind: "named", name: "x/y" },
  });
  assert.deepEqual(route(".groups/a/.wildcard-user"), {
    kind: "user",
    group: "a",
    user: { kind: "wildcard" },
  });
  assert.deepEqual(route(".groups/a/.empty-user/.password"), {
    kind: "password",
    group: "a",
    user: { kind: "empty" },
  });
});

Deno.test("parseAdminPath() parses group and global tokens", () => {
  assert.deepEqual(route(".groups/.tokens/"), { kind: "tokens", group: "" });
  assert.deepEqual(route(".groups/.tokens/abc"), {
    kind: "token",
    group: "",
    token: "abc",
  });
  assert.deepEqual(route(".groups/a/b/.tokens/abc"), {
    kind: "token",
    group: "a/b",
    token: "abc",
  });
  assert.equal(reason(".groups/a/.tokens/x/y"), "invalid");
});

Deno.test("parseAdminPath() refuses traversal, backslashes and bad usernames", () => {
  assert.equal(reason(".groups/../etc/passwd"), "not-found");
  assert.equal(reason(".groups/a/../../x"), "not-found");
  assert.equal(reason(".groups/a\\..\\b"), "invalid");
  assert.equal(reason(".groups/a//b"), "invalid");
  assert.equal(reason(".groups//a"), "invalid");
  assert.equal(reason(".groups/a/.users/../b"), "invalid");
  assert.equal(reason(".groups/a/.users/"), "ok");
  assert.equal(reason(".groups/a/.users/b\\c"), "invalid");
  assert.equal(reason(".groups/a/.secret"), "not-found");
  assert.equal(reason(".groups/a\0b"), "invalid");
});
