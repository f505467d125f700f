/**
 * The forwarding benchmark: `deno task bench [options]`.
 *
 * For each SFU (the plain werift baseline, then Nereid) and each subscriber
 * count N, starts the SFU alone on core 0 and the load bots on core 1,
 * searches for the highest forwarded packet rate with under 1 % loss, and
 * prints one table with the ratio Nereid ÷ baseline. See bench/README.md.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import type { StepResult } from "./load_bots.ts";
import type { LoopStats } from "../server/media/fast/receive_loop.ts";
import type { SendStats } from "../server/media/fast/udp_batch.ts";
import {
  BENCH_GROUP,
  connectTimeoutMs,
  SERVER_V8_FLAGS,
} from "./bench_defaults.ts";
import { PinnedProcess } from "./pinned_process.ts";
import { contextSwitches, cpuSeconds, memoryMiB } from "./proc_stats.ts";
import {
  type Criterion,
  RateSearch,
  type SearchEnd,
  type StepOutcome,
} from "./rate_search.ts";
import { fmt, pct, ratios, type Row, type Sfu, table } from "./report_table.ts";

/** A server someone else started: its WebSocket URL and process. */
interface External {
  ws: string;
  pid: number;
  group: string;
}

interface Config {
  sfus: Sfu[];
  /** Where `external` is, when it is measured. */
  external: External | null;
  subscribers: number[];
  seconds: number;
  start: number;
  /** Highest rate tried (`--max`). */
  max: number;
  /** Seconds of CPU measured with the peers connected and no media, or 0. */
  idleSeconds: number;
  precision: number;
  maxSteps: number;
  maxLoss: number;
  /** Highest p99 latency of a latency-qualified step, ms. */
  maxP99Ms: number;
  maxBotCpu: number;
  /** Highest fraction of packets the publisher may send >5 ms late. */
  maxLate: number;
  /** Where the SFU processes write V8 CPU profiles, if anywhere. */
  profileDir: string | null;
  verbose: boolean;
}

const HERE = (name: string) => fileURLToPath(new URL(name, import.meta.url));
// After a failing step the SFU may still be working through a backlog.
const REST_AFTER_FAILURE_MS = 2000;
const REST_MS = 300;

function parseConfig(args: string[]): Config {
  const { values } = parseArgs({
    args,
    options: {
      subscribers: { type: "string" },
      seconds: { type: "string" },
      sfu: { type: "string", default: "both" },
      ws: { type: "string" },
      pid: { type: "string" },
      group: { type: "string", default: BENCH_GROUP },
      start: { type: "string" },
      max: { type: "string" },
      idle: { type: "string" },
      "max-late": { type: "string" },
      "max-p99": { type: "string" },
      profile: { type: "string" },
      quick: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "deno task bench [--subscribers 1,10,50] [--seconds 3]\n" +
        "                [--sfu both|nereid|baseline|external[,…]] [--ws URL --pid PID [--group bench]]\n" +
        "                [--start 2000] [--max R] [--idle S] [--max-p99 10] [--max-late 0.01] [--profile DIR]\n" +
        "                [--quick] [--verbose]",
    );
    Deno.exit(0);
  }
  const quick = values.quick;
  const sfus: Sfu[] = [];
  for (const name of values.sfu.split(",")) {
    const add: Sfu[] = name === "both" ? ["baseline", "nereid"] : [];
    if (name === "nereid" || name === "baseline" || name === "external") {
      add.push(name);
    }
    if (add.length === 0) {
      throw new RangeError(
        `Unknown --sfu "${name}": use nereid, baseline, both or external`,
      );
    }
    for (const s of add) if (!sfus.includes(s)) sfus.push(s);
  }
  const external = sfus.includes("external")
    ? externalOf(values.ws, values.pid, values.group)
    : null;
  const subscribers = (values.subscribers ?? (quick ? "1" : "1,10,50"))
    .split(",").map(Number);
  if (subscribers.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new RangeError(`Cannot use --subscribers "${values.subscribers}"`);
  }
  return {
    sfus,
    external,
    subscribers,
    seconds: Number(values.seconds ?? (quick ? 1 : 3)),
    start: Number(values.start ?? 2000),
    max: Number(values.max ?? 1_000_000),
    idleSeconds: Number(values.idle ?? 0),
    precision: quick ? 2 : 1.15,
    maxSteps: quick ? 6 : 20,
    maxLoss: 0.01,
    maxP99Ms: Number(values["max-p99"] ?? 10),
    maxBotCpu: 0.8,
    maxLate: Number(values["max-late"] ?? 0.01),
    profileDir: values.profile ?? null,
    verbose: values.verbose,
  };
}

function externalOf(
  ws: string | undefined,
  pid: string | undefined,
  group: string,
): External {
  if (ws === undefined || !/^wss?:\/\//.test(ws)) {
    throw new RangeError(
      "--sfu external needs --ws ws://HOST:PORT/ws, the server's WebSocket",
    );
  }
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0) {
    throw new RangeError(
      "--sfu external needs --pid PID, the server's process",
    );
  }
  try {
    cpuSeconds(n);
  } catch {
    throw new RangeError(
      `Cannot read /proc/${n}/stat: is process ${n} running?`,
    );
  }
  return { ws, pid: n, group };
}

/** What a Nereid SFU process reports of a step (sfu_process.ts). */
interface SfuStats {
  loop: LoopStats;
  send: SendStats;
  /** `Deno.memoryUsage()` of the SFU (absent from older SFU processes). */
  memory?: Deno.MemoryUsage;
}

/** A running SFU, as the search uses it. */
interface RunningSfu {
  ws: string;
  pid: number;
  group: string;
  what: string;
  /** Its receive loop's statistics since the last call; null when unknown. */
  stats(): Promise<SfuStats | null>;
  stop(): Promise<void>;
}

// Starts the SFU under test on core 0, or pins the external one there (all
// its threads); resolves with where the bots connect.
async function startSfu(
  sfu: Sfu,
  config: Config,
): Promise<RunningSfu> {
  const external = config.external;
  if (sfu === "external" && external !== null) {
    const pinned = await new Deno.Command("taskset", {
      args: ["-a", "-p", "-c", "0", String(external.pid)],
      stdout: "null",
      stderr: "null",
    }).output();
    return {
      ...external,
      what: `external process ${external.pid}${
        pinned.success ? ", pinned to core 0" : ", NOT pinned (taskset failed)"
      }`,
      stats: () => Promise.resolve(null),
      stop: () => Promise.resolve(),
    };
  }
  const server = PinnedProcess.spawn({
    core: 0,
    args: [
      SERVER_V8_FLAGS,
      ...(config.profileDir === null
        ? []
        : ["--cpu-prof", `--cpu-prof-dir=${config.profileDir}`]),
      HERE("./sfu_process.ts"),
      "--media",
      sfu,
      ...(config.verbose ? ["--verbose"] : []),
    ],
    stderr: config.verbose ? "inherit" : "null",
  });
  try {
    const info = await server.message<
      { ws: string; pid: number; fastPath: string }
    >(30_000);
    return {
      ws: info.ws,
      pid: info.pid,
      group: BENCH_GROUP,
      what: `fast path: ${info.fastPath}`,
      stats: async () => {
        await server.send({ type: "stats" });
        return await server.message<SfuStats>(10_000);
      },
      stop: () => server.stop(),
    };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

async function measureOne(
  sfu: Sfu,
  subscribers: number,
  config: Config,
): Promise<Row[]> {
  let bots: PinnedProcess | null = null;
  let server: RunningSfu | null = null;
  const failed = (note: string): Row[] => [{
    ...emptyRow(sfu, subscribers),
    end: "error",
    note,
  }];
  try {
    const info = await startSfu(sfu, config);
    server = info;
    bots = PinnedProcess.spawn({
      core: 1,
      args: [
        HERE("./load_bots.ts"),
        "--ws",
        info.ws,
        "--group",
        info.group,
        "--subscribers",
        String(subscribers),
      ],
      stderr: "inherit",
    });
    const ready = await bots.message<
      { type: string; message?: string; connectMs?: number }
    >(30_000 + connectTimeoutMs(subscribers));
    if (ready.type !== "ready") return failed(`bots: ${ready.message}`);
    progress(
      `${sfu} N=${subscribers}: ready in ${ready.connectMs} ms (${info.what})`,
    );
    if (config.idleSeconds > 0) {
      await measureIdle(sfu, subscribers, { pid: info.pid, config });
    }
    return await search(sfu, subscribers, { config, sfu: info, bots });
  } catch (e) {
    return failed(String(e instanceof Error ? e.message : e));
  } finally {
    if (bots) {
      await bots.send({ type: "quit" }).catch(() => {});
      await bots.stop();
    }
    await server?.stop();
  }
}

// The SFU's CPU and wake-ups with every peer connected and no media.
async function measureIdle(
  sfu: Sfu,
  subscribers: number,
  context: { pid: number; config: Config },
): Promise<void> {
  const { pid, config } = context;
  await sleep(1000); // the warm-up's last packets
  const cpu0 = cpuSeconds(pid), switches0 = contextSwitches(pid);
  const t0 = performance.now();
  await sleep(config.idleSeconds * 1000);
  const wall = (performance.now() - t0) / 1000;
  const cpu = (cpuSeconds(pid) - cpu0) / wall;
  const switches = (contextSwitches(pid) - switches0) / wall;
  progress(
    `${sfu} N=${subscribers}: idle (connected, no media) ${pct(cpu)} CPU, ${
      fmt(switches)
    } context switches/s over ${fmt(wall, 1)} s`,
  );
}

async function search(
  sfu: Sfu,
  subscribers: number,
  context: { config: Config; sfu: RunningSfu; bots: PinnedProcess },
): Promise<Row[]> {
  const { config } = context;
  const rates = new RateSearch({
    start: config.start,
    max: config.max,
    precision: config.precision,
    maxSteps: config.maxSteps,
  });
  // The best step of each criterion, by target rate.
  const best: Record<Criterion, { target: number; row: Row } | null> = {
    latency: null,
    loss: null,
  };
  let last: Row | null = null;
  let botReason = "";
  for (let target = rates.next(); target !== null; target = rates.next()) {
    let step = await measureStep(sfu, subscribers, { ...context, target });
    if (step.late > config.maxLate) {
      // A stall of the bots' event loop (often another process on core 1):
      // the burst that follows is not the even load asked for. Once more.
      progress(`${sfu} N=${subscribers}: pacing off, step repeated`);
      await sleep(REST_AFTER_FAILURE_MS);
      step = await measureStep(sfu, subscribers, { ...context, target });
    }
    const { row } = step;
    let outcome: StepOutcome = row.loss >= config.maxLoss
      ? "fail"
      : row.p99Ms <= config.maxP99Ms
      ? "pass"
      : "late";
    if (row.botCpu > config.maxBotCpu) {
      outcome = "invalid";
      botReason = `bots at ${pct(row.botCpu)} CPU`;
    } else if (step.late > config.maxLate) {
      outcome = "invalid";
      botReason = `bots sent ${pct(step.late)} late (machine busy?)`;
    }
    progress(
      `${sfu} N=${subscribers}: target ${target} fwd/s → ${
        fmt(row.forwarded)
      } fwd/s, ` +
        `loss ${pct(row.loss)}, ${fmt(row.cpuUsPerPacket, 1)} µs/pkt, SFU ${
          pct(row.sfuCpu)
        }, ` +
        `bots ${pct(row.botCpu)}, late ${pct(step.late)}, ${
          fmt(step.switches)
        } SFU context switches/s, ${step.loop === "" ? "" : `${step.loop}, `}` +
        `p50/p99 ${fmt(row.p50Ms, 2)}/${fmt(row.p99Ms, 2)} ms: ${outcome}`,
    );
    // The search runs on the target; the table shows what was measured.
    rates.record(target, outcome);
    last = row;
    const passed: Record<Criterion, boolean> = {
      latency: outcome === "pass",
      loss: outcome === "pass" || outcome === "late",
    };
    for (const c of ["latency", "loss"] as const) {
      if (passed[c] && target > (best[c]?.target ?? 0)) {
        best[c] = { target, row };
      }
    }
    await sleep(outcome === "fail" ? REST_AFTER_FAILURE_MS : REST_MS);
  }
  return (["loss", "latency"] as const).map((criterion) =>
    summarize(criterion, {
      best: best[criterion]?.row ?? null,
      last,
      end: rates.end(criterion) ?? "converged",
      botReason,
      fallback: emptyRow(sfu, subscribers),
    })
  );
}

// The table's row of one criterion: its best step, or the last one.
function summarize(
  criterion: Criterion,
  o: {
    best: Row | null;
    last: Row | null;
    end: SearchEnd;
    botReason: string;
    fallback: Row;
  },
): Row {
  if (o.best === null) {
    return {
      ...(o.last ?? o.fallback),
      criterion,
      end: o.end,
      note: `no step passed (figures of the last step)${
        o.botReason === "" ? "" : `; ${o.botReason}`
      }`,
    };
  }
  const note = o.end === "bot-limit"
    ? `≥: next step invalid, ${o.botReason}`
    : o.end === "rate-cap" || o.end === "step-limit"
    ? `≥: search stopped (${o.end})`
    : "";
  return { ...o.best, criterion, end: o.end, note };
}

async function measureStep(
  sfu: Sfu,
  subscribers: number,
  context: {
    config: Config;
    sfu: RunningSfu;
    bots: PinnedProcess;
    target: number;
  },
): Promise<{ row: Row; late: number; switches: number; loop: string }> {
  const { config, bots, target } = context;
  const pid = context.sfu.pid;
  await context.sfu.stats(); // from now on
  const publisherRate = Math.max(1, Math.round(target / subscribers));
  const cpu0 = cpuSeconds(pid), switches0 = contextSwitches(pid);
  const t0 = performance.now();
  await bots.send({
    type: "step",
    rate: publisherRate,
    seconds: config.seconds,
  });
  const result = await bots.message<StepResult>(config.seconds * 1000 + 30_000);
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  const switches = (contextSwitches(pid) - switches0) / wall;
  const stats = await context.sfu.stats();
  const row = toRow(sfu, subscribers, { result, cpu, wall, pid });
  return {
    row,
    late: result.sent > 0 ? result.late / result.sent : 0,
    switches,
    loop: stats === null ? "" : describeLoop(stats, wall),
  };
}

// What packets waited behind: the loop's wake-ups, its longest turns, and
// how full the send batches were.
function describeLoop(s: SfuStats, seconds: number): string {
  const l = s.loop;
  return `loop ${fmt(l.wakes / seconds)} wakes/s, turn max ${
    fmt(l.maxTurnMs, 1)
  } ms (${l.over5Ms} > 5 ms, ${l.over10Ms} > 10 ms), ${
    fmt(s.send.datagrams / Math.max(1, s.send.calls), 1)
  } datagrams/sendmmsg${memoryOf(s)}`;
}

// Where the SFU's memory is, when it says: the V8 heap and what lives off it.
function memoryOf(s: SfuStats): string {
  const m = s.memory;
  if (m === undefined) return "";
  const mib = (n: number) => fmt(n / 1048576);
  return `, heap ${mib(m.heapUsed)}/${mib(m.heapTotal)} MiB, external ${
    mib(m.external)
  } MiB`;
}

function toRow(
  sfu: Sfu,
  subscribers: number,
  m: { result: StepResult; cpu: number; wall: number; pid: number },
): Row {
  const r = m.result;
  const expected = r.sent * subscribers;
  return {
    sfu,
    subscribers,
    criterion: "loss",
    forwarded: r.received / r.seconds,
    publisherRate: r.rate,
    loss: expected > 0 ? Math.max(0, 1 - r.received / expected) : 1,
    cpuUsPerPacket: r.received > 0 ? (m.cpu * 1e6) / r.received : NaN,
    sfuCpu: m.cpu / m.wall,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    rssMiB: memoryMiB(m.pid).rss,
    botCpu: r.botCpu,
    end: "converged",
    note: "",
  };
}

function emptyRow(sfu: Sfu, subscribers: number): Row {
  return {
    sfu,
    subscribers,
    criterion: "loss",
    forwarded: 0,
    publisherRate: 0,
    loss: 1,
    cpuUsPerPacket: NaN,
    sfuCpu: NaN,
    p50Ms: NaN,
    p99Ms: NaN,
    rssMiB: NaN,
    botCpu: NaN,
    end: "error",
    note: "",
  };
}

function progress(message: string): void {
  console.error(`[bench] ${message}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(
      " ",
    );
  } catch {
    return "?";
  }
}

async function main(): Promise<void> {
  const config = parseConfig(Deno.args);
  const startLoad = loadAverage();
  const started = performance.now();
  const rows: Row[] = [];
  for (const sfu of config.sfus) {
    for (const n of config.subscribers) {
      let measured = await measureOne(sfu, n, config);
      const error = measured.find((r) => r.end === "error");
      if (error) {
        // Connecting N werift peers on a busy machine sometimes fails.
        progress(`${sfu} N=${n}: ${error.note.slice(0, 200)}; starting again`);
        measured = await measureOne(sfu, n, config);
      }
      rows.push(...measured);
    }
  }
  console.log(
    `\nForwarding benchmark: 1200-byte VP8 packets, 1 publisher → N subscribers, ` +
      `${config.seconds} s steps; a step passes "loss" with <${
        config.maxLoss * 100
      } % loss, "latency" with that and p99 ≤ ${config.maxP99Ms} ms; ` +
      `SFU on core 0, bots on core 1`,
  );
  console.log(
    `deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, load average ` +
      `${startLoad} at start, ${loadAverage()} at end, ${
        ((performance.now() - started) / 1000).toFixed(0)
      } s\n`,
  );
  console.log(table(rows));
  const lines = ratios(rows, config.subscribers);
  if (lines.length > 0) console.log(`\n${lines.join("\n")}`);
  if (rows.some((r) => r.end === "error")) Deno.exitCode = 1;
}

if (import.meta.main) await main();
