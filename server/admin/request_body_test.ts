import assert from "node:assert/strict";
import { HttpError } from "../http/http_error.ts";
import { mediaTypeOf, readBody, readJsonBody } from "./request_body.ts";

const json = { types: ["application/json"] };

function post(body: BodyInit, type?: string): Request {
  return new Request("http://x/", {
    method: "POST",
    body,
    headers: type ? { "Content-Type": type } : {},
  });
}

async function status(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    assert.ok(error instanceof HttpError);
    return error.status;
  }
}

Deno.test("readJsonBody() parses JSON with a charset parameter", async () => {
  const value = await readJsonBody(
    post('{"a":1}', "Application/JSON; charset=utf-8"),
  );
  assert.deepEqual(value, { a: 1 });
});

Deno.test("readBody() answers 415 with an Accept header on another type", async () => {
  try {
    await readBody(post("x", "text/plain"), json);
    assert.fail("accepted text/plain");
  } catch (error) {
    assert.ok(error instanceof HttpError);
    assert.equal(error.status, 415);
    assert.equal(error.headers["Accept"], "application/json");
  }
  assert.equal(await status(readBody(post("x"), json)), 415);
});

Deno.test("readBody() answers 413 on a body over the limit, even when streamed", async () => {
  const big = "x".repeat(101);
  assert.equal(
    await status(readBody(post(big, "text/plain"), {
      types: ["text/plain"],
      limit: 100,
    })),
    413,
  );
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new Uint8Array(64));
    },
  });
  assert.equal(
    await status(readBody(post(stream, "text/plain"), {
      types: ["text/plain"],
      limit: 100,
    })),
    413,
  );
});

Deno.test("readJsonBody() answers 400 on malformed JSON or UTF-8", async () => {
  assert.equal(await status(readJsonBody(post("{", "application/json"))), 400);
  assert.equal(
    await status(
      readJsonBody(post(new Uint8Array([0xff, 0xfe]), "application/json")),
    ),
    400,
  );
});

Deno.test("mediaTypeOf() drops parameters and case", () => {
  assert.equal(mediaTypeOf("Text/Plain; charset=utf-8"), "text/plain");
  assert.equal(mediaTypeOf(null), "");
});
