/** Functional tests of users and passwords over HTTP. */

import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { adminJson, basic, startAdminServer } from "./admin_server.ts";

const GROUPS = {
  demo: {
    users: {
      alice: { password: "alicepw", permissions: "op" },
      "": { password: "", permissions: "observe" },
    },
  },
};

Deno.test(".users/ lists usernames with the group's ETag", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const res = await t.api(".groups/demo/.users/", { headers: adminJson() });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), ["alice"]);
    const group = await t.api(".groups/demo", { headers: adminJson() });
    assert.equal(res.headers.get("etag"), group.headers.get("etag"));
    assert.equal(
      (await t.api(".groups/none/.users/", { headers: adminJson() })).status,
      404,
    );
  } finally {
    await t.close();
  }
});

Deno.test("a user is created (201), read without password, updated (204) and deleted", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const path = ".groups/demo/.users/bob";
    assert.equal((await t.api(path, { headers: adminJson() })).status, 404);
    const created = await t.api(path, {
      method: "PUT",
      headers: adminJson({ "If-None-Match": "*" }),
      body: JSON.stringify({ permissions: "present" }),
    });
    assert.equal(created.status, 201);
    const got = await t.api(path, { headers: adminJson() });
    assert.deepEqual(got.json(), { permissions: "present" });
    const etag = got.headers.get("etag")!;
    const refused = await t.api(path, {
      method: "PUT",
      headers: adminJson(),
      body: JSON.stringify({ permissions: "op", password: "x" }),
    });
    assert.equal(refused.status, 400);
    const updated = await t.api(path, {
      method: "PUT",
      headers: adminJson({ "If-Match": etag }),
      body: JSON.stringify({ permissions: ["op", "present"] }),
    });
    assert.equal(updated.status, 204);
    // alice kept her password through all this.
    const file = await t.readGroup("demo") as {
      users: Record<string, unknown>;
    };
    assert.deepEqual(file.users["alice"], {
      password: "alicepw",
      permissions: "op",
    });
    assert.deepEqual(file.users["bob"], { permissions: ["op", "present"] });
    const del = await t.api(path, { method: "DELETE", headers: adminJson() });
    assert.equal(del.status, 204);
    assert.equal(
      (await t.api(path, { method: "DELETE", headers: adminJson() })).status,
      404,
    );
  } finally {
    await t.close();
  }
});

Deno.test("an existing user's password survives a permissions update", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const res = await t.api(".groups/demo/.users/alice", {
      method: "PUT",
      headers: adminJson(),
      body: JSON.stringify({ permissions: "present" }),
    });
    assert.equal(res.status, 204);
    const file = await t.readGroup("demo") as {
      users: Record<string, unknown>;
    };
    assert.deepEqual(file.users["alice"], {
      password: "alicepw",
      permissions: "present",
    });
  } finally {
    await t.close();
  }
});

Deno.test(".wildcard-user and .empty-user are read and written like users", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const empty = await t.api(".groups/demo/.empty-user", {
      headers: adminJson(),
    });
    assert.deepEqual(empty.json(), { permissions: "observe" });
    assert.equal(
      (await t.api(".groups/demo/.wildcard-user", { headers: adminJson() }))
        .status,
      404,
    );
    const put = await t.api(".groups/demo/.wildcard-user", {
      method: "PUT",
      headers: adminJson(),
      body: JSON.stringify({ permissions: "message" }),
    });
    assert.equal(put.status, 201);
    const pw = await t.api(".groups/demo/.wildcard-user/.password", {
      method: "PUT",
      headers: adminJson(),
      body: JSON.stringify({ type: "wildcard" }),
    });
    assert.equal(pw.status, 204);
    const file = await t.readGroup("demo") as Record<string, unknown>;
    assert.deepEqual(file["wildcard-user"], {
      password: { type: "wildcard" },
      permissions: "message",
    });
    const del = await t.api(".groups/demo/.empty-user", {
      method: "DELETE",
      headers: adminJson(),
    });
    assert.equal(del.status, 204);
  } finally {
    await t.close();
  }
});

Deno.test("POST .password hashes cleartext with bcrypt cost 8; DELETE removes it", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const path = ".groups/demo/.users/alice/.password";
    const res = await t.api(path, {
      method: "POST",
      headers: { ...adminJson(), "Content-Type": "text/plain" },
      body: "s3cret",
    });
    assert.equal(res.status, 204);
    let file = await t.readGroup("demo") as {
      users: Record<string, { password?: { type: string; key: string } }>;
    };
    const stored = file.users["alice"]!.password!;
    assert.equal(stored.type, "bcrypt");
    assert.match(stored.key, /^\$2[aby]\$08\$/);
    assert.ok(bcrypt.compareSync("s3cret", stored.key));
    const bad = await t.api(path, {
      method: "PUT",
      headers: adminJson(),
      body: JSON.stringify({ type: "rot13" }),
    });
    assert.equal(bad.status, 400);
    const missing = await t.api(".groups/demo/.users/nobody/.password", {
      method: "DELETE",
      headers: adminJson(),
    });
    assert.equal(missing.status, 404);
    const del = await t.api(path, { method: "DELETE", headers: adminJson() });
    assert.equal(del.status, 204);
    file = await t.readGroup("demo") as typeof file;
    assert.equal(file.users["alice"]!.password, undefined);
  } finally {
    await t.close();
  }
});

Deno.test("a user may change his own password but nothing else", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const alice = basic("alice", "alicepw");
    const own = await t.api(".groups/demo/.users/alice/.password", {
      method: "POST",
      headers: { Authorization: alice, "Content-Type": "text/plain" },
      body: "newpw",
    });
    assert.equal(own.status, 204);
    const old = await t.api(".groups/demo/.users/alice/.password", {
      method: "POST",
      headers: { Authorization: alice, "Content-Type": "text/plain" },
      body: "again",
    });
    assert.equal(old.status, 401);
    const renewed = basic("alice", "newpw");
    for (
      const [path, method] of [
        [".groups/demo/.empty-user/.password", "DELETE"],
        [".groups/demo/.users/alice", "GET"],
        [".groups/demo", "GET"],
      ]
    ) {
      const res = await t.api(path!, {
        method: method!,
        headers: { Authorization: renewed },
      });
      assert.equal(res.status, 401, path);
    }
  } finally {
    await t.close();
  }
});
