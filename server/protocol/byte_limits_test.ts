import { strictEqual } from "node:assert/strict";
import { cutToBytes, fitsBytes, utf8Length } from "./byte_limits.ts";

Deno.test("utf8Length() counts UTF-8 bytes as TextEncoder writes them", () => {
  const encoder = new TextEncoder();
  for (
    const text of [
      "",
      "a",
      "é",
      "€",
      "😀",
      "a€😀é",
      "\ud800",
      "\udc00x",
      "\ud800\ud800",
    ]
  ) {
    strictEqual(utf8Length(text), encoder.encode(text).length, text);
  }
});

Deno.test("fitsBytes() decides by bytes, not characters", () => {
  strictEqual(fitsBytes("€".repeat(3), 9), true);
  strictEqual(fitsBytes("€".repeat(4), 9), false);
  strictEqual(fitsBytes("x".repeat(10), 9), false);
  strictEqual(fitsBytes("x".repeat(9), 9), true);
  strictEqual(fitsBytes("😀😀", 8), true);
  strictEqual(fitsBytes("😀😀", 7), false);
});

Deno.test("cutToBytes() keeps whole characters within the byte limit", () => {
  strictEqual(cutToBytes("abc", 3), "abc");
  strictEqual(cutToBytes("a€b", 3), "a");
  strictEqual(cutToBytes("a€b", 4), "a€");
  strictEqual(cutToBytes("😀x", 3), "");
  strictEqual(cutToBytes("€".repeat(100), 123), "€".repeat(41));
});
