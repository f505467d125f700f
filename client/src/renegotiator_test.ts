import assert from "node:assert/strict";
import { Renegotiator, type Timers } from "./renegotiator.ts";

/** A clock that moves only when told. */
class FakeClock implements Timers {
  now = 0;
  #next = 0;
  readonly #due = new Map<number, { at: number; fn: () => void }>();

  set(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#due.set(id, { at: this.now + ms, fn });
    return id;
  }

  clear(handle: unknown): void {
    this.#due.delete(handle as number);
  }

  /** Moves the clock, running what falls due in order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const next = [...this.#due].filter(([, t]) => t.at <= end)
        .sort(([, a], [, b]) => a.at - b.at)[0];
      if (!next) break;
      this.#due.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
    }
    this.now = end;
  }
}

/** A renegotiator whose negotiations are logged with their start time. */
function setup(options: { fail?: boolean } = {}) {
  const clock = new FakeClock();
  const starts: number[] = [];
  const errors: unknown[] = [];
  const r = new Renegotiator({
    start: () => {
      starts.push(clock.now);
      return options.fail
        ? Promise.reject(new Error("no offer"))
        : Promise.resolve();
    },
    onError: (e) => errors.push(e),
    delays: [500, 1000, 2000],
    timeoutMs: 10_000,
    timers: clock,
  });
  return { clock, starts, errors, r };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

Deno.test("Renegotiator spaces restarts after failures that come at once", () => {
  const { clock, starts, r } = setup();
  void r.negotiate();
  r.done();
  // Every answer is followed by an immediate failure.
  for (let i = 0; i < 5; i++) {
    r.failed();
    clock.advance(5000);
    r.done();
  }
  // 0, then +500, +1000, +2000, +2000 (the last delay repeats).
  assert.deepEqual(starts, [0, 500, 6000, 12000, 17000, 22000]);
});

Deno.test("Renegotiator starts no negotiation while one is under way", () => {
  const { clock, starts, r } = setup();
  void r.negotiate();
  r.failed();
  r.failed();
  clock.advance(600);
  assert.deepEqual(starts, [0], "the restart waits for the answer");
  assert.ok(r.pending);
  r.done();
  assert.deepEqual(starts, [0, 600], "the answer came at 600 ms");
  r.done();
  assert.equal(r.busy, false);
  assert.equal(r.pending, false);
});

Deno.test("Renegotiator counts failures while a restart is pending once", () => {
  const { clock, starts, r } = setup();
  r.failed();
  r.failed();
  r.failed();
  clock.advance(500);
  r.done();
  r.failed();
  clock.advance(999);
  assert.deepEqual(starts, [500], "the second restart waits 1000 ms");
  clock.advance(1);
  assert.deepEqual(starts, [500, 1500]);
});

Deno.test("Renegotiator starts from the shortest delay once ICE connects", () => {
  const { clock, starts, r } = setup();
  r.failed();
  clock.advance(500);
  r.done();
  r.failed();
  clock.advance(1000);
  r.done();
  r.connected();
  r.failed();
  clock.advance(500);
  assert.deepEqual(starts, [500, 1500, 2000]);
});

Deno.test("Renegotiator restarts at once when asked, cancelling a wait", () => {
  const { clock, starts, r } = setup();
  r.failed();
  clock.advance(100);
  void r.negotiate();
  assert.deepEqual(starts, [100]);
  clock.advance(1000);
  assert.deepEqual(starts, [100], "the cancelled restart does not run");
  // Asked during a negotiation: right after it.
  void r.negotiate();
  assert.deepEqual(starts, [100]);
  r.done();
  assert.deepEqual(starts, [100, 1100]);
});

Deno.test("Renegotiator retries a negotiation the other side never ends", () => {
  const { clock, starts, r } = setup();
  void r.negotiate();
  clock.advance(10_000);
  assert.equal(r.busy, false);
  clock.advance(500);
  assert.deepEqual(starts, [0, 10_500]);
});

Deno.test("Renegotiator reports a failed restart and is free again", async () => {
  const { clock, errors, r } = setup({ fail: true });
  await assert.rejects(r.negotiate(), /no offer/);
  assert.equal(r.busy, false);
  r.failed();
  clock.advance(500);
  await settle();
  assert.equal(errors.length, 1);
  assert.equal(r.busy, false);
});

Deno.test("Renegotiator does nothing once closed", () => {
  const { clock, starts, r } = setup();
  r.failed();
  r.close();
  clock.advance(60_000);
  void r.negotiate();
  r.failed();
  clock.advance(60_000);
  assert.deepEqual(starts, []);
});
