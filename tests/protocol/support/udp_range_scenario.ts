/**
 * Runs inside a network namespace (`tests/support/netns.ts`) for
 * `udp_range_test.ts`: starts `main.ts -udp-range …` as its own process,
 * drives werift publishers and subscribers through it over WebSockets, and
 * prints what it saw as one JSON line; the test asserts on it. The server
 * is a separate process so that a crash is observed, not suffered.
 *
 * Usage: `deno run -A udp_range_scenario.ts SCENARIO RANGE` where SCENARIO
 * is `call` (four members publish at once and every subscriber receives
 * every stream, three rounds) or `exhaust` (publishers until the range is
 * full, one more, then one after a stream closed).
 *
 * @module
 */

import { Publisher } from "../../support/publisher.ts";
import { Subscriber } from "../../support/subscriber.ts";
import { waitFor } from "../../support/wait_for.ts";
import {
  folderArgs,
  type ServerProcess,
  startServerProcess,
} from "../../support/server_process.ts";
import {
  connect,
  type Message,
  type WsClient,
} from "../../support/ws_client.ts";

/** What a scenario reports. */
export interface ScenarioReport {
  /** The server's exit code if it exited during the scenario, else null. */
  serverExit: number | null;
  /** The end of the server's standard error. */
  serverErrors: string;
  /** The server's last log lines (standard output). */
  serverLog: string;
  /** Per publisher: the type of the server's reply, and its candidates' addresses. */
  offers: { type: string; addresses: string[]; error?: string }[];
  /** Packets each subscriber got of each stream of the last round (`call`). */
  received: number[][];
  /** Sockets bound in the range once everyone was connected: [IPv4, IPv6]. */
  sockets: [number, number];
  /** Why the scenario stopped early, if it did. */
  failure?: string;
}

// Four members, three rounds: each round, 4 up and 16 down connections
// gather at once. Before the fix, one round lost werift's race 60 to 80 %
// of the time; three rounds make a lost race all but certain.
const MEMBERS = 4;
const ROUNDS = 3;

/** UDP sockets bound on a port of [low, high], in one /proc/net file. */
async function countSockets(
  file: string,
  [low, high]: [number, number],
): Promise<number> {
  const lines = (await Deno.readTextFile(file)).split("\n").slice(1);
  return lines.filter((line) => {
    const local = line.trim().split(/\s+/)[1];
    const port = parseInt(local?.split(":")[1] ?? "", 16);
    return port >= low && port <= high;
  }).length;
}

async function sockets(range: [number, number]): Promise<[number, number]> {
  return [
    await countSockets("/proc/net/udp", range),
    await countSockets("/proc/net/udp6", range),
  ];
}

function addresses(sdp: unknown): string[] {
  return [...String(sdp).matchAll(/a=candidate:\S+ \d+ udp \d+ (\S+) \d+/g)]
    .map((m) => m[1]!);
}

async function member(url: string, name: string): Promise<WsClient> {
  const client = await connect(`${url.replace("http", "ws")}/ws`);
  await client.handshake();
  const joined = await client.join("g", name, "any");
  if (joined["kind"] !== "join") throw new Error(`${name} could not join`);
  return client;
}

async function offer(
  url: string,
  name: string,
): Promise<{ publisher: Publisher; report: ScenarioReport["offers"][0] }> {
  const publisher = new Publisher(await member(url, name));
  const reply: Message = await publisher.offer();
  const report: ScenarioReport["offers"][0] = {
    type: String(reply["type"]),
    addresses: addresses(reply["sdp"]),
  };
  if (reply["type"] === "abort") {
    const error = await publisher.client.next({
      type: "usermessage",
      kind: "error",
    });
    report.error = String(error["value"]);
  }
  return { publisher, report };
}

async function call(server: ServerProcess, range: [number, number]) {
  const url = server.ready;
  const report: ScenarioReport = {
    serverExit: null,
    serverErrors: "",
    serverLog: "",
    offers: [],
    received: [],
    sockets: [0, 0],
  };
  const subscribers: Subscriber[] = [];
  let publishers: Publisher[] = [];
  try {
    for (let i = 0; i < MEMBERS; i++) {
      const s = new Subscriber(await member(url, `sub${i}`));
      s.start();
      subscribers.push(s);
    }
    for (let round = 1; round <= ROUNDS; round++) {
      // All at once: the sockets of the up connections, then of each one's
      // down connections, are bound while the others' are.
      const offers = await Promise.all(
        Array.from(
          { length: MEMBERS },
          (_, i) => offer(url, `pub${round}-${i}`),
        ),
      );
      publishers = offers.map((o) => o.publisher);
      report.offers.push(...offers.map((o) => o.report));
      await Promise.all(
        subscribers.flatMap((s) =>
          publishers.map((p) => s.receives(p.id, 50, 15_000))
        ),
      );
      report.sockets = await sockets(range);
      if (round === ROUNDS) break;
      for (const p of publishers) {
        await p.close();
        await p.client.close();
      }
      // Every connection of the round has released its sockets.
      await waitFor(
        "the round's sockets to be released",
        async () => (await sockets(range)).join() === "0,0",
      );
    }
  } catch (e) {
    report.failure = String(e);
  }
  report.received = subscribers.map((s) =>
    publishers.map((p) => s.received(p.id))
  );
  for (const p of publishers) await p.close();
  for (const s of subscribers) await s.close();
  return report;
}

async function exhaust(server: ServerProcess, range: [number, number]) {
  const url = server.ready;
  const report: ScenarioReport = {
    serverExit: null,
    serverErrors: "",
    serverLog: "",
    offers: [],
    received: [],
    sockets: [0, 0],
  };
  const publishers: Publisher[] = [];
  try {
    const size = range[1] - range[0] + 1;
    // One peer connection each, one IPv4 and one IPv6 socket each: the
    // range holds `size` of them, and the next is refused.
    for (let i = 0; i <= size; i++) {
      const o = await offer(url, `pub${i}`);
      publishers.push(o.publisher);
      report.offers.push(o.report);
    }
    report.sockets = await sockets(range);
    const first = publishers[0]!;
    first.client.send({ type: "close", id: first.id });
    await waitFor("the closed stream's sockets to be released", async () => {
      const [v4, v6] = await sockets(range);
      return v4 < size && v6 < size;
    });
    const again = await offer(url, "again");
    publishers.push(again.publisher);
    report.offers.push(again.report);
  } catch (e) {
    report.failure = String(e);
  }
  for (const p of publishers) await p.close();
  return report;
}

if (import.meta.main) {
  const [scenario, rangeText] = Deno.args;
  const [low, high] = (rangeText ?? "").split("-").map(Number) as [
    number,
    number,
  ];
  const root = await Deno.makeTempDir({ prefix: "nereid-udp-range-" });
  await Deno.mkdir(`${root}/groups`);
  await Deno.writeTextFile(
    `${root}/groups/g.json`,
    JSON.stringify({
      "wildcard-user": {
        password: { type: "wildcard" },
        permissions: "present",
      },
    }),
  );
  const server = await startServerProcess({
    args: [
      "-insecure",
      "-http",
      "127.0.0.1:0",
      "-udp-range",
      `${low}-${high}`,
      ...folderArgs(root),
    ],
    ready: /Nereid listening on (http:\/\/[^/\s]+)/,
    stderr: "keep",
    // werift's debug lines are for the clients here (the server must
    // write nothing to standard error).
    env: { DEBUG: "" },
  });
  const run = scenario === "exhaust" ? exhaust : call;
  const report = await run(server, [low, high]);
  report.serverExit = server.exitCode;
  report.serverErrors = server.errors;
  report.serverLog = server.log.slice(-60).join("\n");
  await server.stop();
  await Deno.remove(root, { recursive: true });
  console.log(JSON.stringify(report));
  Deno.exit(0);
}
