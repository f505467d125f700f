import assert from "node:assert/strict";
import { readLegacyPatterns } from "./legacy_patterns.ts";

Deno.test("readLegacyPatterns() maps op, presenter and other to named sets in that order", () => {
  const result = readLegacyPatterns({
    other: [{ username: "c" }],
    presenter: [{ password: "p" }],
    op: [{ username: "a", password: { type: "plain", key: "k" } }],
  }, "f:");
  assert.equal(result.present, true);
  assert.deepEqual(result.named, [
    ["a", { password: { type: "plain", key: "k" }, permissions: "op" }],
    ["c", { password: { type: "wildcard" }, permissions: "message" }],
  ]);
  assert.deepEqual(result.wildcards, [
    { password: { type: "plain", key: "p" }, permissions: "present" },
  ]);
});

Deno.test("readLegacyPatterns() reports nothing for a modern file", () => {
  assert.deepEqual(readLegacyPatterns({ users: {} }, "f:"), {
    named: [],
    wildcards: [],
    present: false,
  });
});

Deno.test("readLegacyPatterns() rejects a list that is not an array", () => {
  assert.throws(() => readLegacyPatterns({ op: {} }, "f:"), {
    name: "TypeError",
    message: /^f: "op" must be an array/,
  });
});
