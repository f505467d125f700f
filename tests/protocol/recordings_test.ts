/**
 * Galène's `/recordings/`, through a real server: who may delete, what
 * over-long names get, and what the pages look like.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../support/test_server.ts";

const GROUP = {
  "allow-recording": true,
  users: { vimes: { password: "p", permissions: "op" } },
};
const AUTH = `Basic ${btoa("vimes:p")}`;

async function withRecordings(
  options: { config?: unknown },
  run: (t: TestServer, dir: string) => Promise<void>,
): Promise<void> {
  const t = await startTestServer({ groups: { g: GROUP }, ...options });
  try {
    const dir = join(t.recordingsDir, "g");
    await Deno.mkdir(dir);
    await Deno.writeFile(join(dir, "a.webm"), new Uint8Array(10));
    await Deno.writeFile(join(dir, "b.webm"), new Uint8Array(1_534_000));
    await Deno.writeFile(join(dir, "c.mkv"), new Uint8Array(45_600));
    await run(t, dir);
  } finally {
    await t.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

function deleteForm(
  t: TestServer,
  filename: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${t.url}/recordings/g/`, {
    method: "POST",
    headers: { Authorization: AUTH, ...headers },
    body: new URLSearchParams({ q: "delete", filename }),
    redirect: "manual",
  });
}

Deno.test("a delete sent from another site's page is refused with 403 and the file stays", async () => {
  await withRecordings({}, async (t, dir) => {
    const evil = await deleteForm(t, "a.webm", {
      Origin: "http://evil.example",
    });
    strictEqual(evil.status, 403);
    await evil.body?.cancel();
    ok(await exists(join(dir, "a.webm")), "the file is still there");
    await t.waitForLog('recordings: refused Origin "http://evil.example"');

    // The server's own page may delete.
    const own = await deleteForm(t, "a.webm", { Origin: t.url });
    strictEqual(own.status, 303);
    await own.body?.cancel();
    ok(!await exists(join(dir, "a.webm")), "deleted from the same origin");
    // And so may a client that sends no Origin (not a browser).
    const bare = await deleteForm(t, "b.webm");
    strictEqual(bare.status, 303);
    await bare.body?.cancel();
  });
});

Deno.test("a delete from an origin listed in allowOrigin is accepted", async () => {
  await withRecordings(
    { config: { allowOrigin: ["https://ops.example"] } },
    async (t, dir) => {
      const res = await deleteForm(t, "a.webm", {
        Origin: "https://ops.example",
      });
      strictEqual(res.status, 303);
      await res.body?.cancel();
      ok(!await exists(join(dir, "a.webm")));
      const other = await deleteForm(t, "b.webm", {
        Origin: "https://other.example",
      });
      strictEqual(other.status, 403);
      await other.body?.cancel();
    },
  );
});

Deno.test("over-long or malformed recording and group names are answered 400, 404 or 413, never 500", async () => {
  await withRecordings({}, async (t) => {
    const long = "a".repeat(300);
    const statuses: Record<string, number> = {};
    const get = await fetch(`${t.url}/recordings/g/${long}.webm`, {
      headers: { Authorization: AUTH },
    });
    statuses["GET 300-character file"] = get.status;
    await get.body?.cancel();
    const name = await deleteForm(t, `${long}.webm`);
    statuses["delete 300-character file"] = name.status;
    await name.body?.cancel();
    const huge = await deleteForm(t, "x".repeat(5_000_000));
    statuses["delete 5 MB file name"] = huge.status;
    await huge.body?.cancel();
    const group = await fetch(`${t.url}/recordings/${long}/`, {
      headers: { Authorization: AUTH },
    });
    statuses["listing of a 300-character group"] = group.status;
    await group.body?.cancel();
    const lineBreak = await fetch(`${t.url}/recordings/a%0Ab/`, {
      headers: { Authorization: AUTH },
    });
    statuses["listing of a group with a line break"] = lineBreak.status;
    await lineBreak.body?.cancel();
    deepStrictEqual(statuses, {
      "GET 300-character file": 404,
      "delete 300-character file": 400,
      // Refused before it is read: no delete form is anywhere near 64 kB.
      "delete 5 MB file name": 413,
      "listing of a 300-character group": 400,
      // Its name went into the WWW-Authenticate header, which refused it.
      "listing of a group with a line break": 400,
    });
  });
});

Deno.test("/recordings/ is a page that says a group's recordings are at /recordings/NAME/, and its form goes there", async () => {
  await withRecordings({}, async (t) => {
    const res = await fetch(`${t.url}/recordings/`);
    strictEqual(res.status, 200);
    ok(res.headers.get("content-type")?.startsWith("text/html"));
    const html = await res.text();
    ok(html.includes("<code>/recordings/GROUP/</code>"), html);
    ok(html.includes('<link rel="stylesheet" href="/common.css">'));
    ok(/<form[^>]*action="\/recordings\/"[^>]*method="get"/.test(html));
    const go = await fetch(`${t.url}/recordings/?group=a%2Fb%20c`, {
      redirect: "manual",
    });
    strictEqual(go.status, 303);
    strictEqual(go.headers.get("location"), "/recordings/a/b%20c/");
    const bad = await fetch(`${t.url}/recordings/?group=..%2Fx`);
    strictEqual(bad.status, 400);
    ok((await bad.text()).includes("There is no group of that name."));
  });
});

Deno.test("a group's listing wears the site's styles and shows sizes in B, kB and MB", async () => {
  await withRecordings({}, async (t) => {
    const res = await fetch(`${t.url}/recordings/g/`, {
      headers: { Authorization: AUTH },
    });
    strictEqual(res.status, 200);
    const html = await res.text();
    ok(html.includes('<link rel="stylesheet" href="/common.css">'));
    ok(html.includes('<link rel="stylesheet" href="/recordings.css">'));
    ok(html.includes('<a class="brand" href="/">Nereid</a>'));
    ok(html.includes('<td class="size">10 B</td>'), html);
    ok(html.includes('<td class="size">45.6 kB</td>'), html);
    ok(html.includes('<td class="size">1.53 MB</td>'), html);
    ok(html.includes("3 recordings, 1.58 MB in all."), html);
    // The stylesheets it names are served.
    for (const css of ["/common.css", "/recordings.css"]) {
      const sheet = await fetch(`${t.url}${css}`);
      strictEqual(sheet.status, 200, css);
      ok(sheet.headers.get("content-type")?.startsWith("text/css"), css);
      await sheet.body?.cancel();
    }
  });
});
