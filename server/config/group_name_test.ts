import assert from "node:assert/strict";
import { isValidGroupName, isValidUsername } from "./group_name.ts";

Deno.test("isValidGroupName() accepts plain and nested names", () => {
  for (
    const name of ["demo", "a/b", "teaching/networking/2026", "café", "a.b"]
  ) {
    assert.ok(isValidGroupName(name), name);
  }
});

Deno.test("isValidGroupName() refuses names that could escape or hide", () => {
  for (
    const name of [
      "",
      ".",
      "..",
      "../x",
      "a/../b",
      "a/./b",
      ".hidden",
      "a/.hidden",
      "/abs",
      "a/",
      "a//b",
      "a\\b",
      "a\0b",
      "a\nb",
      "a\rb",
      "a\u007fb",
    ]
  ) {
    assert.ok(!isValidGroupName(name), JSON.stringify(name));
  }
});

Deno.test("isValidUsername() accepts the empty name and clean paths", () => {
  for (const name of ["", "bob", "bob smith", "a/b", ".bob", "a..b"]) {
    assert.ok(isValidUsername(name), JSON.stringify(name));
  }
});

Deno.test("isValidUsername() refuses unclean paths", () => {
  for (
    const name of ["/bob", "bob/", "a//b", "a/./b", "a/../b", "..", ".", "a\\b"]
  ) {
    assert.ok(!isValidUsername(name), JSON.stringify(name));
  }
});

Deno.test("isValidGroupName() refuses names over 256 bytes or with a component too long for a file name", () => {
  assert.ok(isValidGroupName("a".repeat(250)));
  assert.ok(isValidGroupName("a/".repeat(127) + "bc"));
  assert.ok(!isValidGroupName("a".repeat(251)), "251 + .json > 255");
  assert.ok(!isValidGroupName("é".repeat(126)), "252 bytes");
  assert.ok(!isValidGroupName("a/".repeat(128) + "b"), "257 bytes");
});

Deno.test("isValidUsername() refuses names over 256 bytes", () => {
  assert.ok(isValidUsername("u".repeat(256)));
  assert.ok(!isValidUsername("u".repeat(257)));
  assert.ok(!isValidUsername("€".repeat(86)));
});
