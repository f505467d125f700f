import { strictEqual } from "node:assert/strict";
import { RateLimiter } from "./rate_limiter.ts";

Deno.test("RateLimiter allows a burst up to its capacity, then refuses", () => {
  const r = new RateLimiter({ capacity: 3, perSecond: 1 }, 0);
  strictEqual(r.take(0), true);
  strictEqual(r.take(0), true);
  strictEqual(r.take(0), true);
  strictEqual(r.take(0), false);
});

Deno.test("RateLimiter refills at its rate and never beyond its capacity", () => {
  const r = new RateLimiter({ capacity: 2, perSecond: 10 }, 0);
  r.take(0);
  r.take(0);
  strictEqual(r.take(50), false);
  strictEqual(r.take(100), true);
  let n = 0;
  while (r.take(100_000)) n++;
  strictEqual(n, 2);
});

Deno.test("RateLimiter takes amounts, such as a message's bytes", () => {
  const r = new RateLimiter({ capacity: 1000, perSecond: 100 }, 0);
  strictEqual(r.take(0, 600), true);
  strictEqual(r.take(0, 600), false);
  strictEqual(r.take(0, 400), true);
  strictEqual(r.take(1000, 150), false);
  strictEqual(r.take(1500, 150), true);
});
