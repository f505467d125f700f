import assert from "node:assert/strict";
import {
  expandPermissions,
  parsePermissionSpec,
  PERMISSIONS,
  sortPermissions,
} from "./permissions.ts";

const plain = { allowRecording: false, unrestrictedTokens: false };
const wide = { allowRecording: true, unrestrictedTokens: true };

Deno.test("expandPermissions() follows the reference table for every named set", () => {
  assert.deepEqual(expandPermissions("op", plain), [
    "op",
    "present",
    "message",
    "caption",
    "token",
  ]);
  assert.deepEqual(expandPermissions("present", plain), ["present", "message"]);
  assert.deepEqual(expandPermissions("message", plain), ["message"]);
  assert.deepEqual(expandPermissions("observe", plain), []);
  assert.deepEqual(expandPermissions("caption", plain), ["caption"]);
  assert.deepEqual(expandPermissions("admin", plain), ["admin"]);
});

Deno.test("expandPermissions() adds record to op only with allow-recording", () => {
  assert.ok(expandPermissions("op", wide).includes("record"));
  assert.ok(!expandPermissions("present", wide).includes("record"));
  assert.ok(!expandPermissions("op", plain).includes("record"));
});

Deno.test("expandPermissions() adds token to present only with unrestricted-tokens", () => {
  assert.deepEqual(expandPermissions("present", wide), [
    "present",
    "message",
    "token",
  ]);
  assert.deepEqual(expandPermissions("message", wide), ["message"]);
});

Deno.test("expandPermissions() returns raw arrays deduplicated in canonical order", () => {
  const spec = parsePermissionSpec(
    ["record", "message", "op", "message"],
    "x",
  );
  assert.deepEqual(expandPermissions(spec, wide), ["op", "message", "record"]);
});

Deno.test("parsePermissionSpec() accepts named sets and internal arrays", () => {
  assert.equal(parsePermissionSpec("observe", "x"), "observe");
  assert.deepEqual(parsePermissionSpec([], "x"), []);
  assert.deepEqual(parsePermissionSpec([...PERMISSIONS], "x"), PERMISSIONS);
});

Deno.test("parsePermissionSpec() names the location and the unknown name", () => {
  assert.throws(
    () => parsePermissionSpec("superuser", `g.json: "users"["bob"]`),
    { name: "TypeError", message: /^g\.json: "users"\["bob"\] .*"superuser"/ },
  );
  assert.throws(
    () => parsePermissionSpec(["present", "observe"], "w"),
    { name: "TypeError", message: /^w contains unknown permission "observe"/ },
  );
  assert.throws(() => parsePermissionSpec(42, "w"), TypeError);
  assert.throws(() => parsePermissionSpec([1], "w"), TypeError);
  assert.throws(() => parsePermissionSpec(null, "w"), TypeError);
});

Deno.test("sortPermissions() orders by PERMISSIONS and drops duplicates", () => {
  assert.deepEqual(sortPermissions(["system", "admin", "op", "admin"]), [
    "op",
    "admin",
    "system",
  ]);
});
