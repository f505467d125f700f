import assert from "node:assert/strict";
import {
  parseUserDescription,
  parseUserMap,
  serializeUserMap,
} from "./user_description.ts";

Deno.test("parseUserDescription() defaults to no password and no permissions", () => {
  assert.deepEqual(parseUserDescription({}, "w"), {
    password: { type: "none" },
    permissions: [],
  });
});

Deno.test("parseUserMap() keeps names like constructor as plain keys", () => {
  const users = parseUserMap(
    JSON.parse(`{"constructor": {"permissions": "op"}, "__proto__": {}}`),
    "w",
  );
  assert.deepEqual(Object.keys(users).sort(), ["__proto__", "constructor"]);
  assert.equal(Object.getPrototypeOf(users), null);
  const json = JSON.stringify(serializeUserMap(users));
  assert.deepEqual(Object.keys(JSON.parse(json)).sort(), [
    "__proto__",
    "constructor",
  ]);
});

Deno.test("parseUserMap() names the user whose entry is wrong", () => {
  assert.throws(() => parseUserMap({ bob: "op" }, `f: "users"`), {
    name: "TypeError",
    message: `f: "users"["bob"] must be a JSON object`,
  });
});
