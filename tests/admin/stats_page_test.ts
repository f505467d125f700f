/** The statistics page: its pure helpers, and that it asks nothing external. */

import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  HISTORY,
  kbps,
  percent,
  recordHistory,
  sparklinePoints,
} from "../../client/stats.js";

const CLIENT = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "client",
);

Deno.test("stats.js formats figures for people", () => {
  assert.equal(kbps(1_234_567), "1235");
  assert.equal(kbps(undefined), "");
  assert.equal(percent(0.0123), "1.2%");
});

Deno.test("stats.js keeps two minutes of bitrate per track and forgets gone tracks", () => {
  const history = new Map<string, number[]>();
  const report = (bitrate: number, conn = "s1") => [{
    name: "g",
    clients: [{ id: "c", up: [{ id: conn, tracks: [{ bitrate }] }], down: [] }],
  }];
  for (let i = 0; i < HISTORY + 5; i++) recordHistory(history, report(i));
  const [values] = [...history.values()];
  assert.equal(values!.length, HISTORY);
  assert.equal(values!.at(-1), HISTORY + 4);
  recordHistory(history, report(1, "s2"));
  assert.equal(history.size, 1);
});

Deno.test("stats.js draws a sparkline right-aligned in its box", () => {
  assert.equal(sparklinePoints([], 120, 24), "");
  const points = sparklinePoints([0, 10], 120, 24).split(" ");
  assert.equal(points.length, 2);
  assert.equal(points[1], "120.0,1.0");
  assert.ok(points[0]!.endsWith(",24.0"));
});

Deno.test("stats.html loads only same-origin resources", async () => {
  const html = await Deno.readTextFile(join(CLIENT, "stats.html"));
  const js = await Deno.readTextFile(join(CLIENT, "stats.js"));
  for (const match of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
    assert.ok(match[1]!.startsWith("/"), match[1]);
  }
  assert.doesNotMatch(js, /https?:\/\//);
  assert.doesNotMatch(js, /innerHTML/);
  assert.match(html, /role="status"/);
  assert.match(html, /<html lang="en">/);
});
