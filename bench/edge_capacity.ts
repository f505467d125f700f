/**
 * What one edge process holds and carries, measured from /proc while lean
 * WebSocket clients ({@link SignallingMember}) use it:
 * - {@link rampMembers}: clients join groups of a set size, a step at a
 *   time, a few joins in flight at once, until a step's join p99 exceeds
 *   the limit, a join fails or a joined client is dropped, or the cap is
 *   reached; then the edge's CPU while they sit idle;
 * - {@link chatSteps}: members spread over a few groups send chat messages
 *   at a set total rate, one step per rate, until a step loses messages,
 *   is slow, or finds the edge's or the clients' core busy; the edge's CPU
 *   time is set against the messages taken in and delivered.
 *
 * @module
 */

import { busyShare, coreTimes } from "./core_load.ts";
import { LatencyRecorder } from "./latency_recorder.ts";
import { cpuSeconds, memoryMiB } from "./proc_stats.ts";
import { capGroup } from "./cluster_setup.ts";
import {
  type ChatFigures,
  chatFigures,
  type RampVerdict,
  rampVerdict,
  summarize,
} from "./cluster_figures.ts";
import { type MemberSink, SignallingMember } from "./signalling_member.ts";

/** Options of {@link rampMembers}. */
export interface RampOptions {
  /** The edge's WebSocket URL and process id. */
  url: string;
  pid: number;
  /** The edge's core, or "all" when it is not pinned to one. */
  core: number | "all";
  /** Stop once this many clients are in. */
  cap: number;
  /** Clients added per step. */
  step: number;
  /** Clients per group: `cap-0` gets the first ones, and so on. */
  groupSize: number;
  /** Joins in flight at once. */
  concurrency: number;
  /** A step whose join p99 is above this (ms) ends the ramp. */
  maxJoinP99Ms: number;
  /** How long to watch the edge's CPU with everyone joined and idle (s). */
  holdSeconds: number;
  progress(message: string): void;
}

/** One step of the ramp. */
export interface RampRow {
  members: number;
  joinP50Ms: number;
  joinP99Ms: number;
  errors: number;
  /** Joins per second over the step. */
  joinRate: number;
  /** The edge's CPU time ÷ wall time over the step. */
  edgeCpu: number;
  /** How busy the edge's core was, whoever used it. */
  coreBusy: number;
  rssMiB: number;
}

/** The result of {@link rampMembers}. */
export interface RampResult {
  rows: RampRow[];
  verdict: RampVerdict;
  /** Clients joined at the end. */
  members: number;
  /** The edge's CPU share with them all joined and idle. */
  idleCpu: number;
  rssMiB: number;
  /** The first error seen, if any. */
  firstError: string;
}

const JOIN_TIMEOUT_MS = 10_000;

/** Ramps joined clients up on one edge; see the module header. */
export async function rampMembers(options: RampOptions): Promise<RampResult> {
  const sink: MemberSink = {
    received: 0,
    dropped: 0,
    latency: new LatencyRecorder(1),
  };
  const members: SignallingMember[] = [];
  const rows: RampRow[] = [];
  let verdict: RampVerdict = "continue";
  let firstError = "";
  try {
    while (verdict === "continue") {
      const count = Math.min(options.step, options.cap - members.length);
      const dropped = sink.dropped;
      const cpu0 = cpuSeconds(options.pid);
      const core0 = coreTimes(options.core);
      const t0 = performance.now();
      const step = await joinMany(members.length, count, {
        ...options,
        sink,
        into: members,
      });
      const wall = (performance.now() - t0) / 1000;
      const join = summarize(step.joinMs);
      const errors = step.errors.length + sink.dropped - dropped;
      firstError ||= step.errors[0] ??
        (sink.dropped > dropped ? "a joined client was dropped" : "");
      const row: RampRow = {
        members: members.length,
        joinP50Ms: join.p50,
        joinP99Ms: join.p99,
        errors,
        joinRate: step.joinMs.length / wall,
        edgeCpu: (cpuSeconds(options.pid) - cpu0) / wall,
        coreBusy: busyShare(core0, coreTimes(options.core)),
        rssMiB: memoryMiB(options.pid).rss,
      };
      rows.push(row);
      verdict = rampVerdict({
        members: row.members,
        errors,
        joinP99Ms: row.joinP99Ms,
      }, options);
      options.progress(
        `${row.members} joined: join p50 ${row.joinP50Ms.toFixed(0)} ms, p99 ${
          row.joinP99Ms.toFixed(0)
        } ms, ${errors} errors, edge CPU ${
          (row.edgeCpu * 100).toFixed(0)
        } % (its core ${(row.coreBusy * 100).toFixed(0)} % busy), ` +
          `RSS ${row.rssMiB.toFixed(0)} MiB: ${verdict}`,
      );
    }
    const cpu0 = cpuSeconds(options.pid);
    const t0 = performance.now();
    await sleep(options.holdSeconds * 1000);
    const idleCpu = (cpuSeconds(options.pid) - cpu0) /
      ((performance.now() - t0) / 1000);
    return {
      rows,
      verdict,
      members: members.length,
      idleCpu,
      rssMiB: memoryMiB(options.pid).rss,
      firstError,
    };
  } finally {
    for (const m of members) m.close();
  }
}

/** Options of {@link chatSteps}. */
export interface ChatOptions {
  url: string;
  pid: number;
  /** The edge's core, or "all" when it is not pinned to one. */
  core: number | "all";
  groups: number;
  groupSize: number;
  /** Chat messages sent per second by all members together, one step each. */
  rates: number[];
  /** Sending time per step (s). */
  seconds: number;
  /** A step whose delivery is below this ratio ends the steps. */
  minDelivery: number;
  /** A step whose chat p99 is above this (ms) ends the steps. */
  maxChatP99Ms: number;
  /**
   * A step where the edge, or this process (the clients), used more than
   * this share of a core ends the steps: a higher rate measures no more.
   */
  maxCpu: number;
  progress(message: string): void;
}

/** One chat step. */
export interface ChatRow extends ChatFigures {
  rate: number;
  sent: number;
  /** The sending window and the drain after it, s. */
  wallSeconds: number;
  chatP50Ms: number;
  chatP99Ms: number;
  /** This process's CPU share over the step: near 1, the clients were the limit. */
  clientCpu: number;
  /** How busy the edge's core was, whoever used it. */
  coreBusy: number;
}

const DRAIN_MS = 3000;
const PACE_MS = 5;

/** Sends chat through one edge at rising rates; see the module header. */
export async function chatSteps(options: ChatOptions): Promise<ChatRow[]> {
  const sink: MemberSink = {
    received: 0,
    dropped: 0,
    latency: new LatencyRecorder(),
  };
  const members: SignallingMember[] = [];
  try {
    const total = options.groups * options.groupSize;
    const joined = await joinMany(0, total, {
      url: options.url,
      groupSize: options.groupSize,
      concurrency: 10,
      sink,
      into: members,
    });
    if (joined.errors.length > 0) {
      throw new Error(`Chat members could not join: ${joined.errors[0]}`);
    }
    options.progress(`${total} members in ${options.groups} groups`);
    const out: ChatRow[] = [];
    for (const rate of options.rates) {
      const row = await chatStep(members, sink, { ...options, rate });
      out.push(row);
      options.progress(
        `${rate} msg/s asked: ${row.sentPerSecond.toFixed(0)} sent/s, ${
          row.deliveredPerSecond.toFixed(0)
        } delivered/s (${(row.deliveryRatio * 100).toFixed(1)} %), edge CPU ${
          (row.edgeCpu * 100).toFixed(0)
        } % (its core ${(row.coreBusy * 100).toFixed(0)} % busy), clients CPU ${
          (row.clientCpu * 100).toFixed(0)
        } %, p99 ${row.chatP99Ms.toFixed(0)} ms`,
      );
      if (
        row.deliveryRatio < options.minDelivery ||
        !(row.chatP99Ms <= options.maxChatP99Ms) || sink.dropped > 0 ||
        row.edgeCpu > options.maxCpu || row.clientCpu > options.maxCpu
      ) break;
      await sleep(500);
    }
    return out;
  } finally {
    for (const m of members) m.close();
  }
}

async function chatStep(
  members: SignallingMember[],
  sink: MemberSink,
  options: ChatOptions & { rate: number },
): Promise<ChatRow> {
  sink.latency.reset();
  const received0 = sink.received;
  const cpu0 = cpuSeconds(options.pid);
  const self0 = cpuSeconds("self");
  const core0 = coreTimes(options.core);
  const t0 = performance.now();
  const windowMs = options.seconds * 1000;
  let sent = 0;
  // Members take turns, so every group sends at the same rate.
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = Math.min(windowMs, performance.now() - t0);
      const due = Math.floor((options.rate * elapsed) / 1000);
      while (sent < due) members[sent++ % members.length]!.chat();
      if (elapsed >= windowMs) {
        clearInterval(timer);
        resolve();
      }
    }, PACE_MS);
  });
  const expected = sent * options.groupSize;
  const drainEnd = performance.now() + DRAIN_MS;
  while (
    sink.received - received0 < expected && performance.now() < drainEnd
  ) {
    await sleep(5);
  }
  const wall = (performance.now() - t0) / 1000;
  const figures = chatFigures({
    sent,
    received: sink.received - received0,
    groupSize: options.groupSize,
    seconds: options.seconds,
    edgeCpuSeconds: cpuSeconds(options.pid) - cpu0,
    wallSeconds: wall,
  });
  return {
    ...figures,
    rate: options.rate,
    sent,
    wallSeconds: wall,
    chatP50Ms: sink.latency.quantile(0.5),
    chatP99Ms: sink.latency.quantile(0.99),
    clientCpu: (cpuSeconds("self") - self0) / wall,
    coreBusy: busyShare(core0, coreTimes(options.core)),
  };
}

/** Joins `count` members, numbered from `first`, into `into`. */
async function joinMany(
  first: number,
  count: number,
  options: {
    url: string;
    groupSize: number;
    concurrency: number;
    sink: MemberSink;
    into: SignallingMember[];
  },
): Promise<{ joinMs: number[]; errors: string[] }> {
  const joinMs: number[] = [];
  const errors: string[] = [];
  let next = first;
  const end = first + count;
  const worker = async () => {
    while (next < end) {
      const i = next++;
      const t0 = performance.now();
      try {
        const member = await SignallingMember.join({
          url: options.url,
          group: capGroup(Math.floor(i / options.groupSize)),
          username: `m${i}`,
          sink: options.sink,
          timeoutMs: JOIN_TIMEOUT_MS,
        });
        joinMs.push(performance.now() - t0);
        options.into.push(member);
      } catch (e) {
        errors.push(`member ${i}: ${e instanceof Error ? e.message : e}`);
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(options.concurrency, count) }, worker),
  );
  return { joinMs, errors };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
