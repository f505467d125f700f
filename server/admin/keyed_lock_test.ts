import assert from "node:assert/strict";
import { KeyedLock } from "./keyed_lock.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

Deno.test("run() serialises tasks on the same key", async () => {
  const lock = new KeyedLock();
  const events: string[] = [];
  const task = (name: string) => async () => {
    events.push(`${name} start`);
    await tick();
    events.push(`${name} end`);
  };
  await Promise.all([lock.run("a", task("1")), lock.run("a", task("2"))]);
  assert.deepEqual(events, ["1 start", "1 end", "2 start", "2 end"]);
});

Deno.test("run() lets different keys run concurrently", async () => {
  const lock = new KeyedLock();
  const events: string[] = [];
  const task = (name: string) => async () => {
    events.push(`${name} start`);
    await tick();
    events.push(`${name} end`);
  };
  await Promise.all([lock.run("a", task("a")), lock.run("b", task("b"))]);
  assert.deepEqual(events.slice(0, 2), ["a start", "b start"]);
});

Deno.test("run() goes on after a failing task and forgets idle keys", async () => {
  const lock = new KeyedLock();
  const failed = lock.run("a", () => Promise.reject(new Error("boom")));
  const next = lock.run("a", () => Promise.resolve(42));
  await assert.rejects(failed, /boom/);
  assert.equal(await next, 42);
  await tick();
  assert.equal(lock.size, 0);
});
