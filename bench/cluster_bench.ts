/**
 * The cluster benchmark: `deno task bench:cluster [options]`.
 *
 * In one run, on loopback, every server part a real process:
 * 1. join-to-first-packet and signalling round trips, all-in-one (one
 *    process) against edge+node (Redis, one edge, one media node), side by
 *    side (cluster_latency.ts);
 * 2. how many joined clients one edge holds (edge_capacity.ts
 *    `rampMembers`);
 * 3. chat messages per second per core through one edge (edge_capacity.ts
 *    `chatSteps`).
 *
 * The server processes run on core 0, this process (the clients) and, for
 * 2 and 3, the media node on core 1. See bench/README.md.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  allCores,
  pinToCores,
  type Setup,
  type SetupName,
  startAllInOne,
  startEdgeAndNode,
} from "./cluster_setup.ts";
import {
  LATENCY_FIGURES,
  type LatencyResult,
  measureLatencies,
} from "./cluster_latency.ts";
import { type ChatRow, chatSteps, rampMembers } from "./edge_capacity.ts";
import type { RampResult } from "./edge_capacity.ts";
import {
  alignedTable,
  fitLine,
  memoryPerClientKiB,
  summarize,
} from "./cluster_figures.ts";
import { fmt, pct } from "./report_table.ts";

const PARTS = ["latency", "capacity", "chat"] as const;
type Part = typeof PARTS[number];

interface Config {
  parts: Part[];
  repetitions: number;
  warmup: number;
  cap: number;
  step: number;
  groupSize: number;
  concurrency: number;
  maxJoinP99Ms: number;
  holdSeconds: number;
  chatGroups: number;
  chatGroupSize: number;
  chatRates: number[];
  maxChatP99Ms: number;
  seconds: number;
  /** Cores of the server processes and of this one; null: not pinned. */
  pin: { server: string; clients: string } | null;
  verbose: boolean;
}

/** Messages a client may send per second (server/signalling/client_session.ts). */
const MAX_MESSAGES_PER_CLIENT = 100;

/** A line through the chat steps needs this many, this far apart in CPU. */
const MIN_FIT_STEPS = 3;
const MIN_FIT_CPU_SPAN = 0.1;

const DEFAULT_CHAT_RATES = "100,200,400,800,1600,3200,6400";

const USAGE = `deno task bench:cluster [options]
  --only latency,capacity,chat   parts to run (default all)
  --reps 20 --warmup 1           latency repetitions per setup
  --clients 5000 --step 500      capacity: cap and clients added per step
  --group-size 20                capacity: clients per group
  --concurrency 10               capacity: joins in flight at once
  --max-join-p99 1000            capacity: a step above this (ms) ends the ramp
  --hold 3                       capacity: seconds of idle CPU measured at the end
  --chat-groups 5 --chat-group-size 20
  --chat-rates 100,200,…,6400    chat messages sent per second, one step each,
                                 until a step loses 1 %, has a chat p99 over
                                 --max-chat-p99 (1000 ms), or a core (the
                                 edge's or the clients') is over 90 %
  --seconds 5                    chat: sending time per step
  --server-core 0                the servers' core; the clients get the others
  --no-pin                       no taskset
  --quick                        small sizes, < 1 min on a quiet machine
  --verbose                      server logs`;

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new RangeError(`Cannot use --${name} "${text}": a positive number`);
  }
  return n;
}

function parseConfig(args: string[]): Config {
  const { values } = parseArgs({
    args,
    options: {
      only: { type: "string" },
      reps: { type: "string" },
      warmup: { type: "string" },
      clients: { type: "string" },
      step: { type: "string" },
      "group-size": { type: "string" },
      concurrency: { type: "string" },
      "max-join-p99": { type: "string" },
      hold: { type: "string" },
      "chat-groups": { type: "string" },
      "chat-group-size": { type: "string" },
      "chat-rates": { type: "string" },
      "max-chat-p99": { type: "string" },
      seconds: { type: "string" },
      "server-core": { type: "string" },
      "no-pin": { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const q = values.quick;
  const number = (name: keyof typeof values, full: number, quick: number) => {
    const text = values[name];
    return typeof text === "string" ? positive(name, text) : q ? quick : full;
  };
  const parts = (values.only ?? PARTS.join(",")).split(",");
  for (const p of parts) {
    if (!(PARTS as readonly string[]).includes(p)) {
      throw new RangeError(`Unknown part "${p}": use ${PARTS.join(", ")}`);
    }
  }
  const cores = navigator.hardwareConcurrency;
  const pin = !values["no-pin"] && cores >= 2;
  const serverCore = Number(values["server-core"] ?? 0);
  if (!Number.isInteger(serverCore) || serverCore < 0 || serverCore >= cores) {
    throw new RangeError(
      `Cannot use --server-core "${values["server-core"]}": 0 to ${cores - 1}`,
    );
  }
  const config: Config = {
    parts: parts as Part[],
    repetitions: number("reps", 20, 3),
    warmup: values.warmup === undefined ? 1 : Number(values.warmup),
    cap: number("clients", 5000, 200),
    step: number("step", 500, 50),
    groupSize: number("group-size", 20, 20),
    concurrency: number("concurrency", 10, 10),
    maxJoinP99Ms: number("max-join-p99", 1000, 1000),
    holdSeconds: number("hold", 3, 1),
    chatGroups: number("chat-groups", 5, 2),
    chatGroupSize: number("chat-group-size", 20, 10),
    chatRates: (values["chat-rates"] ?? (q ? "50,100" : DEFAULT_CHAT_RATES))
      .split(",").map((r) => positive("chat-rates", r)),
    maxChatP99Ms: number("max-chat-p99", 1000, 1000),
    seconds: number("seconds", 5, 2),
    pin: pin ? pinning(cores, serverCore) : null,
    verbose: values.verbose,
  };
  const perMember = Math.max(...config.chatRates) /
    (config.chatGroups * config.chatGroupSize);
  if (perMember > MAX_MESSAGES_PER_CLIENT) {
    throw new RangeError(
      `Cannot send ${perMember} chat messages/s per member: the server allows ` +
        `a client ${MAX_MESSAGES_PER_CLIENT}; add members or lower --chat-rates`,
    );
  }
  return config;
}

/** The servers on `serverCore`, the clients on every other core. */
function pinning(
  cores: number,
  serverCore: number,
): { server: string; clients: string } {
  const others = Array.from({ length: cores }, (_, i) => i)
    .filter((i) => i !== serverCore);
  return { server: String(serverCore), clients: others.join(",") };
}

/** The core the edge is pinned to, or "all". */
function edgeCore(config: Config): number | "all" {
  return config.pin ? Number(config.pin.server) : "all";
}

function progress(message: string): void {
  console.error(`[bench:cluster] ${message}`);
}

function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3)
      .join(" ");
  } catch {
    return "?";
  }
}

/**
 * Starts a setup and keeps it in `running` until it is closed, so that an
 * interrupted run stops its processes.
 */
async function start(
  name: SetupName,
  context: { config: Config; running: Set<Setup>; capGroups?: number },
): Promise<Setup> {
  const { config, capGroups = 0 } = context;
  const cores = config.pin?.server ?? allCores();
  // With the capacity parts, the media node leaves the edge its core.
  const mediaCores = capGroups > 0 ? config.pin?.clients ?? cores : cores;
  const options = { cores, mediaCores, capGroups, verbose: config.verbose };
  const setup = name === "all-in-one"
    ? await startAllInOne(options)
    : await startEdgeAndNode(options);
  context.running.add(setup);
  const close = setup.close;
  return {
    ...setup,
    close: async () => {
      await close();
      context.running.delete(setup);
    },
  };
}

async function latencies(
  config: Config,
  running: Set<Setup>,
): Promise<Map<SetupName, LatencyResult | Error>> {
  const results = new Map<SetupName, LatencyResult | Error>();
  for (const name of ["all-in-one", "edge+node"] as const) {
    progress(`${name}: starting`);
    let setup: Setup | undefined;
    try {
      setup = await start(name, { config, running });
      progress(`${name}: ${config.warmup} + ${config.repetitions} repetitions`);
      results.set(
        name,
        await measureLatencies(setup.ws, {
          repetitions: config.repetitions,
          warmup: config.warmup,
          progress: (m) => progress(`${name}: ${m}`),
        }),
      );
    } catch (e) {
      progress(`${name}: ${e}`);
      results.set(name, e instanceof Error ? e : new Error(String(e)));
    } finally {
      await setup?.close();
    }
  }
  return results;
}

function latencyTable(results: Map<SetupName, LatencyResult | Error>): string {
  const head = ["ms (median / p90)"];
  const columns: (LatencyResult | Error)[] = [];
  for (const [name, result] of results) {
    head.push(name);
    columns.push(result);
  }
  const rows = LATENCY_FIGURES.map((figure) => [
    figure,
    ...columns.map((r) => {
      if (r instanceof Error) return "failed";
      const s = summarize(r.samples[figure]);
      return `${fmt(s.p50, 1)} / ${fmt(s.p90, 1)}`;
    }),
  ]);
  rows.push([
    "repetitions (failed)",
    ...columns.map((r) =>
      r instanceof Error
        ? r.message.slice(0, 40)
        : `${r.samples[LATENCY_FIGURES[0]].length} (${r.failures})`
    ),
  ]);
  return alignedTable(head, rows);
}

async function capacity(
  config: Config,
  running: Set<Setup>,
): Promise<RampResult | Error> {
  progress("capacity: starting edge+node");
  let setup: Setup | undefined;
  try {
    setup = await start("edge+node", {
      config,
      running,
      capGroups: Math.ceil(config.cap / config.groupSize),
    });
    return await rampMembers({
      url: setup.ws,
      pid: setup.signallingPid,
      core: edgeCore(config),
      cap: config.cap,
      step: config.step,
      groupSize: config.groupSize,
      concurrency: config.concurrency,
      maxJoinP99Ms: config.maxJoinP99Ms,
      holdSeconds: config.holdSeconds,
      progress: (m) => progress(`capacity: ${m}`),
    });
  } catch (e) {
    progress(`capacity: ${e}`);
    return e instanceof Error ? e : new Error(String(e));
  } finally {
    await setup?.close();
  }
}

function capacityTable(result: RampResult): string {
  const rows = result.rows.map((r) => [
    String(r.members),
    fmt(r.joinP50Ms, 0),
    fmt(r.joinP99Ms, 0),
    fmt(r.joinRate, 0),
    String(r.errors),
    pct(r.edgeCpu),
    pct(r.coreBusy),
    fmt(r.rssMiB, 0),
  ]);
  return alignedTable(
    [
      "clients",
      "join p50 ms",
      "join p99 ms",
      "joins/s",
      "errors",
      "edge CPU",
      "core busy",
      "edge RSS MiB",
    ],
    rows,
    0,
  );
}

async function chat(
  config: Config,
  running: Set<Setup>,
): Promise<ChatRow[] | Error> {
  progress("chat: starting edge+node");
  let setup: Setup | undefined;
  try {
    setup = await start("edge+node", {
      config,
      running,
      capGroups: config.chatGroups,
    });
    return await chatSteps({
      url: setup.ws,
      pid: setup.signallingPid,
      core: edgeCore(config),
      groups: config.chatGroups,
      groupSize: config.chatGroupSize,
      rates: config.chatRates,
      seconds: config.seconds,
      minDelivery: 0.99,
      maxChatP99Ms: config.maxChatP99Ms,
      maxCpu: 0.9,
      progress: (m) => progress(`chat: ${m}`),
    });
  } catch (e) {
    progress(`chat: ${e}`);
    return e instanceof Error ? e : new Error(String(e));
  } finally {
    await setup?.close();
  }
}

/**
 * The per-core figures: measured at the step that delivered most, and
 * projected from a line through the steps (edge CPU share against the rate
 * over the same time), which separates the edge's fixed cost from each
 * message's.
 */
function chatSummary(rows: ChatRow[], groupSize: number): string[] {
  const passing = rows.filter((r) => r.deliveryRatio >= 0.99);
  const best = passing.reduce<ChatRow | undefined>(
    (b, r) => (!b || r.deliveredPerSecond > b.deliveredPerSecond ? r : b),
    undefined,
  );
  if (!best) return ["→ no step delivered 99 % of its messages", ""];
  const lines = [
    `→ measured: ${fmt(best.sentPerCpuSecond)} chat messages in, ${
      fmt(best.deliveredPerCpuSecond)
    } delivered per edge CPU-second at ${fmt(best.sentPerSecond)} sent/s ` +
    `(edge at ${pct(best.edgeCpu)} of a core)`,
  ];
  const cpus = passing.map((r) => r.edgeCpu);
  const span = Math.max(...cpus) - Math.min(...cpus);
  const line = fitLine(
    passing.map((r) => ({ x: r.sent / r.wallSeconds, y: r.edgeCpu })),
  );
  if (passing.length < MIN_FIT_STEPS || !(span >= MIN_FIT_CPU_SPAN)) {
    // CPU time comes in 10 ms ticks, and a loaded machine adds its noise:
    // a line through close points says nothing.
    lines.push(
      `→ no line fitted: it needs ${MIN_FIT_STEPS} steps spanning ${
        pct(MIN_FIT_CPU_SPAN)
      } of edge CPU (raise --chat-rates or --max-chat-p99)`,
    );
  } else if (line && line.slope > 0) {
    const perCore = (1 - line.intercept) / line.slope;
    lines.push(
      `→ fitted over ${passing.length} steps: ${
        pct(line.intercept)
      } of a core with no chat, ${
        fmt(line.slope * 1e6, 1)
      } µs per message in ` +
        `(${
          fmt((line.slope * 1e6) / groupSize, 2)
        } µs per delivery): one core ≈ ${fmt(perCore)} messages in, ${
          fmt(perCore * groupSize)
        } delivered per second`,
    );
  }
  lines.push("");
  return lines;
}

function chatTable(rows: ChatRow[]): string {
  return alignedTable(
    [
      "asked/s",
      "sent/s",
      "delivered/s",
      "delivered",
      "p50 ms",
      "p99 ms",
      "edge CPU",
      "core busy",
      "sent/CPU-s",
      "delivered/CPU-s",
      "clients CPU",
    ],
    rows.map((r) => [
      fmt(r.rate),
      fmt(r.sentPerSecond),
      fmt(r.deliveredPerSecond),
      pct(r.deliveryRatio),
      fmt(r.chatP50Ms, 1),
      fmt(r.chatP99Ms, 1),
      pct(r.edgeCpu),
      pct(r.coreBusy),
      fmt(r.sentPerCpuSecond),
      fmt(r.deliveredPerCpuSecond),
      pct(r.clientCpu),
    ]),
    0,
  );
}

async function main(): Promise<void> {
  const config = parseConfig(Deno.args);
  if (config.pin) await pinToCores(Deno.pid, config.pin.clients);
  const running = new Set<Setup>();
  Deno.addSignalListener("SIGINT", async () => {
    progress("interrupted: stopping the servers");
    for (const setup of running) await setup.close();
    Deno.exit(130);
  });
  const startLoad = loadAverage();
  const started = performance.now();
  const out: string[] = [];
  let failed = false;

  if (config.parts.includes("latency")) {
    const results = await latencies(config, running);
    failed ||= [...results.values()].some((r) => r instanceof Error);
    out.push(
      `Join-to-first-packet and signalling round trips, ${config.repetitions} repetitions ` +
        `(after ${config.warmup} not counted); werift peers and clients in this process`,
      latencyTable(results),
      "",
    );
  }
  if (config.parts.includes("capacity")) {
    const result = await capacity(config, running);
    out.push(
      `Edge capacity: clients join groups of ${config.groupSize}, ${config.step} a step, ` +
        `${config.concurrency} joins in flight; stop at join p99 > ${config.maxJoinP99Ms} ms, ` +
        `an error, or ${config.cap} clients`,
    );
    if (result instanceof Error) {
      failed = true;
      out.push(`failed: ${result.message}`, "");
    } else {
      out.push(
        capacityTable(result),
        `→ one edge held ${result.members} joined clients (ended by: ${result.verdict}${
          result.firstError ? `, ${result.firstError.slice(0, 120)}` : ""
        }); RSS ${fmt(result.rssMiB)} MiB (≈ ${
          fmt(memoryPerClientKiB(result.rows[0]!, result.rows.at(-1)!), 0)
        } KiB per client after the first step), idle CPU ${
          pct(result.idleCpu)
        } with all of them joined`,
        "",
      );
    }
  }
  if (config.parts.includes("chat")) {
    const rows = await chat(config, running);
    out.push(
      `Chat through one edge: ${config.chatGroups} groups of ${config.chatGroupSize}, ` +
        `${config.seconds} s steps; every message reaches its whole group (sender included)`,
    );
    if (rows instanceof Error) {
      failed = true;
      out.push(`failed: ${rows.message}`, "");
    } else {
      out.push(chatTable(rows), ...chatSummary(rows, config.chatGroupSize));
    }
  }

  const pinned = config.pin
    ? `servers on core ${config.pin.server} (the media node on ${config.pin.clients} ` +
      `for capacity and chat), clients on ${config.pin.clients}`
    : "not pinned";
  console.log(
    `\nCluster benchmark: deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, ` +
      `${pinned}; load average ${startLoad} at start, ${loadAverage()} at end, ${
        ((performance.now() - started) / 1000).toFixed(0)
      } s\n`,
  );
  console.log(out.join("\n"));
  if (failed) Deno.exitCode = 1;
}

if (import.meta.main) await main();
