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
