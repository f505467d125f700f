/**
 * Join-to-first-packet and signalling round trips against one setup,
 * repeated: each repetition is a fresh scene in the group `bench`, played
 * by the tests' protocol clients and werift peers (`tests/support/`), on
 * loopback:
 * 1. `s` joins and asks for every stream (its werift subscriber answers
 *    the offers);
 * 2. `p` connects, joins and publishes audio and video from a werift peer:
 *    **offer → answer** is the server's part of the publication (in the
 *    cluster, with the edge's round trip to the node), and **publisher
 *    join → first packet** ends when `s` gets the stream's first RTP
 *    packet;
 * 3. `v` connects and joins (**join**: connect → `joined` and its own
 *    `user add`), asks for every stream: **viewer join → first packet**
 *    ends at `v`'s first RTP packet of `p`'s stream;
 * 4. `r` joins and asks for video: **request → offer** ends at the
 *    server's offer (never answered);
 * 5. `v` sends a chat message: **chat v → s** ends when `s` receives it.
 *
 * The clients run in this process, so one clock times both ends.
 *
 * @module
 */

import { Publisher } from "../tests/support/publisher.ts";
import { Subscriber } from "../tests/support/subscriber.ts";
import { waitFor } from "../tests/support/wait_for.ts";
import { connect, type WsClient } from "../tests/support/ws_client.ts";
import { BENCH_GROUP } from "./cluster_setup.ts";

/** The figures measured, by name, in the order they are shown. */
export const LATENCY_FIGURES = [
  "publisher join → first packet",
  "viewer join → first packet",
  "join (connect → joined)",
  "offer → answer",
  "request → offer",
  "chat v → s",
] as const;

/** One of {@link LATENCY_FIGURES}. */
export type LatencyFigure = typeof LATENCY_FIGURES[number];

/** The samples of every repetition, ms, by figure. */
export type LatencySamples = Record<LatencyFigure, number[]>;

/** Options of {@link measureLatencies}. */
export interface LatencyOptions {
  /** Repetitions measured. */
  repetitions: number;
  /** Repetitions run first and not counted (JIT, first connections). */
  warmup: number;
  progress(message: string): void;
}

/** The result of {@link measureLatencies}. */
export interface LatencyResult {
  samples: LatencySamples;
  /** Repetitions that failed (each said through `progress`). */
  failures: number;
}

const STEP_TIMEOUT_MS = 15_000;
const MAX_FAILURES_IN_A_ROW = 3;

/**
 * Runs the repetitions against the server at `url` (`ws://…/ws`).
 * @throws Error after three failed repetitions in a row
 */
export async function measureLatencies(
  url: string,
  options: LatencyOptions,
): Promise<LatencyResult> {
  const samples = Object.fromEntries(
    LATENCY_FIGURES.map((name) => [name, [] as number[]]),
  ) as LatencySamples;
  let failures = 0;
  let inARow = 0;
  const total = options.warmup + options.repetitions;
  for (let i = 0, counted = 0; counted < options.repetitions; i++) {
    try {
      const one = await repetition(url, i);
      inARow = 0;
      if (i < options.warmup) continue;
      counted++;
      for (const name of LATENCY_FIGURES) samples[name].push(one[name]);
    } catch (e) {
      failures++;
      inARow++;
      options.progress(
        `repetition ${i + 1}/${total} failed: ${
          String(e instanceof Error ? e.message : e).slice(0, 300)
        }`,
      );
      if (inARow >= MAX_FAILURES_IN_A_ROW) {
        throw new Error(`${inARow} repetitions failed in a row`);
      }
    }
  }
  return { samples, failures };
}

async function joined(url: string, name: string): Promise<WsClient> {
  const client = await connect(url);
  try {
    await client.handshake();
    const answer = await client.join(BENCH_GROUP, name, "");
    if (answer["kind"] !== "join") {
      throw new Error(`Cannot join: ${JSON.stringify(answer).slice(0, 200)}`);
    }
    return client;
  } catch (e) {
    await client.close();
    throw e;
  }
}

function firstPacket(subscriber: Subscriber, id: string): Promise<boolean> {
  return waitFor(`the first packet of stream ${id}`, () => {
    return subscriber.received(id) > 0;
  }, { intervalMs: 1, timeoutMs: STEP_TIMEOUT_MS });
}

async function repetition(
  url: string,
  i: number,
): Promise<Record<LatencyFigure, number>> {
  const clients: WsClient[] = [];
  const peers: { close(): Promise<void> }[] = [];
  const client = async (name: string) => {
    const c = await joined(url, `${name}${i}`);
    clients.push(c);
    return c;
  };
  try {
    const s = new Subscriber(await client("s"));
    peers.push(s);
    s.start();

    const published = performance.now();
    const p = await client("p");
    const publisher = new Publisher(p);
    peers.push(publisher);
    // The offer leaves through the client's send, after the werift work
    // that precedes it.
    let offered = NaN;
    const send = p.send.bind(p);
    p.send = (m) => {
      if (typeof m !== "string" && m["type"] === "offer") {
        offered = performance.now();
      }
      send(m);
    };
    const reply = await publisher.offer();
    const offerToAnswer = performance.now() - offered;
    if (reply["type"] !== "answer") {
      throw new Error(`Publication refused: ${JSON.stringify(reply)}`);
    }
    await firstPacket(s, publisher.id);
    const publisherJoin = performance.now() - published;

    const viewed = performance.now();
    const v = await client("v");
    const join = performance.now() - viewed;
    const viewer = new Subscriber(v);
    peers.push(viewer);
    viewer.start();
    await firstPacket(viewer, publisher.id);
    const viewerJoin = performance.now() - viewed;

    const r = await client("r");
    const requested = performance.now();
    r.send({ type: "request", request: { "": ["video"] } });
    await r.next({ type: "offer", id: publisher.id }, STEP_TIMEOUT_MS);
    const requestToOffer = performance.now() - requested;

    const value = `hello ${i}`;
    const chatted = performance.now();
    v.chat(value);
    await s.client.next({ type: "chat", value }, STEP_TIMEOUT_MS);
    const chat = performance.now() - chatted;

    return {
      "publisher join → first packet": publisherJoin,
      "viewer join → first packet": viewerJoin,
      "join (connect → joined)": join,
      "offer → answer": offerToAnswer,
      "request → offer": requestToOffer,
      "chat v → s": chat,
    };
  } finally {
    for (const peer of peers.reverse()) await peer.close().catch(() => {});
    for (const c of clients.reverse()) await c.close().catch(() => {});
  }
}
