import { deepStrictEqual } from "node:assert/strict";
import { changePermissions } from "./user_actions.ts";

Deno.test("changePermissions adds and removes, keeping the canonical order", () => {
  deepStrictEqual(
    changePermissions(["message", "present"], { add: ["op", "record"] }),
    ["op", "present", "message", "record"],
  );
  deepStrictEqual(
    changePermissions(["op", "present", "record"], {
      remove: ["op", "record"],
    }),
    ["present"],
  );
});

Deno.test("changePermissions is idempotent", () => {
  deepStrictEqual(changePermissions(["present"], { add: ["present"] }), [
    "present",
  ]);
  deepStrictEqual(changePermissions([], { remove: ["op"] }), []);
});
