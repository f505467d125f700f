/**
 * The cluster benchmark's arithmetic, pure: latency summaries, when the
 * capacity ramp stops, what a chat step cost per CPU-second, a line fitted
 * through the steps, and aligned text tables.
 *
 * @module
 */

import { quantile } from "./latency_recorder.ts";

/** Median, 90th and 99th percentiles (nearest rank) of some samples. */
export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
}

/** Summarises `samples` (ms); NaN percentiles when there are none. */
export function summarize(samples: readonly number[]): Summary {
  const values = Float64Array.from(samples);
  return {
    count: values.length,
    p50: quantile(values, 0.5),
    p90: quantile(values, 0.9),
    p99: quantile(values, 0.99),
  };
}

/** Why the capacity ramp goes on or stops after a step. */
export type RampVerdict = "continue" | "latency" | "errors" | "cap";

/** What a ramp step saw. */
export interface RampStep {
  /** Members joined after the step, in all. */
  members: number;
  /** Joins that failed in the step, and joined members the server dropped. */
  errors: number;
  /** 99th percentile of the step's join times, ms. */
  joinP99Ms: number;
}

/**
 * Whether the ramp adds another step: it stops at the first error, when a
 * step's join p99 exceeds `maxJoinP99Ms`, or once `cap` members are in.
 */
export function rampVerdict(
  step: RampStep,
  limits: { maxJoinP99Ms: number; cap: number },
): RampVerdict {
  if (step.errors > 0) return "errors";
  if (!(step.joinP99Ms <= limits.maxJoinP99Ms)) return "latency";
  if (step.members >= limits.cap) return "cap";
  return "continue";
}

/** A point of the ramp: clients joined and the edge's resident memory. */
export interface MemoryPoint {
  members: number;
  rssMiB: number;
}

/**
 * The edge's memory per joined client, KiB: the growth of its RSS from the
 * first step to the last over the clients added (the first step holds the
 * process's own warm-up); NaN with fewer than two steps.
 */
export function memoryPerClientKiB(
  first: MemoryPoint,
  last: MemoryPoint,
): number {
  const added = last.members - first.members;
  return added > 0 ? ((last.rssMiB - first.rssMiB) * 1024) / added : NaN;
}

/** What a chat step measured. */
export interface ChatCounts {
  /** Chat messages sent by the members. */
  sent: number;
  /** Chat messages the members received (each sent one reaches its whole group). */
  received: number;
  /** Members of each group: every chat message goes to each, sender included. */
  groupSize: number;
  /** The sending window, s. */
  seconds: number;
  /** The edge's CPU time over the window and the drain after it, s. */
  edgeCpuSeconds: number;
  /** The window and the drain, s. */
  wallSeconds: number;
}

/** The figures of a chat step. */
export interface ChatFigures {
  sentPerSecond: number;
  deliveredPerSecond: number;
  /** received ÷ (sent × group size): 1 when nothing was lost. */
  deliveryRatio: number;
  /** The edge's CPU time ÷ wall time: 1 is one core, busy. */
  edgeCpu: number;
  /** Chat messages the edge took in per CPU-second. */
  sentPerCpuSecond: number;
  /** Chat messages the edge delivered per CPU-second. */
  deliveredPerCpuSecond: number;
}

/** Rates and per-CPU-second costs of one chat step. */
export function chatFigures(c: ChatCounts): ChatFigures {
  const expected = c.sent * c.groupSize;
  return {
    sentPerSecond: c.sent / c.seconds,
    deliveredPerSecond: c.received / c.seconds,
    deliveryRatio: expected > 0 ? c.received / expected : NaN,
    edgeCpu: c.edgeCpuSeconds / c.wallSeconds,
    sentPerCpuSecond: c.edgeCpuSeconds > 0 ? c.sent / c.edgeCpuSeconds : NaN,
    deliveredPerCpuSecond: c.edgeCpuSeconds > 0
      ? c.received / c.edgeCpuSeconds
      : NaN,
  };
}

/** A line y = intercept + slope × x. */
export interface Line {
  intercept: number;
  slope: number;
}

/**
 * The least-squares line through `points`; null with fewer than two
 * distinct x. Fitted to (chat rate, edge CPU share), the intercept is what
 * the edge spends with no chat and the slope the CPU-seconds per message.
 */
export function fitLine(
  points: readonly { x: number; y: number }[],
): Line | null {
  const n = points.length;
  if (n < 2) return null;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { intercept: my - slope * mx, slope };
}

/**
 * Lines of a table: the first `left` columns padded right, the others
 * (numbers) padded left, two spaces apart.
 */
export function alignedTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  left = 1,
): string {
  const lines = [head, ...rows];
  const widths = head.map((_, i) =>
    Math.max(...lines.map((l) => (l[i] ?? "").length))
  );
  return lines.map((l) =>
    head.map((_, i) => {
      const cell = l[i] ?? "";
      return i < left ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!);
    }).join("  ").trimEnd()
  ).join("\n");
}
