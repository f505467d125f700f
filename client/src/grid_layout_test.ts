import assert from "node:assert/strict";
import { gridShape } from "./grid_layout.ts";

Deno.test("gridShape() puts two tiles side by side on a wide screen", () => {
  const s = gridShape(2, { width: 1280, height: 600, gap: 0 });
  assert.equal(s.columns, 2);
  assert.equal(s.tileWidth, 640);
});

Deno.test("gridShape() stacks two tiles on a phone in portrait", () => {
  const s = gridShape(2, { width: 390, height: 700, gap: 0 });
  assert.equal(s.columns, 1);
  assert.equal(s.rows, 2);
});

Deno.test("gridShape() makes a 3×3 grid of nine tiles on a 16:9 area", () => {
  const s = gridShape(9, { width: 1600, height: 900, gap: 0 });
  assert.deepEqual([s.columns, s.rows], [3, 3]);
});
