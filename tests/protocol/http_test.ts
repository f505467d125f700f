/**
 * Galène's HTTP endpoints a client reads before and around the
 * WebSocket — `.status`, the group page, `public-groups.json`, the `/ws`
 * Origin check, `canonicalHost` and `proxyURL`.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { rawRequest } from "../support/raw_http.ts";
import { startTestServer } from "../support/test_server.ts";

const user = (permissions: unknown) => ({ password: "p", permissions });
const GROUPS = {
  pub: {
    public: true,
    displayName: "Public",
    description: "Open to all",
    authServer: "https://auth.example.org/token",
    authPortal: "https://auth.example.org/portal",
    users: { vimes: user("op") },
  },
  priv: {
    displayName: "Private",
    description: "Members only",
    users: { vimes: user("op") },
  },
  alpha: { public: true, users: { vimes: user("op") } },
  moved: {
    redirect: "https://elsewhere.example.org/group/new/",
    displayName: "Moved",
    description: "Gone",
    public: true,
  },
};

async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url);
  strictEqual(res.status, 200, url);
  strictEqual(res.headers.get("cache-control"), "no-cache");
  ok(res.headers.get("content-type")?.startsWith("application/json"));
  return await res.json();
}

Deno.test(".status of a public group has exactly the reference's fields", async () => {
  const t = await startTestServer({ groups: GROUPS });
  try {
    await t.member("pub", "vimes", "p");
    const host = new URL(t.url).host;
    deepStrictEqual(await getJson(`${t.url}/group/pub/.status`), {
      name: "pub",
      location: `http://${host}/group/pub/`,
      endpoint: `ws://${host}/ws`,
      displayName: "Public",
      description: "Open to all",
      authServer: "https://auth.example.org/token",
      authPortal: "https://auth.example.org/portal",
      clientCount: 1,
    });
    const head = await fetch(`${t.url}/group/pub/.status`, { method: "HEAD" });
    await head.body?.cancel();
    strictEqual(head.status, 200);
    // Other special names under a group are not found.
    const other = await fetch(`${t.url}/group/pub/.whatever`);
    await other.body?.cancel();
    strictEqual(other.status, 404);
    const vimes = [...t.server.sessions][0]!;
    vimes.group?.setLock("closed");
    strictEqual(
      (await getJson(`${t.url}/group/pub/.status`))["locked"],
      true,
    );
  } finally {
    await t.close();
  }
});

Deno.test(".status of a private group omits locked and clientCount", async () => {
  const t = await startTestServer({ groups: GROUPS });
  try {
    await t.member("priv", "vimes", "p");
    const host = new URL(t.url).host;
    t.server.groups.existing("priv")?.setLock("closed");
    deepStrictEqual(await getJson(`${t.url}/group/priv/.status`), {
      name: "priv",
      location: `http://${host}/group/priv/`,
      endpoint: `ws://${host}/ws`,
      displayName: "Private",
      description: "Members only",
    });
  } finally {
    await t.close();
  }
});

Deno.test(".status of a redirect group has only name, redirect, displayName and description", async () => {
  const t = await startTestServer({ groups: GROUPS });
  try {
    deepStrictEqual(await getJson(`${t.url}/group/moved/.status`), {
      name: "moved",
      redirect: "https://elsewhere.example.org/group/new/",
      displayName: "Moved",
      description: "Gone",
    });
    const page = await fetch(`${t.url}/group/moved/`, { redirect: "manual" });
    await page.body?.cancel();
    strictEqual(page.status, 308);
    strictEqual(
      page.headers.get("location"),
      "https://elsewhere.example.org/group/new/",
    );
  } finally {
    await t.close();
  }
});

Deno.test(".status.json redirects with 308 to .status", async () => {
  const t = await startTestServer({ groups: GROUPS });
  try {
    for (const method of ["GET", "HEAD"]) {
      const res = await fetch(`${t.url}/group/pub/.status.json`, {
        method,
        redirect: "manual",
      });
      await res.body?.cancel();
      strictEqual(res.status, 308);
      strictEqual(
        new URL(res.headers.get("location")!, t.url).pathname,
        "/group/pub/.status",
      );
    }
  } finally {
    await t.close();
  }
});

Deno.test("/group/NAME redirects with 308 to /group/NAME/ and that serves the group page", async () => {
  const t = await startTestServer({ groups: GROUPS });
  try {
    const res = await fetch(`${t.url}/group/priv`, { redirect: "manual" });
    await res.body?.cancel();
    strictEqual(res.status, 308);
    strictEqual(
      new URL(res.headers.get("location")!, t.url).pathname,
      "/group/priv/",
    );
    const page = await fetch(`${t.url}/group/priv/`);
    strictEqual(page.status, 200);
    ok(page.headers.get("content-type")?.startsWith("text/html"));
    const html = await page.text();
    strictEqual(
      html,
      await Deno.readTextFile(
        new URL("../../client/galene.html", import.meta.url),
      ),
    );
  } finally {
    await t.close();
  }
});

Deno.test("an unknown group is a 404 with the 404 page", async () => {
  const t = await startTestServer({ groups: GROUPS });
  try {
    for (const path of ["/group/nope/", "/group/nope/.status", "/group/nope"]) {
      const res = await fetch(`${t.url}${path}`, { redirect: "manual" });
      strictEqual(res.status, 404, path);
      ok(res.headers.get("content-type")?.startsWith("text/html"), path);
      ok((await res.text()).includes("Page not found"), path);
    }
    const head = await fetch(`${t.url}/group/nope/.status.json`, {
      method: "HEAD",
    });
    strictEqual(head.status, 404);
  } finally {
    await t.close();
  }
});

Deno.test("group names with .., a backslash or a leading dot are refused", async () => {
  const t = await startTestServer({
    groups: { ...GROUPS, "a/b": { users: {} } },
  });
  try {
    for (
      const path of [
        "/group/a/../pub/",
        "/group/../pub/",
        "/group/a/./b/",
        "/group/a%2F..%2Fpub/",
        "/group/a\\b/",
        "/group/a%5Cb/.status",
        "/group/.hidden/",
        "/group/a/.b/.status",
      ]
    ) {
      const res = await rawRequest(t.server.port, { path });
      ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
    }
    strictEqual(
      (await rawRequest(t.server.port, { path: "/group/a/b/" })).status,
      200,
    );
  } finally {
    await t.close();
  }
});

Deno.test("/public-groups.json lists public groups only, sorted by name", async () => {
  const t = await startTestServer({ groups: GROUPS });
  try {
    await t.member("pub", "vimes", "p");
    const res = await fetch(`${t.url}/public-groups.json`);
    strictEqual(res.status, 200);
    const list = await res.json() as Array<Record<string, unknown>>;
    deepStrictEqual(list.map((g) => g["name"]), ["alpha", "moved", "pub"]);
    const pub = list[2]!;
    strictEqual(pub["displayName"], "Public");
    strictEqual(pub["description"], "Open to all");
    strictEqual(pub["clientCount"], 1);
    ok(
      String(pub["location"]).endsWith("/group/pub/"),
      String(pub["location"]),
    );
    strictEqual(list[0]?.["clientCount"], 0);
    strictEqual(
      list[1]?.["redirect"],
      "https://elsewhere.example.org/group/new/",
    );
  } finally {
    await t.close();
  }
});

Deno.test("pages carry the reference's security headers", async () => {
  const t = await startTestServer({ groups: GROUPS });
  try {
    for (const path of ["/group/priv/", "/", "/group/nope/"]) {
      const res = await fetch(`${t.url}${path}`);
      await res.body?.cancel();
      const csp = res.headers.get("content-security-policy") ?? "";
      ok(csp.includes("default-src 'self'"), `${path}: ${csp}`);
      ok(/connect-src [^;]*ws:/.test(csp), `${path}: ${csp}`);
      ok(/script-src [^;]*'unsafe-eval'/.test(csp), `${path}: ${csp}`);
      ok(/media-src [^;]*blob:/.test(csp), `${path}: ${csp}`);
      strictEqual(res.headers.get("referrer-policy"), "no-referrer", path);
      strictEqual(res.headers.get("x-content-type-options"), "nosniff", path);
    }
    // The group page may talk to its authServer.
    const res = await fetch(`${t.url}/group/pub/`);
    await res.body?.cancel();
    ok(
      res.headers.get("content-security-policy")?.includes(
        "https://auth.example.org",
      ),
    );
  } finally {
    await t.close();
  }
});

const UPGRADE = {
  upgrade: "websocket",
  connection: "Upgrade",
  "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
  "sec-websocket-version": "13",
};

async function upgradeStatus(
  port: number,
  headers: Record<string, string>,
): Promise<number> {
  const res = await rawRequest(port, {
    path: "/ws",
    headers: { ...UPGRADE, ...headers },
  });
  return res.status;
}

Deno.test("/ws accepts no Origin or the same host, and refuses another origin with 403", async () => {
  const t = await startTestServer({ groups: GROUPS });
  try {
    const host = new URL(t.url).host;
    strictEqual(await upgradeStatus(t.server.port, {}), 101);
    strictEqual(
      await upgradeStatus(t.server.port, { origin: `http://${host}` }),
      101,
    );
    strictEqual(
      await upgradeStatus(t.server.port, { origin: "https://evil.example" }),
      403,
    );
    const c = await t.connect({ origin: `http://${host}` });
    await c.handshake();
    let refused = false;
    await t.connect({ origin: "https://evil.example" }).catch(() => {
      refused = true;
    });
    ok(refused);
  } finally {
    await t.close();
  }
});

Deno.test("/ws accepts an origin listed in allowOrigin, and any origin on a publicServer", async () => {
  const t = await startTestServer({
    groups: GROUPS,
    config: { allowOrigin: ["https://friend.example"] },
  });
  try {
    strictEqual(
      await upgradeStatus(t.server.port, { origin: "https://friend.example" }),
      101,
    );
    strictEqual(
      await upgradeStatus(t.server.port, { origin: "https://other.example" }),
      403,
    );
    await t.writeConfig({ publicServer: true });
    strictEqual(
      await upgradeStatus(t.server.port, { origin: "https://other.example" }),
      101,
    );
  } finally {
    await t.close();
  }
});

Deno.test("canonicalHost redirects other host names with 301 but serves its own", async () => {
  const t = await startTestServer({
    groups: GROUPS,
    config: { canonicalHost: "galene.example.org" },
  });
  try {
    for (const path of ["/", "/group/pub/", "/group/pub/.status"]) {
      const res = await rawRequest(t.server.port, { path });
      strictEqual(res.status, 301, path);
      strictEqual(
        res.headers.get("location"),
        `https://galene.example.org${path}`,
      );
    }
    const own = await rawRequest(t.server.port, {
      path: "/group/pub/.status",
      headers: { host: "galene.example.org" },
    });
    strictEqual(own.status, 200);
    // The WebSocket is not redirected.
    strictEqual(await upgradeStatus(t.server.port, {}), 101);
  } finally {
    await t.close();
  }
});

Deno.test("proxyURL sets the location and endpoint in .status", async () => {
  const t = await startTestServer({
    groups: GROUPS,
    config: { proxyURL: "https://meet.example.org/galene/" },
  });
  try {
    const status = await getJson(`${t.url}/group/priv/.status`);
    strictEqual(
      status["location"],
      "https://meet.example.org/galene/group/priv/",
    );
    strictEqual(status["endpoint"], "wss://meet.example.org/galene/ws");
  } finally {
    await t.close();
  }
});

Deno.test("the recordings browser is mounted and asks for group credentials", async () => {
  const t = await startTestServer({
    groups: {
      g: {
        "allow-recording": true,
        users: { vimes: { password: "p", permissions: "op" } },
      },
    },
  });
  try {
    const bare = await fetch(`${t.url}/recordings`, { redirect: "manual" });
    await bare.body?.cancel();
    strictEqual(bare.status, 308);
    // Without a group, a page that says where a group's recordings are.
    const root = await fetch(`${t.url}/recordings/`);
    await root.body?.cancel();
    strictEqual(root.status, 200);
    const anonymous = await fetch(`${t.url}/recordings/g/`);
    await anonymous.body?.cancel();
    strictEqual(anonymous.status, 401);
    const op = await fetch(`${t.url}/recordings/g/`, {
      headers: { Authorization: `Basic ${btoa("vimes:p")}` },
    });
    await op.body?.cancel();
    strictEqual(op.status, 200);
  } finally {
    await t.close();
  }
});
