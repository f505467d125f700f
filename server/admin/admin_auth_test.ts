import assert from "node:assert/strict";
import { parseGroupDescription } from "../config/group_description.ts";
import { parseServerConfig } from "../config/server_config.ts";
import { AdminAuth, parseAuthorization } from "./admin_auth.ts";

const basic = (u: string, p: string) => `Basic ${btoa(`${u}:${p}`)}`;

function auth() {
  const config = parseServerConfig({
    users: {
      root: { password: "rootpw", permissions: "admin" },
      op: { password: "oppw", permissions: "op" },
    },
  }, { file: "config.json" });
  return new AdminAuth({
    config: () => Promise.resolve(config),
    tokens: { verify: () => Promise.resolve({ ok: false }) },
    statefulToken: () => Promise.resolve(undefined),
    now: () => 0,
  });
}

const description = parseGroupDescription({
  users: {
    gadmin: { password: "g", permissions: "admin" },
    bob: { password: "b", permissions: "present" },
  },
}, { file: "g.json" });

Deno.test("parseAuthorization() reads Basic and Bearer and nothing else", () => {
  assert.deepEqual(parseAuthorization(basic("a", "b:c")), {
    kind: "basic",
    username: "a",
    password: "b:c",
  });
  assert.deepEqual(parseAuthorization("bearer xyz"), {
    kind: "bearer",
    token: "xyz",
  });
  assert.equal(parseAuthorization("Digest x"), null);
  assert.equal(parseAuthorization("Basic !!!"), null);
  assert.equal(parseAuthorization(`Basic ${btoa("nocolon")}`), null);
  assert.equal(parseAuthorization(null), null);
});

Deno.test("AdminAuth lets server administrators in everywhere", async () => {
  const a = auth();
  assert.equal(
    (await a.authorize(basic("root", "rootpw"), { kind: "server" }))?.via,
    "server-admin",
  );
  assert.equal(await a.authorize(basic("root", "x"), { kind: "server" }), null);
  assert.equal(
    await a.authorize(basic("op", "oppw"), { kind: "server" }),
    null,
  );
});

Deno.test("AdminAuth lets group administrators into their group only", async () => {
  const a = auth();
  const scope = { kind: "group" as const, group: "g", description };
  assert.equal(
    (await a.authorize(basic("gadmin", "g"), scope))?.via,
    "group-admin",
  );
  assert.equal(await a.authorize(basic("bob", "b"), scope), null);
  assert.equal(
    await a.authorize(basic("gadmin", "g"), { kind: "server" }),
    null,
  );
});

Deno.test("AdminAuth lets a user set his own password only", async () => {
  const a = auth();
  const self = {
    kind: "self" as const,
    group: "g",
    description,
    username: "bob",
  };
  assert.equal((await a.authorize(basic("bob", "b"), self))?.via, "self");
  assert.equal(await a.authorize(basic("bob", "wrong"), self), null);
  assert.equal(
    await a.authorize(basic("bob", "b"), { ...self, username: "gadmin" }),
    null,
  );
});
