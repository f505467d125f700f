import assert from "node:assert/strict";
import { gridShape } from "./grid_layout.ts";

const shape = (n: number, width: number, height: number) => {
  const s = gridShape(n, { width, height, gap: 8 });
  return `${s.columns}×${s.rows}`;
};

Deno.test("gridShape() fills a 16:9 tile with one person", () => {
  const s = gridShape(1, { width: 1280, height: 720, gap: 0 });
  assert.deepEqual([s.columns, s.tileWidth, s.tileHeight], [1, 1280, 720]);
});

Deno.test("gridShape() puts two tiles side by side on a wide screen", () => {
  const s = gridShape(2, { width: 1280, height: 600, gap: 0 });
  assert.equal(s.columns, 2);
  assert.equal(s.tileWidth, 640);
});

Deno.test("gridShape() makes a 2×2 grid of 3 or 4 tiles in a wide centre pane", () => {
  // 1280 px window, people and chat panes open: about 700×650 for videos.
  assert.equal(shape(3, 700, 650), "2×2");
  assert.equal(shape(3, 704, 700), "2×2");
  assert.equal(shape(4, 700, 650), "2×2");
  assert.equal(shape(3, 1100, 650), "2×2");
  assert.equal(shape(4, 1600, 900), "2×2");
});

Deno.test("gridShape() lays out five to nine tiles in two or three rows", () => {
  assert.equal(shape(5, 1280, 700), "3×2");
  assert.equal(shape(6, 1280, 700), "3×2");
  assert.equal(shape(7, 1280, 700), "3×3");
  assert.equal(shape(9, 1600, 900), "3×3");
});

Deno.test("gridShape() stacks tiles on a phone in portrait", () => {
  assert.equal(shape(2, 374, 680), "1×2");
  assert.equal(shape(3, 374, 680), "1×3");
  assert.equal(shape(4, 374, 680), "1×4");
});

Deno.test("gridShape() keeps many tiles readable and lets the grid scroll", () => {
  const s = gridShape(40, { width: 700, height: 600, gap: 8 });
  assert.ok(s.tileWidth >= 160, `tile ${s.tileWidth} px wide`);
  assert.equal(s.columns, 4);
  assert.equal(s.scrolls, true);
});
