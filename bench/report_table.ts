/**
 * The benchmark's result table and the Nereid ÷ baseline ratios.
 *
 * @module
 */

import type { SearchEnd } from "./rate_search.ts";

/** The SFUs compared. */
export type Sfu = "baseline" | "nereid";

/** One measured step, as the table shows it. */
export interface Row {
  sfu: Sfu;
  subscribers: number;
  /** Forwarded packets per second: received by all subscribers ÷ seconds. */
  forwarded: number;
  publisherRate: number;
  loss: number;
  cpuUsPerPacket: number;
  sfuCpu: number;
  p50Ms: number;
  p99Ms: number;
  rssMiB: number;
  botCpu: number;
  end: SearchEnd | "error";
  note: string;
}

/** A number with thousands separators; "-" when not finite. */
export function fmt(x: number, digits = 0): string {
  return Number.isFinite(x)
    ? x.toLocaleString("en-US", {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    })
    : "-";
}

/** A fraction as a percentage; "-" when not finite. */
export function pct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : "-";
}

/** The table, one row per SFU and N, columns aligned. */
export function table(rows: Row[]): string {
  const head = [
    "sfu",
    "N",
    "max fwd pkt/s",
    "pub pkt/s",
    "loss",
    "CPU µs/pkt",
    "SFU CPU",
    "p50 ms",
    "p99 ms",
    "RSS MiB",
    "bots CPU",
    "note",
  ];
  const body = rows.map((r) => [
    r.sfu,
    String(r.subscribers),
    fmt(r.forwarded),
    fmt(r.publisherRate),
    pct(r.loss),
    fmt(r.cpuUsPerPacket, 1),
    pct(r.sfuCpu),
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    fmt(r.rssMiB),
    pct(r.botCpu),
    r.note,
  ]);
  const lines = [head, ...body];
  const widths = head.map((_, i) =>
    Math.max(...lines.map((l) => l[i]!.length))
  );
  return lines.map((l) =>
    l.map((cell, i) =>
      i < 2 || i === l.length - 1
        ? cell.padEnd(widths[i]!)
        : cell.padStart(widths[i]!)
    )
      .join("  ").trimEnd()
  ).join("\n");
}

/** One line per N with both SFUs measured: the ratio and the goal. */
export function ratios(rows: Row[], subscribers: number[]): string[] {
  const out: string[] = [];
  for (const n of subscribers) {
    const base = rows.find((r) => r.sfu === "baseline" && r.subscribers === n);
    const ours = rows.find((r) => r.sfu === "nereid" && r.subscribers === n);
    if (!base || !ours) continue;
    if (base.end === "error" || ours.end === "error") {
      out.push(`N=${n}: no ratio, a run failed`);
      continue;
    }
    if (base.note.startsWith("no step") || ours.note.startsWith("no step")) {
      out.push(`N=${n}: no ratio, a search had no passing step`);
      continue;
    }
    const ratio = ours.forwarded / base.forwarded;
    // Either figure may be a lower bound (≥): Nereid's settles the goal
    // only when it clears it, the baseline's only when Nereid misses it.
    const goal = ratio >= 10
      ? (base.note.startsWith("≥")
        ? "undetermined (baseline is a lower bound)"
        : "met")
      : ours.note.startsWith("≥")
      ? "undetermined (Nereid's figure is a lower bound)"
      : "not met";
    const cpu = base.cpuUsPerPacket / ours.cpuUsPerPacket;
    out.push(
      `N=${n}: nereid/baseline forwarded pkt/s ${ratio.toFixed(1)}× ` +
        `(CPU per packet ${cpu.toFixed(1)}× less); goal ≥10×: ${goal}`,
    );
  }
  return out;
}
