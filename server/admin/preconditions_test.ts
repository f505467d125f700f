import assert from "node:assert/strict";
import { evaluatePreconditions } from "./preconditions.ts";

const h = (init: Record<string, string>) => new Headers(init);
const TAG = '"12-345"';

Deno.test("evaluatePreconditions() proceeds without conditional headers", () => {
  assert.equal(
    evaluatePreconditions(h({}), { method: "PUT", etag: TAG }),
    "proceed",
  );
});

Deno.test("evaluatePreconditions() fails If-Match on another tag or a missing object", () => {
  assert.equal(
    evaluatePreconditions(h({ "If-Match": '"1-2"' }), {
      method: "PUT",
      etag: TAG,
    }),
    "failed",
  );
  assert.equal(
    evaluatePreconditions(h({ "If-Match": "*" }), { method: "PUT", etag: "" }),
    "failed",
  );
  assert.equal(
    evaluatePreconditions(h({ "If-Match": `"x", ${TAG}` }), {
      method: "DELETE",
      etag: TAG,
    }),
    "proceed",
  );
});

Deno.test("evaluatePreconditions() compares If-Match strongly", () => {
  assert.equal(
    evaluatePreconditions(h({ "If-Match": `W/${TAG}` }), {
      method: "PUT",
      etag: TAG,
    }),
    "failed",
  );
});

Deno.test("evaluatePreconditions() answers If-None-Match with 304 on reads and 412 on writes", () => {
  const headers = h({ "If-None-Match": `W/${TAG}` });
  assert.equal(
    evaluatePreconditions(headers, { method: "GET", etag: TAG }),
    "not-modified",
  );
  assert.equal(
    evaluatePreconditions(headers, { method: "HEAD", etag: TAG }),
    "not-modified",
  );
  assert.equal(
    evaluatePreconditions(headers, { method: "PUT", etag: TAG }),
    "failed",
  );
});

Deno.test("evaluatePreconditions() makes If-None-Match: * create-only", () => {
  const headers = h({ "If-None-Match": "*" });
  assert.equal(
    evaluatePreconditions(headers, { method: "PUT", etag: "" }),
    "proceed",
  );
  assert.equal(
    evaluatePreconditions(headers, { method: "PUT", etag: TAG }),
    "failed",
  );
});

Deno.test("evaluatePreconditions() matches weak tags weakly in If-None-Match only", () => {
  const weak = 'W/"abc"';
  assert.equal(
    evaluatePreconditions(h({ "If-None-Match": weak }), {
      method: "GET",
      etag: weak,
    }),
    "not-modified",
  );
  assert.equal(
    evaluatePreconditions(h({ "If-Match": weak }), {
      method: "PUT",
      etag: weak,
    }),
    "failed",
  );
});
