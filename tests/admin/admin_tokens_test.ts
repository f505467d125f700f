/** Functional tests of `.tokens/`, bearer authentication and `.stats`. */

import assert from "node:assert/strict";
import * as jose from "jose";
import { adminJson, startAdminServer } from "./admin_server.ts";

const KEY = "k".repeat(32);
const GROUPS = {
  demo: {
    authKeys: [{
      kty: "oct",
      alg: "HS256",
      k: jose.base64url.encode(new TextEncoder().encode(KEY)),
    }],
  },
  other: {},
};
const LATER = new Date(Date.now() + 3600_000).toISOString();

Deno.test("POST .tokens/ creates a named token (201, Location) listed with an ETag", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const res = await t.api(".groups/demo/.tokens/", {
      method: "POST",
      headers: adminJson(),
      body: JSON.stringify({ permissions: ["present"], expires: LATER }),
    });
    assert.equal(res.status, 201);
    const name = res.headers.get("location")!;
    assert.match(name, /^[A-Za-z0-9_-]{11}$/);
    const list = await t.api(".groups/demo/.tokens/", { headers: adminJson() });
    assert.deepEqual(list.json(), [name]);
    assert.ok(list.headers.get("etag"));
    const got = await t.api(`.groups/demo/.tokens/${name}`, {
      headers: adminJson(),
    });
    const body = got.json() as Record<string, unknown>;
    assert.deepEqual(body["permissions"], ["present"]);
    assert.equal(body["issuedBy"], "root");
    assert.equal(body["token"], undefined);
    assert.equal(body["group"], undefined);
    // Not visible from another group.
    assert.equal(
      (await t.api(`.groups/other/.tokens/${name}`, { headers: adminJson() }))
        .status,
      404,
    );
    for (const bad of [{ token: "x" }, { group: "other" }]) {
      const refused = await t.api(".groups/demo/.tokens/", {
        method: "POST",
        headers: adminJson(),
        body: JSON.stringify(bad),
      });
      assert.equal(refused.status, 400);
    }
    assert.equal(
      (await t.api(".groups/none/.tokens/", {
        method: "POST",
        headers: adminJson(),
        body: "{}",
      })).status,
      404,
    );
  } finally {
    await t.close();
  }
});

Deno.test("PUT .tokens/TOKEN creates, replaces with If-Match, refuses another group's (409)", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const path = ".groups/demo/.tokens/mytoken";
    const created = await t.api(path, {
      method: "PUT",
      headers: adminJson({ "If-None-Match": "*" }),
      body: JSON.stringify({ permissions: ["present"], expires: LATER }),
    });
    assert.equal(created.status, 201);
    const etag = (await t.api(path, { headers: adminJson() })).headers.get(
      "etag",
    )!;
    const replaced = await t.api(path, {
      method: "PUT",
      headers: adminJson({ "If-Match": etag }),
      body: JSON.stringify({ permissions: ["message"], expires: LATER }),
    });
    assert.equal(replaced.status, 204);
    const stale = await t.api(path, {
      method: "PUT",
      headers: adminJson({ "If-Match": etag }),
      body: JSON.stringify({ permissions: [], expires: LATER }),
    });
    assert.equal(stale.status, 412);
    const conflict = await t.api(".groups/other/.tokens/mytoken", {
      method: "PUT",
      headers: adminJson(),
      body: JSON.stringify({ permissions: [] }),
    });
    assert.equal(conflict.status, 409);
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

Deno.test("global tokens live under .groups/.tokens/ and can administer the server", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const res = await t.api(".groups/.tokens/", {
      method: "POST",
      headers: adminJson(),
      body: JSON.stringify({
        includeSubgroups: true,
        permissions: ["admin"],
        expires: LATER,
      }),
    });
    assert.equal(res.status, 201);
    const bearer = { Authorization: `Bearer ${res.headers.get("location")}` };
    assert.equal((await t.api(".stats", { headers: bearer })).status, 200);
    assert.equal((await t.api(".groups/", { headers: bearer })).status, 200);
    assert.equal(
      (await t.api(".groups/demo", { headers: bearer })).status,
      200,
    );
  } finally {
    await t.close();
  }
});

Deno.test("a group token or JWT with admin administers its group only", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    const res = await t.api(".groups/demo/.tokens/", {
      method: "POST",
      headers: adminJson(),
      body: JSON.stringify({ permissions: ["admin"], expires: LATER }),
    });
    const stateful = { Authorization: `Bearer ${res.headers.get("location")}` };
    assert.equal(
      (await t.api(".groups/demo", { headers: stateful })).status,
      200,
    );
    assert.equal(
      (await t.api(".groups/other", { headers: stateful })).status,
      401,
    );
    assert.equal((await t.api(".stats", { headers: stateful })).status, 401);

    const jwt = await new jose.SignJWT({ permissions: ["admin"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("jwtadmin")
      .setAudience(`${t.url}/group/demo/`)
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(KEY));
    const bearer = { Authorization: `Bearer ${jwt}` };
    assert.equal(
      (await t.api(".groups/demo", { headers: bearer })).status,
      200,
    );
    assert.equal((await t.api(".stats", { headers: bearer })).status, 401);
    const expired = await t.api(".groups/demo/.tokens/", {
      method: "POST",
      headers: adminJson(),
      body: JSON.stringify({
        permissions: ["admin"],
        expires: "2000-01-01T00:00:00Z",
      }),
    });
    assert.equal(
      (await t.api(".groups/demo", {
        headers: { Authorization: `Bearer ${expired.headers.get("location")}` },
      })).status,
      401,
    );
  } finally {
    await t.close();
  }
});

Deno.test(".stats lists groups, clients and their connections", async () => {
  const t = await startAdminServer({ groups: GROUPS });
  try {
    await t.addMember("demo", "c1", ["s1"]);
    await t.addMember("demo", "c2");
    t.mediaStats = [
      {
        id: "s1",
        direction: "up",
        tracks: [{ bitrate: 800000, loss: 0.02, jitter: 0.003, layer: "h" }],
      },
      {
        id: "s1",
        direction: "down",
        subscriber: "c2",
        tracks: [{ bitrate: 700000, loss: 0, rtt: 0.04 }],
      },
    ];
    const res = await t.api(".stats", { headers: adminJson() });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    assert.deepEqual(res.json(), [{
      name: "demo",
      clients: [
        {
          id: "c1",
          username: "c1",
          up: [{
            id: "s1",
            tracks: [{ bitrate: 800000, loss: 0.02, jitter: 3, layer: "h" }],
          }],
          down: [],
        },
        {
          id: "c2",
          username: "c2",
          up: [],
          down: [{ id: "s1", tracks: [{ bitrate: 700000, loss: 0, rtt: 40 }] }],
        },
      ],
    }]);
  } finally {
    await t.close();
  }
});
