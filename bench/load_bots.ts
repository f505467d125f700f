/**
 * The load bots' process: `taskset -c 1 deno run -A bench/load_bots.ts
 * --ws URL [--group bench] --subscribers N`. Connects one publisher and N
 * subscribers (all at once) to the group on any server that speaks Galène's
 * protocol, prints
 * `{"type":"ready"}`, then runs one measurement step per stdin line
 * `{"type":"step","rate":R,"seconds":S}` and answers each with a
 * `{"type":"result",…}` line; `{"type":"quit"}` ends it.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { installFastPath } from "../server/media/fast/werift_seam.ts";
import { PublisherBot } from "./publisher_bot.ts";
import { SubscriberBot } from "./subscriber_bot.ts";
import { LatencyRecorder } from "./latency_recorder.ts";
import { cpuSeconds } from "./proc_stats.ts";
import { BENCH_GROUP, connectTimeoutMs } from "./bench_defaults.ts";

// After the publisher stops, queued packets still come through: wait until
// nothing arrived for QUIET_MS, at most MAX_DRAIN_MS.
const QUIET_MS = 250;
const MAX_DRAIN_MS = 3000;

/** A step's figures, as the bots saw them. */
export interface StepResult {
  type: "result";
  rate: number;
  seconds: number;
  /** Packets the publisher sent. */
  sent: number;
  /** Packets all subscribers received together. */
  received: number;
  /** Fewest packets one subscriber received. */
  minReceived: number;
  p50Ms: number;
  p99Ms: number;
  latencySamples: number;
  /** The bot process's CPU use while sending, as a fraction of one core. */
  botCpu: number;
  /** Longest gap between the publisher's pacing ticks, ms. */
  maxGapMs: number;
  /** Packets the publisher sent more than 5 ms after they were due. */
  late: number;
}

function total(subscribers: SubscriberBot[]): number {
  let n = 0;
  for (const s of subscribers) n += s.received;
  return n;
}

async function drain(subscribers: SubscriberBot[]): Promise<void> {
  const end = performance.now() + MAX_DRAIN_MS;
  let before = -1;
  while (performance.now() < end) {
    const now = total(subscribers);
    if (now === before) return;
    before = now;
    await new Promise((r) => setTimeout(r, QUIET_MS));
  }
}

// Publisher rate while the subscribers connect: keyframes keep flowing.
const WARMUP_RATE = 60;
async function* lines(): AsyncGenerator<string> {
  let buffered = "";
  for await (
    const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())
  ) {
    buffered += chunk;
    let at;
    while ((at = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
    }
  }
}

function emit(message: Record<string, unknown>): void {
  console.log(JSON.stringify(message));
}

async function connectAll(
  ws: string,
  options: { group: string; count: number; recorder: LatencyRecorder },
): Promise<{ publisher: PublisherBot; subscribers: SubscriberBot[] }> {
  const { group, count, recorder } = options;
  const publisher = await PublisherBot.start(ws, group);
  const warmup = publisher.run(WARMUP_RATE, Infinity);
  // All at once, as a class whose members join together would.
  const subscribers = await Promise.all(
    Array.from(
      { length: count },
      (_, index) => SubscriberBot.start(ws, { group, index, recorder }),
    ),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const states = subscribers.map((s, k) => `sub${k}: ${s.status()}`);
      reject(
        new Error(`Subscribers got no media in time (${states.join("; ")})`),
      );
    }, connectTimeoutMs(count));
  });
  try {
    await Promise.race([
      Promise.all(subscribers.map((s) => s.ready)),
      timeout,
      publisher.failed,
    ]);
  } finally {
    clearTimeout(timer);
  }
  publisher.stop();
  await warmup;
  return { publisher, subscribers };
}

async function step(
  bots: { publisher: PublisherBot; subscribers: SubscriberBot[] },
  options: { rate: number; seconds: number; recorder: LatencyRecorder },
): Promise<StepResult> {
  const { publisher, subscribers } = bots;
  const { rate, seconds, recorder } = options;
  for (const s of subscribers) s.reset();
  recorder.reset();
  const cpu0 = cpuSeconds("self");
  const t0 = performance.now();
  const run = await publisher.run(rate, seconds);
  const botCpu = (cpuSeconds("self") - cpu0) /
    ((performance.now() - t0) / 1000);
  await drain(subscribers);
  let received = 0;
  let minReceived = Infinity;
  for (const s of subscribers) {
    received += s.received;
    minReceived = Math.min(minReceived, s.received);
  }
  return {
    type: "result",
    rate,
    seconds,
    sent: run.sent,
    received,
    minReceived,
    p50Ms: recorder.quantile(0.5),
    p99Ms: recorder.quantile(0.99),
    latencySamples: recorder.count,
    botCpu,
    maxGapMs: run.maxGapMs,
    late: run.late,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      ws: { type: "string" },
      group: { type: "string", default: BENCH_GROUP },
      subscribers: { type: "string", default: "1" },
    },
  });
  if (values.ws === undefined) throw new TypeError("Missing --ws URL");
  // The server's own SRTP and UDP: werift's sockets are the fast path's,
  // read by the process's one epoll receive loop.
  const fast = installFastPath();
  const recorder = new LatencyRecorder();
  const started = performance.now();
  let bots;
  try {
    bots = await connectAll(values.ws, {
      group: values.group,
      count: Number(values.subscribers),
      recorder,
    });
  } catch (e) {
    emit({ type: "error", message: String(e) });
    Deno.exit(1);
  }
  emit({
    type: "ready",
    connectMs: Math.round(performance.now() - started),
    crypto: fast.crypto,
    udp: fast.udp,
  });
  for await (const line of lines()) {
    if (line.trim() === "") continue;
    const command = JSON.parse(line) as {
      type: string;
      rate?: number;
      seconds?: number;
    };
    if (command.type === "quit") break;
    if (command.type === "step") {
      emit({
        ...await step(bots, {
          rate: command.rate ?? 100,
          seconds: command.seconds ?? 3,
          recorder,
        }),
      });
    }
  }
  await Promise.race([
    Promise.all([
      bots.publisher.close(),
      ...bots.subscribers.map((s) => s.close()),
    ]),
    new Promise((r) => setTimeout(r, 2000)),
  ]);
  Deno.exit(0);
}

if (import.meta.main) await main();
