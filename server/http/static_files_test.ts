import { Hono } from "hono";
import { join } from "node:path";
import { handleError } from "./http_error.ts";
import { notFoundPage, serveStatic } from "./static_files.ts";

function assertEquals<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) {
    throw new Error(
      `${what}: expected ${String(expected)}, got ${String(actual)}`,
    );
  }
}

const SECRET = "outside the root";

/** A temp tree: `<dir>/root` is served, `<dir>/outside` must never be. */
async function withTree(
  fn: (app: Hono, root: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const root = join(dir, "root");
  try {
    await Deno.mkdir(join(root, "sub"), { recursive: true });
    await Deno.mkdir(join(root, "empty"));
    await Deno.mkdir(join(root, "third-party"));
    await Deno.mkdir(join(dir, "outside"));
    await Deno.writeTextFile(join(dir, "outside", "secret.txt"), SECRET);
    await Deno.writeTextFile(join(root, "index.html"), "<h1>home</h1>");
    await Deno.writeTextFile(join(root, "app.js"), "console.log(1);\n");
    await Deno.writeTextFile(join(root, "style.css"), "body{}");
    await Deno.writeTextFile(join(root, "font.woff2"), "woff2");
    await Deno.writeTextFile(join(root, "blob.xyz"), "?");
    await Deno.writeTextFile(join(root, ".hidden"), "hidden");
    await Deno.writeTextFile(join(root, "404.html"), "<p>lost</p>");
    await Deno.writeTextFile(join(root, "sub", "index.html"), "<h1>sub</h1>");
    await Deno.writeTextFile(join(root, "third-party", "lib.js"), "lib()");
    await Deno.symlink(join(root, "app.js"), join(root, "alias.js"));
    await Deno.symlink(
      join(dir, "outside", "secret.txt"),
      join(root, "esc.txt"),
    );
    await Deno.symlink(join(dir, "outside"), join(root, "escdir"));
    const app = new Hono();
    app.onError(handleError);
    app.get("/*", serveStatic({ root }));
    app.notFound(notFoundPage(root));
    await fn(app, root);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a file is served with its type, length, ETag and cache lifetime", async () => {
  await withTree(async (app, root) => {
    const res = await app.request("/app.js");
    assertEquals(res.status, 200, "status");
    assertEquals(await res.text(), "console.log(1);\n", "body");
    assertEquals(
      res.headers.get("Content-Type"),
      "text/javascript; charset=utf-8",
      "type",
    );
    assertEquals(res.headers.get("Content-Length"), "16", "length");
    assertEquals(res.headers.get("Cache-Control"), "max-age=1800", "cache");
    const info = await Deno.stat(join(root, "app.js"));
    assertEquals(
      res.headers.get("ETag"),
      `"16-${info.mtime?.getTime()}"`,
      "etag",
    );
  });
});

Deno.test("content types follow the extension, unknown ones are octet-stream", async () => {
  await withTree(async (app) => {
    const cases: [string, string][] = [
      ["/style.css", "text/css; charset=utf-8"],
      ["/font.woff2", "font/woff2"],
      ["/blob.xyz", "application/octet-stream"],
      ["/index.html", "text/html; charset=utf-8"],
    ];
    for (const [path, type] of cases) {
      const res = await app.request(path);
      assertEquals(res.headers.get("Content-Type"), type, path);
      await res.body?.cancel();
    }
  });
});

Deno.test("If-None-Match with the current ETag answers 304 without a body", async () => {
  await withTree(async (app) => {
    const first = await app.request("/style.css");
    await first.body?.cancel();
    const etag = first.headers.get("ETag") ?? "";
    for (const header of [etag, `"nope", ${etag}`, `W/${etag}`, "*"]) {
      const res = await app.request("/style.css", {
        headers: { "If-None-Match": header },
      });
      assertEquals(res.status, 304, `status for ${header}`);
      assertEquals(await res.text(), "", "body");
      assertEquals(res.headers.get("ETag"), etag, "etag on 304");
    }
    const stale = await app.request("/style.css", {
      headers: { "If-None-Match": '"0-0"' },
    });
    assertEquals(stale.status, 200, "stale tag");
    await stale.body?.cancel();
  });
});

Deno.test("HEAD answers the headers of GET with no body", async () => {
  await withTree(async (app) => {
    const res = await app.request("/app.js", { method: "HEAD" });
    assertEquals(res.status, 200, "status");
    assertEquals(res.headers.get("Content-Length"), "16", "length");
    assertEquals(await res.text(), "", "body");
  });
});

Deno.test("files under /third-party/ are cached for a day", async () => {
  await withTree(async (app) => {
    const res = await app.request("/third-party/lib.js");
    assertEquals(res.headers.get("Cache-Control"), "max-age=86400", "cache");
    assertEquals(await res.text(), "lib()", "body");
  });
});

Deno.test("a directory without a trailing slash is redirected with 308, keeping the query", async () => {
  await withTree(async (app) => {
    const res = await app.request("/sub?x=1");
    assertEquals(res.status, 308, "status");
    assertEquals(res.headers.get("Location"), "/sub/?x=1", "location");
  });
});

Deno.test("a directory serves its index.html, or 403 without one", async () => {
  await withTree(async (app) => {
    const home = await app.request("/");
    assertEquals(await home.text(), "<h1>home</h1>", "root index");
    const sub = await app.request("/sub/");
    assertEquals(sub.status, 200, "sub status");
    assertEquals(await sub.text(), "<h1>sub</h1>", "sub index");
    const empty = await app.request("/empty/");
    assertEquals(empty.status, 403, "empty dir");
    await empty.body?.cancel();
  });
});

Deno.test("a missing file falls through to the 404 page", async () => {
  await withTree(async (app) => {
    const res = await app.request("/nope.js");
    assertEquals(res.status, 404, "status");
    assertEquals(await res.text(), "<p>lost</p>", "404.html");
    const hidden = await app.request("/.hidden");
    assertEquals(hidden.status, 404, "dot-file");
    await hidden.body?.cancel();
    const post = await app.request("/app.js", { method: "POST" });
    assertEquals(post.status, 404, "POST is not served");
    await post.body?.cancel();
  });
});

Deno.test("the 404 page falls back to plain text when 404.html is absent", async () => {
  await withTree(async (app, root) => {
    await Deno.remove(join(root, "404.html"));
    const res = await app.request("/nope");
    assertEquals(res.status, 404, "status");
    assertEquals(
      res.headers.get("Content-Type"),
      "text/plain; charset=utf-8",
      "type",
    );
    assertEquals(await res.text(), "Not found", "body");
  });
});

Deno.test("traversal attempts never reach a file outside the root", async () => {
  await withTree(async (app) => {
    const attempts: [string, number][] = [
      ["/../outside/secret.txt", 404], // normalised away by URL parsing
      ["/%2e%2e/outside/secret.txt", 404], // likewise
      ["/sub/%2E%2E/%2E%2E/outside/secret.txt", 404],
      ["/..%2Foutside%2Fsecret.txt", 400],
      ["/..%5Coutside%5Csecret.txt", 400],
      ["/sub\\..\\..\\outside\\secret.txt", 404], // URL makes "\\" a "/"
      ["/app.js%00.png", 400],
      ["/%E0%A4%A", 400],
      ["/esc.txt", 404], // symlink to a file outside
      ["/escdir/secret.txt", 404], // symlinked directory outside
      ["/escdir/", 404],
    ];
    for (const [path, status] of attempts) {
      const res = await app.request(path);
      const body = await res.text();
      assertEquals(res.status, status, `status for ${path}`);
      assertEquals(body.includes(SECRET), false, `secret leaked by ${path}`);
    }
  });
});

Deno.test("a symlink that stays inside the root is served", async () => {
  await withTree(async (app) => {
    const res = await app.request("/alias.js");
    assertEquals(res.status, 200, "status");
    assertEquals(await res.text(), "console.log(1);\n", "body");
  });
});

Deno.test("a large file is streamed intact", async () => {
  await withTree(async (app, root) => {
    const data = new Uint8Array(3 * 1024 * 1024 + 7);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    await Deno.writeFile(join(root, "big.webm"), data);
    const res = await app.request("/big.webm");
    assertEquals(res.headers.get("Content-Type"), "video/webm", "type");
    const got = new Uint8Array(await res.arrayBuffer());
    assertEquals(got.length, data.length, "length");
    assertEquals(got.every((b, i) => b === data[i]), true, "content");
  });
});

Deno.test("serveStatic refuses a root that does not exist or is a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "f.txt");
    await Deno.writeTextFile(file, "x");
    for (const root of [join(dir, "missing"), file]) {
      let message = "";
      try {
        serveStatic({ root });
      } catch (err) {
        if (err instanceof TypeError) message = err.message;
      }
      assertEquals(message.includes(root), true, `TypeError naming ${root}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
