/**
 * CPU time and memory of a process, from Linux's /proc (proc(5)).
 *
 * @module
 */

// sysconf(_SC_CLK_TCK) is 100 on every Linux this runs on (getconf CLK_TCK).
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * User + system CPU time of process `pid` (or "self"), in seconds, summed
 * over all its threads (fields 14 and 15 of /proc/PID/stat).
 * @throws Deno.errors.NotFound when the process is gone
 */
export function cpuSeconds(pid: number | "self"): number {
  return parseCpuSeconds(Deno.readTextFileSync(`/proc/${pid}/stat`));
}

/**
 * Parses the text of /proc/PID/stat into user + system seconds.
 * @throws {SyntaxError} when the text is not a stat line
 */
export function parseCpuSeconds(stat: string): number {
  // The command name (field 2) may hold spaces and parentheses: split after
  // the last ")", where field 3 starts.
  const end = stat.lastIndexOf(")");
  const fields = stat.slice(end + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (end < 0 || !Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new SyntaxError("Cannot parse /proc stat line");
  }
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** Resident and peak resident memory of process `pid`, in MiB. */
export function memoryMiB(pid: number | "self"): { rss: number; peak: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kib = (name: string): number => {
    const match = status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"));
    return match ? Number(match[1]) : NaN;
  };
  return { rss: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
}

/**
 * Context switches of every thread of process `pid` so far (voluntary and
 * not, from /proc/PID/task/TID/status): about how often its threads woke.
 * Threads that ended are not counted.
 */
export function contextSwitches(pid: number | "self"): number {
  let total = 0;
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    let status: string;
    try {
      status = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/status`);
    } catch {
      continue; // the thread ended meanwhile
    }
    for (const m of status.matchAll(/^\w*ctxt_switches:\s+(\d+)/gm)) {
      total += Number(m[1]);
    }
  }
  return total;
}
