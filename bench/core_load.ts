/**
 * How busy a core was, from Linux's /proc/stat (proc(5)): on a shared
 * machine it tells a process that used little CPU because it had little to
 * do from one that got little of its core.
 *
 * @example
 * ```ts
 * const before = coreTimes(0);
 * // … the measured step …
 * const busy = busyShare(before, coreTimes(0)); // 0…1
 * ```
 *
 * @module
 */

/** Cumulative times of a core (or of all, `"all"`), in clock ticks. */
export interface CoreTimes {
  /** Time not idle and not waiting for I/O (steal included: not ours). */
  busy: number;
  total: number;
}

/**
 * The times of `core` (the `cpuN` line) or of every core (the `cpu` line)
 * in the text of /proc/stat.
 * @throws {SyntaxError} when the line is missing or malformed
 */
export function parseCoreTimes(stat: string, core: number | "all"): CoreTimes {
  const name = core === "all" ? "cpu" : `cpu${core}`;
  const line = stat.split("\n").find((l) => l.startsWith(`${name} `));
  // user nice system idle iowait irq softirq steal (guest times are
  // already counted in user and nice).
  const fields = line?.trim().split(/\s+/).slice(1, 9).map(Number) ?? [];
  if (fields.length < 8 || fields.some((n) => !Number.isFinite(n))) {
    throw new SyntaxError(`Cannot read the ${name} line of /proc/stat`);
  }
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - fields[3]! - fields[4]!, total };
}

/** The times of `core` (or of all cores) now. */
export function coreTimes(core: number | "all"): CoreTimes {
  return parseCoreTimes(Deno.readTextFileSync("/proc/stat"), core);
}

/** The busy share (0…1) between two readings; NaN when no tick passed. */
export function busyShare(before: CoreTimes, after: CoreTimes): number {
  const total = after.total - before.total;
  return total > 0 ? (after.busy - before.busy) / total : NaN;
}
