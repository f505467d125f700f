import { Ticker, type TimerApi } from "./ticker.ts";

function assertEquals(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) {
    throw new Error(`${what}: got ${String(actual)}, expected ${expected}`);
  }
}

// Interval timers whose firing the test drives.
class FakeTimers implements TimerApi {
  readonly active = new Map<number, () => void>();
  #next = 1;
  setInterval(fn: () => void, _ms: number): number {
    const id = this.#next++;
    this.active.set(id, fn);
    return id;
  }
  clearInterval(id: number): void {
    this.active.delete(id);
  }
  fire(): void {
    for (const fn of [...this.active.values()]) fn();
  }
}

Deno.test("Ticker runs one timer for every callback, and none when empty", () => {
  const timers = new FakeTimers();
  const ticker = new Ticker(500, timers);
  assertEquals(timers.active.size, 0, "timers before any callback");
  const calls: string[] = [];
  const removers = ["a", "b", "c"].map((name) =>
    ticker.add(() => calls.push(name))
  );
  assertEquals(timers.active.size, 1, "timers for three callbacks");
  timers.fire();
  assertEquals(calls.join(), "a,b,c", "one firing calls each once, in order");
  removers[1]!();
  removers[1]!();
  timers.fire();
  assertEquals(calls.join(), "a,b,c,a,c", "after removing b");
  removers[0]!();
  removers[2]!();
  assertEquals(timers.active.size, 0, "timers once every callback is gone");
  assertEquals(ticker.running, false, "running");
  ticker.add(() => calls.push("d"));
  assertEquals(timers.active.size, 1, "a new callback starts it again");
});

Deno.test("Ticker lets a callback remove itself during a firing", () => {
  const timers = new FakeTimers();
  const ticker = new Ticker(500, timers);
  const calls: string[] = [];
  const stop = ticker.add(() => {
    calls.push("once");
    stop();
  });
  ticker.add(() => calls.push("always"));
  timers.fire();
  timers.fire();
  assertEquals(calls.join(), "once,always,always", "calls");
});
