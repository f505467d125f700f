import { RateSearch } from "./rate_search.ts";

function assertEquals(actual: unknown, expected: unknown): void {
  if (actual !== expected) {
    throw new Error(`Expected ${String(expected)}, got ${String(actual)}`);
  }
}

function run(search: RateSearch, limit: number): number[] {
  const tried: number[] = [];
  for (let rate = search.next(); rate !== null; rate = search.next()) {
    tried.push(rate);
    search.record(rate, rate <= limit ? "pass" : "fail");
  }
  return tried;
}

Deno.test("search() doubles until a failure, then bisects to the precision", () => {
  const search = new RateSearch({ start: 1000, precision: 1.1 });
  const tried = run(search, 5000);
  assertEquals(tried.slice(0, 4).join(), "1000,2000,4000,8000");
  assertEquals(search.end, "converged");
  assertEquals(search.best <= 5000 && search.best > 5000 / 1.1, true);
});

Deno.test("search() halves when even the start fails", () => {
  const search = new RateSearch({ start: 1000 });
  run(search, 300);
  assertEquals(search.best > 0 && search.best <= 300, true);
});

Deno.test("search() reports nothing-passed when every rate fails", () => {
  const search = new RateSearch({ start: 1000 });
  run(search, 0);
  assertEquals(search.best, 0);
  assertEquals(search.end, "nothing-passed");
});

Deno.test("search() stops at the first step the bots could not drive", () => {
  const search = new RateSearch({ start: 1000 });
  search.record(search.next()!, "pass");
  search.record(search.next()!, "invalid");
  assertEquals(search.next(), null);
  assertEquals(search.end, "bot-limit");
  assertEquals(search.best, 1000);
});

Deno.test("search() stops at the rate cap and the step limit", () => {
  const capped = new RateSearch({ start: 1000, max: 3000 });
  assertEquals(run(capped, Infinity).join(), "1000,2000,3000");
  assertEquals(capped.end, "rate-cap");
  const limited = new RateSearch({ start: 1000, maxSteps: 2 });
  run(limited, Infinity);
  assertEquals(limited.end, "step-limit");
});
