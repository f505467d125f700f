import { RateSearch, type StepOutcome } from "./rate_search.ts";

function assertEquals(actual: unknown, expected: unknown): void {
  if (actual !== expected) {
    throw new Error(`Expected ${String(expected)}, got ${String(actual)}`);
  }
}

// Outcomes of an SFU that keeps p99 in bound up to `late` and loss under
// 1 % up to `limit`.
function run(search: RateSearch, limit: number, late = limit): number[] {
  const tried: number[] = [];
  for (let rate = search.next(); rate !== null; rate = search.next()) {
    tried.push(rate);
    const outcome: StepOutcome = rate > limit
      ? "fail"
      : rate > late
      ? "late"
      : "pass";
    search.record(rate, outcome);
  }
  return tried;
}

Deno.test("search() doubles until a failure, then bisects to the precision", () => {
  const search = new RateSearch({ start: 1000, precision: 1.1 });
  const tried = run(search, 5000);
  assertEquals(tried.slice(0, 4).join(), "1000,2000,4000,8000");
  assertEquals(search.end(), "converged");
  assertEquals(search.best() <= 5000 && search.best() > 5000 / 1.1, true);
  // Both criteria agree when latency never fails first.
  assertEquals(search.best("latency"), search.best("loss"));
});

Deno.test("search() finds the latency-qualified maximum below the loss-only one", () => {
  const search = new RateSearch({ start: 1000, precision: 1.1, maxSteps: 30 });
  const tried = run(search, 20_000, 3000);
  assertEquals(search.end("latency"), "converged");
  assertEquals(search.end("loss"), "converged");
  const latency = search.best("latency");
  const loss = search.best("loss");
  assertEquals(latency <= 3000 && latency > 3000 / 1.1, true);
  assertEquals(loss <= 20_000 && loss > 20_000 / 1.1, true);
  // No rate is tried twice: each step informs both criteria.
  assertEquals(new Set(tried).size, tried.length);
});

Deno.test("search() halves when even the start fails", () => {
  const search = new RateSearch({ start: 1000 });
  run(search, 300);
  assertEquals(search.best() > 0 && search.best() <= 300, true);
});

Deno.test("search() reports nothing-passed when every rate fails", () => {
  const search = new RateSearch({ start: 1000 });
  run(search, 0);
  assertEquals(search.best(), 0);
  assertEquals(search.end(), "nothing-passed");
  assertEquals(search.end("latency"), "nothing-passed");
});

Deno.test("search() goes on for the loss maximum when no step meets the latency bound", () => {
  const search = new RateSearch({ start: 1000, maxSteps: 30 });
  run(search, 8000, 0);
  assertEquals(search.best("latency"), 0);
  assertEquals(search.end("latency"), "nothing-passed");
  assertEquals(search.best("loss") > 8000 / 1.15, true);
});

Deno.test("search() stops at the first step the bots could not drive", () => {
  const search = new RateSearch({ start: 1000 });
  search.record(search.next()!, "pass");
  search.record(search.next()!, "invalid");
  assertEquals(search.next(), null);
  assertEquals(search.end(), "bot-limit");
  assertEquals(search.end("latency"), "bot-limit");
  assertEquals(search.best(), 1000);
});

Deno.test("search() stops at the rate cap and the step limit", () => {
  const capped = new RateSearch({ start: 1000, max: 3000 });
  assertEquals(run(capped, Infinity).join(), "1000,2000,3000");
  assertEquals(capped.end(), "rate-cap");
  const limited = new RateSearch({ start: 1000, maxSteps: 2 });
  run(limited, Infinity);
  assertEquals(limited.end(), "step-limit");
});

Deno.test("search() reopens a criterion when a higher rate passes it after all", () => {
  const search = new RateSearch({ start: 1000, precision: 1.1, maxSteps: 40 });
  // p99 in bound up to 10,000 and loss up to 40,000, but 2000 is late once
  // (noise): the passes above it reopen the latency search, which then
  // narrows down on 10,000 rather than keep the loss search's 8000.
  const noise = new Set([2000]);
  for (let rate = search.next(); rate !== null; rate = search.next()) {
    const outcome: StepOutcome = noise.delete(rate) || rate > 10_000
      ? (rate > 40_000 ? "fail" : "late")
      : "pass";
    search.record(rate, outcome);
  }
  const latency = search.best("latency");
  assertEquals(latency > 10_000 / 1.1 && latency <= 10_000, true);
  assertEquals(search.end("latency"), "converged");
});
