/** Functional tests of `.groups/`, `.groups/NAME` and `.keys` over HTTP. */

import assert from "node:assert/strict";
import { ADMIN_AUTH, adminJson, startAdminServer } from "./admin_server.ts";

const GROUPS = {
  demo: {
    displayName: "Demo",
    users: { alice: { password: "alicepw", permissions: "op" } },
    "wildcard-user": { password: { type: "wildcard" }, permissions: "present" },
    authKeys: [{ kty: "oct", alg: "HS256", k: "a".repeat(43) }],
  },
  "teaching/networking": { public: true },
  parent: { "auto-subgroups": true },
};
const HS256 = { kty: "oct", alg: "HS256", k: "b".repeat(43) };

Deno.test(".groups/ lists nested groups with an ETag, and HEAD has no body", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const res = await t.api(".groups/", { headers: adminJson() });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), ["demo", "parent", "teaching/networking"]);
    const etag = res.headers.get("etag")!;
    const again = await t.api(".groups/", {
      headers: adminJson({ "If-None-Match": etag }),
    });
    assert.equal(again.status, 304);
    const head = await t.api(".groups/", {
      method: "HEAD",
      headers: adminJson(),
    });
    assert.equal(head.status, 200);
    assert.equal(head.text, "");
    assert.equal(head.headers.get("etag"), etag);
  } finally {
    await t.close();
  }
});

Deno.test("GET .groups/NAME is sanitised and auto-subgroups are 404", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const res = await t.api(".groups/demo/", { headers: adminJson() });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { displayName: "Demo" });
    assert.match(res.headers.get("etag")!, /^"\d+-\d+-\d+"$/);
    assert.equal(
      (await t.api(".groups/teaching/networking", { headers: adminJson() }))
        .status,
      200,
    );
    assert.equal(
      (await t.api(".groups/parent/child", { headers: adminJson() })).status,
      404,
    );
    assert.equal(
      (await t.api(".groups/nothing", { headers: adminJson() })).status,
      404,
    );
  } finally {
    await t.close();
  }
});

Deno.test("PUT creates (201) and updates (204) a group, keeping its users and keys", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const created = await t.api(".groups/new/sub", {
      method: "PUT",
      headers: adminJson({ "If-None-Match": "*" }),
      body: JSON.stringify({ public: true, "max-clients": 5 }),
    });
    assert.equal(created.status, 201);
    assert.deepEqual(await t.readGroup("new/sub"), {
      public: true,
      "max-clients": 5,
    });
    const again = await t.api(".groups/new/sub", {
      method: "PUT",
      headers: adminJson({ "If-None-Match": "*" }),
      body: "{}",
    });
    assert.equal(again.status, 412);
    const mode = (await Deno.stat(`${t.groupsDir}/new`)).mode! & 0o777;
    assert.equal(mode, 0o700);

    const updated = await t.api(".groups/demo", {
      method: "PUT",
      headers: adminJson(),
      body: JSON.stringify({ displayName: "Renamed", autolock: true }),
    });
    assert.equal(updated.status, 204);
    const file = await t.readGroup("demo") as Record<string, unknown>;
    assert.equal(file["displayName"], "Renamed");
    assert.equal(file["autolock"], true);
    assert.deepEqual(Object.keys(file["users"] as object), ["alice"]);
    assert.ok(file["wildcard-user"]);
    assert.equal((file["authKeys"] as unknown[]).length, 1);
  } finally {
    await t.close();
  }
});

Deno.test("PUT refuses credentials and invalid fields with 400", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    for (
      const body of [
        { users: {} },
        { "wildcard-user": { permissions: "op" } },
        { authKeys: [] },
        { codecs: ["mp3"] },
        { nonsense: 1 },
        [],
      ]
    ) {
      const res = await t.api(".groups/demo", {
        method: "PUT",
        headers: adminJson(),
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 400, JSON.stringify(body));
    }
  } finally {
    await t.close();
  }
});

Deno.test("DELETE removes a group (204), then 404; If-Match is honoured", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const stale = await t.api(".groups/demo", {
      method: "DELETE",
      headers: adminJson({ "If-Match": '"1-2-3"' }),
    });
    assert.equal(stale.status, 412);
    const res = await t.api(".groups/demo", {
      method: "DELETE",
      headers: adminJson(),
    });
    assert.equal(res.status, 204);
    const gone = await t.api(".groups/demo", {
      method: "DELETE",
      headers: adminJson(),
    });
    assert.equal(gone.status, 404);
  } finally {
    await t.close();
  }
});

Deno.test("PUT .keys validates and stores a JWK set; DELETE removes it", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const bad = await t.api(".groups/demo/.keys", {
      method: "PUT",
      headers: { ...adminJson(), "Content-Type": "application/jwk-set+json" },
      body: JSON.stringify({ keys: [{ kty: "oct", alg: "none" }] }),
    });
    assert.equal(bad.status, 400);
    const res = await t.api(".groups/demo/.keys", {
      method: "PUT",
      headers: { ...adminJson(), "Content-Type": "application/jwk-set+json" },
      body: JSON.stringify({ keys: [HS256] }),
    });
    assert.equal(res.status, 204);
    let file = await t.readGroup("demo") as Record<string, unknown>;
    assert.deepEqual(file["authKeys"], [HS256]);
    const get = await t.api(".groups/demo/.keys", { headers: adminJson() });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "OPTIONS, PUT, DELETE");
    const del = await t.api(".groups/demo/.keys", {
      method: "DELETE",
      headers: { Authorization: ADMIN_AUTH },
    });
    assert.equal(del.status, 204);
    file = await t.readGroup("demo") as Record<string, unknown>;
    assert.equal(file["authKeys"], undefined);
  } finally {
    await t.close();
  }
});

Deno.test("a broken group file is reported with 500 and never overwritten", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    await Deno.writeTextFile(`${t.groupsDir}/demo.json`, "{ broken");
    const get = await t.api(".groups/demo", { headers: adminJson() });
    assert.equal(get.status, 500);
    const put = await t.api(".groups/demo", {
      method: "PUT",
      headers: adminJson(),
      body: "{}",
    });
    assert.equal(put.status, 500);
    assert.equal(
      await Deno.readTextFile(`${t.groupsDir}/demo.json`),
      "{ broken",
    );
  } finally {
    await t.close();
  }
});
