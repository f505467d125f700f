import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { handleError, HttpError } from "./http_error.ts";

function assertEquals<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) {
    throw new Error(
      `${what}: expected ${String(expected)}, got ${String(actual)}`,
    );
  }
}

function makeApp(): Hono {
  const app = new Hono();
  app.onError(handleError);
  app.get("/locked", () => {
    throw new HttpError(401, "Recordings need a password", {
      headers: { "WWW-Authenticate": 'basic realm="recordings/x"' },
    });
  });
  app.get("/missing", () => {
    throw new HttpError(404, 'Group "x" does not exist');
  });
  app.get("/hono", () => {
    throw new HTTPException(413, { message: "Body too large" });
  });
  app.get("/bug", () => {
    throw new TypeError("secret internal detail");
  });
  app.get("/bug/*", (c) => {
    throw new TypeError(`no such file ${c.req.path}`);
  });
  return app;
}

Deno.test("an HttpError answers with its status, headers and a plain-text message", async () => {
  const res = await makeApp().request("/locked");
  assertEquals(res.status, 401, "status");
  assertEquals(
    res.headers.get("WWW-Authenticate"),
    'basic realm="recordings/x"',
    "WWW-Authenticate",
  );
  assertEquals(
    res.headers.get("Content-Type"),
    "text/plain; charset=utf-8",
    "Content-Type",
  );
  assertEquals(await res.text(), "Recordings need a password", "body");

  const missing = await makeApp().request("/missing");
  assertEquals(missing.status, 404, "404 status");
  assertEquals(await missing.text(), 'Group "x" does not exist', "404 body");
});

Deno.test("a Hono HTTPException keeps its own status", async () => {
  const res = await makeApp().request("/hono");
  assertEquals(res.status, 413, "status");
  assertEquals(await res.text(), "Body too large", "body");
});

Deno.test("any other error is logged and answered with a 500 that hides its message", async () => {
  const logged: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => logged.push(args);
  try {
    const res = await makeApp().request("/bug");
    assertEquals(res.status, 500, "status");
    const body = await res.text();
    assertEquals(body.includes("secret"), false, "body leaks the message");
  } finally {
    console.error = original;
  }
  assertEquals(logged.length, 1, "console.error calls");
  const line = String(logged[0]?.[0]);
  assertEquals(line.includes('GET "/bug"'), true, "log names it");
  assertEquals(
    line.includes('"TypeError: secret internal detail"'),
    true,
    "log has the error",
  );
  assertEquals(/\n\s+at /.test(line), true, "log has the stack's frames");
});

Deno.test("the log of a 500 carries only the start of a long path or message", async () => {
  const logged: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => logged.push(args);
  try {
    const res = await makeApp().request(`/bug/${"x".repeat(100_000)}`);
    assertEquals(res.status, 500, "status");
    await res.body?.cancel();
  } finally {
    console.error = original;
  }
  const first = String(logged[0]?.[0]).split("\n")[0] ?? "";
  assertEquals(first.length < 600, true, `a line of ${first.length}`);
});

Deno.test("an HttpError refuses a status that is not an error status", () => {
  for (const status of [200, 302, 600, 404.5]) {
    let threw = false;
    try {
      new HttpError(status, "nope");
    } catch (err) {
      threw = err instanceof RangeError && err.message.includes(String(status));
    }
    assertEquals(threw, true, `RangeError for ${status}`);
  }
});

Deno.test("an HttpError exposes status and headers read-only", () => {
  const err = new HttpError(403, "Forbidden", { headers: { "X-A": "1" } });
  assertEquals(err.status, 403, "status");
  assertEquals(err.headers["X-A"], "1", "header");
  assertEquals(err.name, "HttpError", "name");
  assertEquals(err instanceof Error, true, "is an Error");
});
