import { ok, strictEqual } from "node:assert/strict";
import { logText } from "./log_text.ts";

Deno.test("logText() quotes short strings whole and escapes line breaks", () => {
  strictEqual(logText("alice"), '"alice"');
  strictEqual(logText("a\nb\u0000"), '"a\\nb\\u0000"');
  strictEqual(logText(new Error("boom")), '"Error: boom"');
});

Deno.test("logText() cuts long strings and says how much was cut", () => {
  strictEqual(logText("x".repeat(1_000_000), 3), '"xxx…" (+999997 characters)');
  ok(logText("y".repeat(5_000_000)).length < 200);
});

Deno.test("logText() never cuts a surrogate pair in half", () => {
  strictEqual(logText("a😀b", 2), '"a…" (+3 characters)');
});
