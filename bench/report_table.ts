/**
 * The benchmark's result table and the Nereid ÷ baseline ratios.
 *
 * @module
 */

import type { Criterion, SearchEnd } from "./rate_search.ts";

/**
 * The SFUs compared: werift's plain forwarder, Nereid, and a server the user
 * started (Galène, or any server of its protocol).
 */
export type Sfu = "baseline" | "nereid" | "external";

/** One measured step, as the table shows it. */
export interface Row {
  sfu: Sfu;
  subscribers: number;
  /** Which maximum the row shows: loss only, or loss and p99 latency. */
  criterion: Criterion;
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
    "pass",
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
    r.criterion === "loss" ? "loss" : "loss+p99",
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
      i < 3 || i === l.length - 1
        ? cell.padEnd(widths[i]!)
        : cell.padStart(widths[i]!)
    )
      .join("  ").trimEnd()
  ).join("\n");
}

/**
 * One line per N, criterion and other SFU measured beside Nereid: the ratio
 * of their maxima and of their CPU per packet; against the baseline, the
 * goal (≥ 10×).
 */
export function ratios(rows: Row[], subscribers: number[]): string[] {
  const out: string[] = [];
  for (const other of ["baseline", "external"] as const) {
    for (const n of subscribers) {
      for (const criterion of ["loss", "latency"] as const) {
        const pick = (sfu: Sfu) =>
          rows.find((r) =>
            r.sfu === sfu && r.subscribers === n &&
            (r.criterion === criterion || r.end === "error")
          );
        const line = ratio(other, pick(other), pick("nereid"));
        if (line === null) continue;
        out.push(
          `N=${n} ${criterion === "loss" ? "loss" : "loss+p99"}: ${line}`,
        );
      }
    }
  }
  return out;
}

function ratio(
  name: Sfu,
  base: Row | undefined,
  ours: Row | undefined,
): string | null {
  if (!base || !ours) return null;
  if (base.end === "error" || ours.end === "error") {
    return `nereid/${name}: no ratio, a run failed`;
  }
  if (base.note.startsWith("no step") || ours.note.startsWith("no step")) {
    return `nereid/${name}: no ratio, a search had no passing step`;
  }
  const ratio = ours.forwarded / base.forwarded;
  const cpu = base.cpuUsPerPacket / ours.cpuUsPerPacket;
  const line = `nereid/${name} forwarded pkt/s ${ratio.toFixed(1)}× ` +
    `(CPU per packet ${cpu.toFixed(1)}× less)`;
  if (name !== "baseline") return line;
  // Either figure may be a lower bound (≥): Nereid's settles the goal
  // only when it clears it, the baseline's only when Nereid misses it.
  const goal = ratio >= 10
    ? (base.note.startsWith("≥")
      ? "undetermined (baseline is a lower bound)"
      : "met")
    : ours.note.startsWith("≥")
    ? "undetermined (Nereid's figure is a lower bound)"
    : "not met";
  return `${line}; goal ≥10×: ${goal}`;
}
