/**
 * Security of the administrative API over real HTTP: authentication,
 * authorisation, preconditions, names, sizes, origins and content types.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { rawRequest } from "../support/raw_http.ts";
import {
  ADMIN_AUTH,
  adminJson,
  basic,
  startAdminServer,
} from "./admin_server.ts";

const GROUPS = {
  demo: {
    users: {
      alice: { password: "alicepw", permissions: "op" },
      gadmin: { password: "gpw", permissions: "admin" },
    },
  },
};

Deno.test("the API answers 401 with a Basic challenge without credentials", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    for (
      const path of [".stats", ".groups/", ".groups/demo", ".groups/.tokens/"]
    ) {
      const res = await t.api(path);
      assert.equal(res.status, 401, path);
      assert.equal(
        res.headers.get("www-authenticate"),
        'basic realm="/galene-api/"',
      );
    }
    const wrong = await t.api(".groups/", {
      headers: { Authorization: basic("root", "wrong") },
    });
    assert.equal(wrong.status, 401);
  } finally {
    await t.close();
  }
});

// The reference answers every authorisation failure with 401 and the
// challenge (there is no 403 for a known user without `admin`); so do we.
Deno.test("a user without admin gets 401, as the reference answers", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const alice = { Authorization: basic("alice", "alicepw") };
    assert.equal((await t.api(".groups/demo", { headers: alice })).status, 401);
    assert.equal((await t.api(".stats", { headers: alice })).status, 401);
    // A group administrator administers his group, not the server.
    const gadmin = { Authorization: basic("gadmin", "gpw") };
    assert.equal(
      (await t.api(".groups/demo", { headers: gadmin })).status,
      200,
    );
    assert.equal((await t.api(".groups/", { headers: gadmin })).status, 401);
    assert.equal((await t.api(".stats", { headers: gadmin })).status, 401);
  } finally {
    await t.close();
  }
});

Deno.test("writes are refused with 401 unless writableGroups is set", async () => {
  const t = await startAdminServer({
    groups: GROUPS,
    config: { users: { root: { password: "rootpw", permissions: "admin" } } },
  });
  try {
    const res = await t.api(".groups/demo", {
      method: "PUT",
      headers: adminJson(),
      body: "{}",
    });
    assert.equal(res.status, 401);
    assert.match(res.text, /writableGroups/);
    // Token operations do not write group files.
    const token = await t.api(".groups/demo/.tokens/", {
      method: "POST",
      headers: adminJson(),
      body: JSON.stringify({ permissions: ["present"] }),
    });
    assert.equal(token.status, 201);
  } finally {
    await t.close();
  }
});

Deno.test("a stale ETag is refused with 412 and the file is kept", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const first = await t.api(".groups/demo", { headers: adminJson() });
    const etag = first.headers.get("etag")!;
    assert.ok(etag);
    const update = await t.api(".groups/demo", {
      method: "PUT",
      headers: adminJson({ "If-Match": etag }),
      body: JSON.stringify({ displayName: "One" }),
    });
    assert.equal(update.status, 204);
    const stale = await t.api(".groups/demo", {
      method: "PUT",
      headers: adminJson({ "If-Match": etag }),
      body: JSON.stringify({ displayName: "Two" }),
    });
    assert.equal(stale.status, 412);
    const now = await t.api(".groups/demo", { headers: adminJson() });
    assert.deepEqual(now.json(), { displayName: "One" });
  } finally {
    await t.close();
  }
});

Deno.test("group names with .., / tricks and backslashes are refused and touch no file", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const paths = [
      "/galene-api/v0/.groups/../../data/config",
      "/galene-api/v0/.groups/%2e%2e/%2e%2e/data/config",
      "/galene-api/v0/.groups/demo/../../x",
      "/galene-api/v0/.groups/a%5c..%5c..%5cx",
      "/galene-api/v0/.groups/a\\..\\..\\x",
      "/galene-api/v0/.groups//etc/passwd",
      "/galene-api/v0/.groups/%2fetc%2fpasswd",
      "/galene-api/v0/.groups/.hidden",
      "/galene-api/v0/.groups/a/.users/..%2f..%2fx",
    ];
    const port = t.port;
    for (const path of paths) {
      const res = await rawRequest(port, {
        method: "PUT",
        path,
        headers: {
          authorization: ADMIN_AUTH,
          "content-type": "application/json",
          "content-length": "2",
        },
      });
      assert.ok(
        res.status === 400 || res.status === 404,
        `${path}: ${res.status}`,
      );
    }
    const root = join(t.groupsDir, "..");
    const names = [...Deno.readDirSync(root)].map((e) => e.name).sort();
    assert.deepEqual(names, ["data", "groups", "recordings"]);
    const groups = [...Deno.readDirSync(t.groupsDir)].map((e) => e.name);
    assert.deepEqual(groups, ["demo.json"]);
  } finally {
    await t.close();
  }
});

Deno.test("over-long group and user names are refused with 400, never 500", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const long = "a".repeat(300);
    for (
      const [method, path] of [
        ["PUT", `.groups/${long}`],
        ["GET", `.groups/${long}`],
        ["DELETE", `.groups/${long}`],
        ["PUT", `.groups/${"b/".repeat(150)}c`],
        ["PUT", `.groups/demo/.users/${long}`],
        ["PUT", `.groups/${long}/.keys`],
        ["POST", `.groups/${long}/.tokens/`],
      ]
    ) {
      const res = await t.api(path!, {
        method: method!,
        headers: adminJson(),
        ...(method === "GET" || method === "DELETE" ? {} : { body: "{}" }),
      });
      assert.equal(res.status, 400, `${method} ${path!.slice(0, 40)}`);
    }
    const groups = [...Deno.readDirSync(t.groupsDir)].map((e) => e.name);
    assert.deepEqual(groups, ["demo.json"]);
  } finally {
    await t.close();
  }
});

Deno.test("an oversized body is refused with 413", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const big = JSON.stringify({ description: "x".repeat(1 << 20) });
    const res = await t.api(".groups/demo", {
      method: "PUT",
      headers: adminJson(),
      body: big,
    });
    assert.equal(res.status, 413);
    const chunked = await t.api(".groups/demo", {
      method: "PUT",
      headers: adminJson(),
      body: ReadableStream.from([new TextEncoder().encode(big)]),
    });
    assert.equal(chunked.status, 413);
  } finally {
    await t.close();
  }
});

Deno.test("an Origin that is not allowed gets 403; a listed one gets CORS headers", async () => {
  const t = await startAdminServer({
    groups: GROUPS,
    config: {
      users: { root: { password: "rootpw", permissions: "admin" } },
      allowAdminOrigin: ["https://ops.example"],
    },
  });
  try {
    const evil = await t.api(".groups/", {
      headers: { Authorization: ADMIN_AUTH, Origin: "https://evil.example" },
    });
    assert.equal(evil.status, 403);
    const preflight = await t.api(".groups/demo", {
      method: "OPTIONS",
      headers: { Origin: "https://ops.example" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(
      preflight.headers.get("access-control-allow-methods"),
      "OPTIONS, GET, HEAD, PUT, DELETE",
    );
    assert.match(
      preflight.headers.get("access-control-allow-headers")!,
      /^Authorization, Content-Type/,
    );
    assert.equal(
      preflight.headers.get("access-control-allow-origin"),
      "https://ops.example",
    );
    const evilPreflight = await t.api(".groups/demo", {
      method: "OPTIONS",
      headers: { Origin: "https://evil.example" },
    });
    assert.equal(evilPreflight.status, 403);
    const same = await t.api(".groups/", {
      headers: { Authorization: ADMIN_AUTH, Origin: t.url },
    });
    assert.equal(same.status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("a body of the wrong content type is refused with 415 and Accept", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const res = await t.api(".groups/demo", {
      method: "PUT",
      headers: { Authorization: ADMIN_AUTH, "Content-Type": "text/plain" },
      body: "{}",
    });
    assert.equal(res.status, 415);
    assert.equal(res.headers.get("accept"), "application/json");
    const password = await t.api(".groups/demo/.users/alice/.password", {
      method: "POST",
      headers: adminJson(),
      body: '"x"',
    });
    assert.equal(password.status, 415);
  } finally {
    await t.close();
  }
});

Deno.test("concurrent PUTs with the same If-Match: exactly one wins", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const etag = (await t.api(".groups/demo", { headers: adminJson() }))
      .headers.get("etag")!;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        t.api(".groups/demo", {
          method: "PUT",
          headers: adminJson({ "If-Match": etag }),
          body: JSON.stringify({ displayName: `writer ${i}` }),
        })),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [204, 412, 412, 412, 412, 412, 412, 412]);
    // The users survived every attempt.
    const users = await t.api(".groups/demo/.users/", { headers: adminJson() });
    assert.deepEqual(users.json(), ["alice", "gadmin"]);
  } finally {
    await t.close();
  }
});

Deno.test("unknown permission names are refused with 400", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const res = await t.api(".groups/demo/.users/bob", {
      method: "PUT",
      headers: adminJson(),
      body: JSON.stringify({ permissions: "superuser" }),
    });
    assert.equal(res.status, 400);
    const token = await t.api(".groups/demo/.tokens/", {
      method: "POST",
      headers: adminJson(),
      body: JSON.stringify({ permissions: ["root"] }),
    });
    assert.equal(token.status, 400);
  } finally {
    await t.close();
  }
});
