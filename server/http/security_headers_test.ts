import { Hono } from "hono";
import { handleError, HttpError } from "./http_error.ts";
import { securityHeaders } from "./security_headers.ts";

function assertEquals<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) {
    throw new Error(
      `${what}: expected ${String(expected)}, got ${String(actual)}`,
    );
  }
}

function directives(csp: string | null): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of (csp ?? "").split(";")) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) map.set(name, values.join(" "));
  }
  return map;
}

Deno.test("every response gets the CSP, referrer and nosniff headers", async () => {
  const app = new Hono();
  app.use(securityHeaders());
  app.get("/", (c) => c.html("<p>hi</p>"));
  const res = await app.request("/");
  const csp = directives(res.headers.get("Content-Security-Policy"));
  assertEquals(csp.get("connect-src"), "ws: wss: 'self'", "connect-src");
  assertEquals(csp.get("img-src"), "'self' data: blob:", "img-src");
  assertEquals(csp.get("media-src"), "blob: 'self'", "media-src");
  assertEquals(csp.get("script-src"), "'unsafe-eval' 'self'", "script-src");
  assertEquals(csp.get("default-src"), "'self'", "default-src");
  assertEquals(csp.get("style-src"), "'self' 'unsafe-inline'", "style-src");
  assertEquals(res.headers.get("Referrer-Policy"), "no-referrer", "referrer");
  assertEquals(res.headers.get("X-Content-Type-Options"), "nosniff", "nosniff");
});

Deno.test("extra connect-src origins are computed per request and reduced to origins", async () => {
  const app = new Hono();
  app.use(securityHeaders({
    extraConnectSrc: (c) =>
      c.req.path === "/group/a/"
        ? ["https://auth.example.org/token?x=1", "https://auth.example.org/"]
        : [],
  }));
  app.get("/*", (c) => c.text("page"));
  const withAuth = await app.request("/group/a/");
  assertEquals(
    directives(withAuth.headers.get("Content-Security-Policy")).get(
      "connect-src",
    ),
    "https://auth.example.org ws: wss: 'self'",
    "connect-src with authServer",
  );
  const without = await app.request("/group/b/");
  assertEquals(
    directives(without.headers.get("Content-Security-Policy")).get(
      "connect-src",
    ),
    "ws: wss: 'self'",
    "connect-src without authServer",
  );
});

Deno.test("an extra origin that could inject a directive is left out and logged", async () => {
  const warnings: unknown[] = [];
  const original = console.warn;
  console.warn = (m: unknown) => warnings.push(m);
  try {
    const app = new Hono();
    app.use(securityHeaders({
      extraConnectSrc: () => ["x; script-src *", "javascript:alert(1)"],
    }));
    app.get("/", (c) => c.text("page"));
    const res = await app.request("/");
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    assertEquals(csp.includes("*"), false, "no injected wildcard");
    assertEquals(
      directives(csp).get("script-src"),
      "'unsafe-eval' 'self'",
      "script-src",
    );
    assertEquals(warnings.length, 2, "warnings");
  } finally {
    console.warn = original;
  }
});

Deno.test("headers a handler already set are kept", async () => {
  const app = new Hono();
  app.use(securityHeaders());
  app.get("/", (c) => {
    c.header("Content-Security-Policy", "default-src 'none'");
    c.header("Referrer-Policy", "same-origin");
    return c.text("custom");
  });
  const res = await app.request("/");
  assertEquals(
    res.headers.get("Content-Security-Policy"),
    "default-src 'none'",
    "CSP",
  );
  assertEquals(res.headers.get("Referrer-Policy"), "same-origin", "referrer");
  assertEquals(res.headers.get("X-Content-Type-Options"), "nosniff", "nosniff");
});

Deno.test("error responses and 404s get the headers too", async () => {
  const app = new Hono();
  app.onError(handleError);
  app.use(securityHeaders());
  app.get("/fail", () => {
    throw new HttpError(403, "No");
  });
  for (const path of ["/fail", "/nowhere"]) {
    const res = await app.request(path);
    assertEquals(res.headers.get("X-Content-Type-Options"), "nosniff", path);
    await res.body?.cancel();
  }
});

Deno.test("headers are added to a response whose headers are immutable", async () => {
  const app = new Hono();
  app.use(securityHeaders());
  app.get("/", () => Response.redirect("https://example.org/", 302));
  const res = await app.request("/");
  assertEquals(res.status, 302, "status");
  assertEquals(res.headers.get("Referrer-Policy"), "no-referrer", "referrer");
});

Deno.test("securityHeaders refuses an extraConnectSrc that is not a function", () => {
  let threw = false;
  try {
    // @ts-expect-error: deliberately wrong type, as from untyped config
    securityHeaders({ extraConnectSrc: "https://auth.example.org" });
  } catch (err) {
    threw = err instanceof TypeError && err.message.includes("extraConnectSrc");
  }
  assertEquals(threw, true, "TypeError");
});
