// The static pages must work under the server's Content-Security-Policy and
// make no request outside the server: checked here by serving the real
// client/ directory and following every asset reference.

import { Hono } from "hono";
import { fileURLToPath } from "node:url";
import { handleError } from "../server/http/http_error.ts";
import { securityHeaders } from "../server/http/security_headers.ts";
import { notFoundPage, serveStatic } from "../server/http/static_files.ts";

const CLIENT_DIR = fileURLToPath(new URL(".", import.meta.url));
const PAGES = ["/", "/404.html", "/galene.html"];

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function clientApp(): Hono {
  const app = new Hono();
  app.onError(handleError);
  app.use(securityHeaders());
  app.get("/*", serveStatic({ root: CLIENT_DIR }));
  app.notFound(notFoundPage(CLIENT_DIR));
  return app;
}

/** Every src= and href= value in the page. */
function references(html: string): string[] {
  return [...html.matchAll(/\s(?:src|href)\s*=\s*"([^"]*)"/gi)].map((m) =>
    m[1] ?? ""
  );
}

Deno.test("every page only references assets that the server itself serves", async () => {
  const app = clientApp();
  for (const page of PAGES) {
    const res = await app.request(page);
    assert(res.status === 200, `${page}: status ${res.status}`);
    const html = await res.text();
    for (const ref of references(html)) {
      assert(
        ref.startsWith("/") && !ref.startsWith("//"),
        `${page}: "${ref}" is not a same-origin absolute path`,
      );
      const asset = await app.request(ref);
      await asset.body?.cancel();
      assert(asset.status === 200, `${page}: "${ref}" answers ${asset.status}`);
    }
  }
});

Deno.test("no page relies on inline script that the CSP would block", async () => {
  const app = clientApp();
  for (const page of PAGES) {
    const html = await (await app.request(page)).text();
    for (
      const tag of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)
    ) {
      assert(/\bsrc=/.test(tag[1] ?? ""), `${page}: a <script> has no src`);
      assert((tag[2] ?? "").trim() === "", `${page}: inline script body`);
    }
    assert(!/\son[a-z]+\s*=/i.test(html), `${page}: inline event handler`);
    assert(!/javascript:/i.test(html), `${page}: javascript: URL`);
  }
});

Deno.test("scripts make no request to another origin", async () => {
  for await (const entry of Deno.readDir(CLIENT_DIR)) {
    if (!entry.name.endsWith(".js")) continue;
    const code = await Deno.readTextFile(CLIENT_DIR + entry.name);
    assert(!/https?:\/\//.test(code), `${entry.name}: absolute URL`);
  }
});

Deno.test("an unknown path answers the friendly 404 page with a link home", async () => {
  const res = await clientApp().request("/no/such/page");
  assert(res.status === 404, `status ${res.status}`);
  const html = await res.text();
  assert(html.includes('href="/"'), "404 page links home");
  assert(
    res.headers.get("Content-Security-Policy") !== null,
    "404 page carries the CSP",
  );
});
