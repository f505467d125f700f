import assert from "node:assert/strict";
import { busyShare, parseCoreTimes } from "./core_load.ts";

const STAT = [
  "cpu  814123 30166 193483 1692888 3222 0 5164 1377 0 0",
  "cpu0 403050 15087 94473 853000 837 0 2401 697 0 0",
  "cpu1 411072 15078 99009 839888 2384 0 2763 679 0 0",
  "cpu10 1 1 1 1 1 1 1 1 0 0",
  "intr 123 0",
].join("\n");

Deno.test("parseCoreTimes() reads one core's line, or the sum of all", () => {
  assert.deepEqual(parseCoreTimes(STAT, 0), {
    busy: 403050 + 15087 + 94473 + 0 + 2401 + 697,
    total: 403050 + 15087 + 94473 + 853000 + 837 + 0 + 2401 + 697,
  });
  // cpu1, not cpu10.
  assert.equal(
    parseCoreTimes(STAT, 1).total - parseCoreTimes(STAT, 1).busy,
    839888 + 2384,
  );
  assert.equal(
    parseCoreTimes(STAT, "all").busy,
    814123 + 30166 + 193483 + 5164 + 1377,
  );
  assert.throws(() => parseCoreTimes(STAT, 2), SyntaxError);
  assert.throws(() => parseCoreTimes("cpu0 1 2 3\n", 0), SyntaxError);
});

Deno.test("busyShare() is busy ticks over all ticks between two readings", () => {
  assert.equal(
    busyShare({ busy: 100, total: 400 }, { busy: 175, total: 500 }),
    0.75,
  );
  assert.ok(
    Number.isNaN(busyShare({ busy: 1, total: 2 }, { busy: 1, total: 2 })),
  );
});
