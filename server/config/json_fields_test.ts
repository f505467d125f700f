import assert from "node:assert/strict";
import {
  childOf,
  expectObject,
  isJsonObject,
  readBoolean,
  readNonNegativeInteger,
  readString,
  readStringArray,
  rejectUnknownKeys,
  rootOf,
} from "./json_fields.ts";

Deno.test("childOf() quotes the first key after the file and brackets the rest", () => {
  const root = rootOf("groups/a.json");
  assert.equal(childOf(root, "users"), `groups/a.json: "users"`);
  assert.equal(
    childOf(childOf(root, "users"), 'o"k'),
    `groups/a.json: "users"["o\\"k"]`,
  );
});

Deno.test("isJsonObject() excludes null and arrays", () => {
  assert.ok(isJsonObject({}));
  assert.ok(!isJsonObject(null));
  assert.ok(!isJsonObject([]));
  assert.ok(!isJsonObject("x"));
  assert.throws(() => expectObject([], "f:"), /^TypeError: f: the file must/);
});

Deno.test("rejectUnknownKeys() names the unknown key at the top and below", () => {
  const allowed = new Set(["a"]);
  rejectUnknownKeys({ a: 1 }, { allowed, where: "f:" });
  assert.throws(
    () => rejectUnknownKeys({ a: 1, b: 2 }, { allowed, where: "f:" }),
    { name: "TypeError", message: `f: unknown key "b"` },
  );
  assert.throws(
    () => rejectUnknownKeys({ c: 2 }, { allowed, where: `f: "x"` }),
    { message: `f: "x": unknown key "c"` },
  );
});

Deno.test("read helpers treat null as absent and reject other types", () => {
  const object = { b: true, s: "x", n: 3, a: ["x"], z: null, bad: {} };
  assert.equal(readBoolean(object, "b", "f:"), true);
  assert.equal(readString(object, "s", "f:"), "x");
  assert.equal(readNonNegativeInteger(object, "n", "f:"), 3);
  assert.deepEqual(readStringArray(object, "a", "f:"), ["x"]);
  assert.equal(readBoolean(object, "z", "f:"), undefined);
  assert.equal(readString(object, "missing", "f:"), undefined);
  assert.throws(
    () => readBoolean(object, "bad", "f:"),
    /"bad" must be a boolean/,
  );
  assert.throws(() => readString(object, "n", "f:"), /"n" must be a string/);
  assert.throws(
    () => readNonNegativeInteger(object, "s", "f:"),
    /non-negative/,
  );
  assert.throws(
    () => readStringArray({ a: [1] }, "a", "f:"),
    /array of strings/,
  );
});
