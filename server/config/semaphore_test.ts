import assert from "node:assert/strict";
import { Semaphore } from "./semaphore.ts";

Deno.test("Semaphore.run() never runs more than the limit at once", async () => {
  const semaphore = new Semaphore(2);
  let running = 0;
  let peak = 0;
  const task = async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setTimeout(resolve, 5));
    running--;
  };
  await Promise.all(Array.from({ length: 7 }, () => semaphore.run(task)));
  assert.equal(peak, 2);
  assert.equal(semaphore.active, 0);
  assert.equal(semaphore.waiting, 0);
});

Deno.test("Semaphore.run() admits waiters in arrival order", async () => {
  const semaphore = new Semaphore(1);
  const order: number[] = [];
  await Promise.all(
    [0, 1, 2, 3].map((i) => semaphore.run(() => void order.push(i))),
  );
  assert.deepEqual(order, [0, 1, 2, 3]);
});

Deno.test("Semaphore.run() releases the slot when the task throws", async () => {
  const semaphore = new Semaphore(1);
  await assert.rejects(
    semaphore.run(() => Promise.reject(new Error("boom"))),
    /boom/,
  );
  assert.equal(await semaphore.run(() => 7), 7);
  assert.equal(semaphore.active, 0);
});

Deno.test("Semaphore rejects a limit that is not a positive integer", () => {
  assert.throws(() => new Semaphore(0), RangeError);
  assert.throws(() => new Semaphore(1.5), RangeError);
});
