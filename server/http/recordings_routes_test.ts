import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { Hono } from "hono";
import { DescriptionStore } from "../config/description_store.ts";
import { GroupRegistry } from "../group/group_registry.ts";
import { handleError } from "./http_error.ts";
import { parseRange, recordingsRoutes } from "./recordings_routes.ts";

async function setup() {
  const root = await Deno.makeTempDir({ prefix: "nereid-recroutes-" });
  await Deno.mkdir(`${root}/groups`);
  await Deno.writeTextFile(
    `${root}/groups/g.json`,
    JSON.stringify({
      users: {
        rec: { password: "secret", permissions: "op" },
        plain: { password: "pw", permissions: "present" },
      },
      "allow-recording": true,
    }),
  );
  await Deno.mkdir(`${root}/recordings/g`, { recursive: true });
  await Deno.writeFile(
    `${root}/recordings/g/a.webm`,
    new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
  );
  await Deno.writeTextFile(`${root}/recordings/secret.txt`, "no");
  await Deno.writeTextFile(`${root}/recordings/g/.hidden`, "no");
  const groups = new GroupRegistry({
    store: new DescriptionStore({ groupsDir: `${root}/groups`, log: () => {} }),
    log: () => {},
  });
  const app = new Hono();
  app.onError(handleError);
  app.route(
    "/recordings",
    recordingsRoutes({
      recordingsDir: `${root}/recordings`,
      groups,
      config: () => Promise.resolve({ allowOrigin: [] }),
      now: () => Date.now(),
      failureDelay: 1,
    }),
  );
  return { root, app };
}

const good = { Authorization: `Basic ${btoa("rec:secret")}` };

Deno.test("recordings: /recordings redirects to /recordings/, a page that asks for a group", async () => {
  const { root, app } = await setup();
  try {
    const r = await app.request("/recordings");
    strictEqual(r.status, 308);
    strictEqual(r.headers.get("location"), "/recordings/");
    const page = await app.request("/recordings/");
    strictEqual(page.status, 200);
    ok((await page.text()).includes('name="group"'));
    strictEqual(
      (await app.request("/recordings/", { method: "POST" })).status,
      405,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("recordings: a missing or wrong password, or no record permission, gets 401 with the realm", async () => {
  const { root, app } = await setup();
  try {
    for (
      const headers of [
        {},
        { Authorization: `Basic ${btoa("rec:wrong")}` },
        { Authorization: `Basic ${btoa("plain:pw")}` },
        { Authorization: "Basic !!!" },
      ]
    ) {
      const r = await app.request("/recordings/g/", { headers });
      strictEqual(r.status, 401);
      strictEqual(
        r.headers.get("www-authenticate"),
        'basic realm="recordings/g"',
      );
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("recordings: the listing shows each file with its size and a delete form, and hides dot files", async () => {
  const { root, app } = await setup();
  try {
    strictEqual((await app.request("/recordings/g")).status, 308);
    const r = await app.request("/recordings/g/", { headers: good });
    strictEqual(r.status, 200);
    const html = await r.text();
    ok(html.includes('href="./a.webm"'));
    ok(html.includes('<td class="size">10 B</td>'));
    ok(html.includes('name="filename" value="a.webm"'));
    ok(!html.includes(".hidden"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("recordings: a download honours Range requests", async () => {
  const { root, app } = await setup();
  try {
    const whole = await app.request("/recordings/g/a.webm", { headers: good });
    strictEqual(whole.status, 200);
    strictEqual(whole.headers.get("content-type"), "video/webm");
    strictEqual((await whole.arrayBuffer()).byteLength, 10);
    const part = await app.request("/recordings/g/a.webm", {
      headers: { ...good, Range: "bytes=2-4" },
    });
    strictEqual(part.status, 206);
    strictEqual(part.headers.get("content-range"), "bytes 2-4/10");
    deepStrictEqual([...new Uint8Array(await part.arrayBuffer())], [2, 3, 4]);
    const bad = await app.request("/recordings/g/a.webm", {
      headers: { ...good, Range: "bytes=20-" },
    });
    strictEqual(bad.status, 416);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("recordings: nothing outside the group's folder is served or deleted", async () => {
  const { root, app } = await setup();
  try {
    for (
      const path of [
        "/recordings/g/.hidden",
        "/recordings/g/..%2Fsecret.txt",
        "/recordings/g/..%5Csecret.txt",
        "/recordings/g/%2E%2E/secret.txt",
      ]
    ) {
      const r = await app.request(path, { headers: good });
      // Never the file: refused, or (URL-normalised) sent elsewhere.
      ok([400, 401, 404, 308].includes(r.status), `${path}: ${r.status}`);
      await r.body?.cancel();
    }
    for (const filename of ["../secret.txt", ".hidden", "a\\b", ""]) {
      const r = await app.request("/recordings/g/", {
        method: "POST",
        headers: good,
        body: new URLSearchParams({ q: "delete", filename }),
      });
      strictEqual(r.status, 400, filename);
    }
    await Deno.stat(`${root}/recordings/secret.txt`);
    await Deno.stat(`${root}/recordings/g/.hidden`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("recordings: a delete form removes the file and redirects to the listing", async () => {
  const { root, app } = await setup();
  try {
    const r = await app.request("/recordings/g/", {
      method: "POST",
      headers: good,
      body: new URLSearchParams({ q: "delete", filename: "a.webm" }),
    });
    strictEqual(r.status, 303);
    strictEqual(r.headers.get("location"), "/recordings/g/");
    const gone = await app.request("/recordings/g/a.webm", { headers: good });
    strictEqual(gone.status, 404);
    const other = await app.request("/recordings/g/", {
      method: "POST",
      headers: good,
      body: new URLSearchParams({ q: "rename", filename: "a.webm" }),
    });
    strictEqual(other.status, 400);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("parseRange() reads one range and refuses unsatisfiable ones", () => {
  deepStrictEqual(parseRange("bytes=0-", 5), { start: 0, end: 4 });
  deepStrictEqual(parseRange("bytes=-2", 5), { start: 3, end: 4 });
  deepStrictEqual(parseRange("bytes=1-100", 5), { start: 1, end: 4 });
  strictEqual(parseRange("bytes=5-", 5), "bad");
  strictEqual(parseRange("bytes=0-1,3-4", 5), null);
  strictEqual(parseRange(undefined, 5), null);
});
