import assert from "node:assert/strict";
import { parseGoDuration } from "./go_duration.ts";

Deno.test("parseGoDuration() reads Go durations in milliseconds", () => {
  assert.equal(parseGoDuration("24h"), 86_400_000);
  assert.equal(parseGoDuration("1h30m"), 5_400_000);
  assert.equal(parseGoDuration("1.5s"), 1500);
  assert.equal(parseGoDuration("-1m"), -60_000);
  assert.equal(parseGoDuration("0"), 0);
});

Deno.test("parseGoDuration() refuses other text", () => {
  for (const bad of ["", "24", "1d", "h", "1h 2m"]) {
    assert.throws(() => parseGoDuration(bad), SyntaxError, bad);
  }
});
