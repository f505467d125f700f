import assert from "node:assert/strict";
import {
  alignedTable,
  chatFigures,
  fitLine,
  memoryPerClientKiB,
  rampVerdict,
  summarize,
} from "./cluster_figures.ts";

Deno.test("summarize() gives nearest-rank percentiles, NaN when empty", () => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.deepEqual(summarize(samples), {
    count: 100,
    p50: 50,
    p90: 90,
    p99: 99,
  });
  assert.deepEqual(summarize([7]), { count: 1, p50: 7, p90: 7, p99: 7 });
  const empty = summarize([]);
  assert.equal(empty.count, 0);
  assert.ok(Number.isNaN(empty.p50) && Number.isNaN(empty.p99));
});

Deno.test("rampVerdict() stops at an error, then at a slow step, then at the cap", () => {
  const limits = { maxJoinP99Ms: 1000, cap: 2000 };
  const step = { members: 400, errors: 0, joinP99Ms: 120 };
  assert.equal(rampVerdict(step, limits), "continue");
  assert.equal(
    rampVerdict({ ...step, errors: 1, joinP99Ms: 5000 }, limits),
    "errors",
  );
  assert.equal(rampVerdict({ ...step, joinP99Ms: 1000 }, limits), "continue");
  assert.equal(rampVerdict({ ...step, joinP99Ms: 1001 }, limits), "latency");
  // A step where no join completed has no p99: it is not a pass.
  assert.equal(rampVerdict({ ...step, joinP99Ms: NaN }, limits), "latency");
  assert.equal(rampVerdict({ ...step, members: 2000 }, limits), "cap");
});

Deno.test("chatFigures() sets messages in and delivered against the edge's CPU time", () => {
  const f = chatFigures({
    sent: 1000,
    received: 19_800,
    groupSize: 20,
    seconds: 5,
    edgeCpuSeconds: 2,
    wallSeconds: 5.5,
  });
  assert.equal(f.sentPerSecond, 200);
  assert.equal(f.deliveredPerSecond, 3960);
  assert.equal(f.deliveryRatio, 0.99);
  assert.equal(f.edgeCpu, 2 / 5.5);
  assert.equal(f.sentPerCpuSecond, 500);
  assert.equal(f.deliveredPerCpuSecond, 9900);
  const idle = chatFigures({
    sent: 0,
    received: 0,
    groupSize: 20,
    seconds: 5,
    edgeCpuSeconds: 0,
    wallSeconds: 5,
  });
  assert.ok(Number.isNaN(idle.deliveryRatio));
  assert.ok(Number.isNaN(idle.deliveredPerCpuSecond));
});

Deno.test("memoryPerClientKiB() is the RSS growth over the clients added", () => {
  assert.equal(
    memoryPerClientKiB({ members: 200, rssMiB: 90 }, {
      members: 1200,
      rssMiB: 100,
    }),
    10.24,
  );
  assert.ok(
    Number.isNaN(
      memoryPerClientKiB({ members: 200, rssMiB: 90 }, {
        members: 200,
        rssMiB: 90,
      }),
    ),
  );
});

Deno.test("alignedTable() pads the first columns right and the others left", () => {
  assert.equal(
    alignedTable(["name", "n"], [["a", "1"], ["bcd", "22"]]),
    "name   n\na      1\nbcd   22",
  );
  assert.equal(alignedTable(["x", "y"], [["1", ""]], 0), "x  y\n1");
});

Deno.test("fitLine() fits least squares, null without two distinct x", () => {
  const line = fitLine([
    { x: 100, y: 0.05 },
    { x: 200, y: 0.07 },
    { x: 400, y: 0.11 },
  ]);
  assert.ok(line !== null);
  assert.ok(Math.abs(line.slope - 0.0002) < 1e-12);
  assert.ok(Math.abs(line.intercept - 0.03) < 1e-12);
  const noisy = fitLine([{ x: 0, y: 1 }, { x: 1, y: 0 }, { x: 2, y: 3 }]);
  assert.ok(noisy !== null);
  assert.ok(Math.abs(noisy.slope - 1) < 1e-12);
  assert.ok(Math.abs(noisy.intercept - 1 / 3) < 1e-12);
  assert.equal(fitLine([{ x: 1, y: 1 }]), null);
  assert.equal(fitLine([{ x: 1, y: 1 }, { x: 1, y: 2 }]), null);
});
