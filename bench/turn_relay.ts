/**
 * End-to-end TURN relay benchmark through real sockets: a client sends
 * 1200-byte packets as ChannelData to Nereid's TURN server (UDP, on
 * 127.0.0.1), which relays them to a peer; beside it, the same packets
 * through a plain forwarder on the same batched sockets (`--mode direct` of
 * `turn_relay_process.ts`), the cost of a hop without TURN.
 *
 * The relaying process runs alone on core 0 (`taskset`), this one (client
 * and peer, sending on `sendmmsg` batches paced by a 1 ms timer, counting
 * what the peer receives) on core 1. At each offered rate it reports the
 * rates sent, relayed (sent on by the relaying process) and received at the
 * peer, the loss, and the relaying process's CPU time (user + system, /proc)
 * per packet relayed and per second; it stops after a rate losing over 5 %.
 *
 * Run: `deno task bench:turn [--seconds S] [--rates 10000,20000,…]
 * [--modes direct,turn]`. Figures need a quiet machine.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { UdpBatchSocket } from "../server/media/fast/udp_batch.ts";
import { writeChannelData } from "../server/turn/channel_data.ts";
import { Attr, MessageClass, Method } from "../server/turn/stun_constants.ts";
import { issueCredentials } from "../server/turn/turn_credentials.ts";
import {
  errorOf,
  TurnAuth,
  TurnTestClient,
} from "../tests/support/turn_client.ts";
import { PinnedProcess } from "./pinned_process.ts";
import { cpuSeconds } from "./proc_stats.ts";
import { BENCH_SECRET } from "./turn_relay_process.ts";

const SIZE = 1200;
const CHANNEL = 0x4000;

type Mode = "direct" | "turn";

interface Row {
  mode: Mode;
  offered: number;
  sent: number;
  relayed: number;
  received: number;
  loss: number;
  usPerPacket: number;
  relayCpu: number;
  loadCpu: number;
}

/** Client and peer sockets of this process, and what reaches the peer. */
class Load {
  readonly client: UdpBatchSocket;
  readonly peer: UdpBatchSocket;
  #received = 0;
  #deliver: ((m: Uint8Array) => void) | null = null;

  private constructor(client: UdpBatchSocket, peer: UdpBatchSocket) {
    this.client = client;
    this.peer = peer;
  }

  static async open(): Promise<Load> {
    let load: Load | null = null;
    const client = await UdpBatchSocket.open({
      address: "127.0.0.1",
      onMessage: (m) => load?.deliver(m),
    });
    const peer = await UdpBatchSocket.open({
      address: "127.0.0.1",
      onMessage: () => load!.#received++,
    });
    load = new Load(client, peer);
    return load;
  }

  get received(): number {
    return this.#received;
  }

  /** A datagram for the client (during the setup: TURN answers). */
  deliver(m: Uint8Array): void {
    this.#deliver?.(m);
  }

  /** Allocates on the TURN server at `port` and binds CHANNEL to the peer. */
  async allocate(port: number): Promise<void> {
    const { client, deliver } = TurnTestClient.over({
      send: (b) => this.client.send(b, port, "127.0.0.1"),
      localPort: this.client.port,
    });
    this.#deliver = deliver;
    const auth = new TurnAuth(
      client,
      issueCredentials(BENCH_SECRET, {
        name: "bench",
        now: Date.now(),
        validitySeconds: 3600,
      }),
    );
    const a = await auth.call(
      Method.allocate,
      (w) => w.bytes(Attr.requestedTransport, new Uint8Array([17, 0, 0, 0])),
    );
    if (a.cls !== MessageClass.success) {
      throw new Error(`Allocate failed: ${errorOf(a)}`);
    }
    const b = await auth.call(Method.channelBind, (w) => {
      w.bytes(Attr.channelNumber, new Uint8Array([0x40, 0x00, 0, 0]));
      w.xorAddress(Attr.xorPeerAddress, {
        family: 4,
        address: "127.0.0.1",
        port: this.peer.port,
      });
    });
    if (b.cls !== MessageClass.success) {
      throw new Error(`ChannelBind failed: ${errorOf(b)}`);
    }
    this.#deliver = null;
  }

  async close(): Promise<void> {
    await this.client.close();
    await this.peer.close();
  }
}

/** Sends `packet` to `port` at `rate` per second for `seconds`. */
async function blast(
  socket: UdpBatchSocket,
  o: { packet: Uint8Array; port: number; rate: number; seconds: number },
): Promise<number> {
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      const due = Math.floor(
        o.rate * Math.min(elapsed, o.seconds * 1000) / 1000,
      );
      for (let n = Math.min(due - sent, 4096); n > 0; n--) {
        socket.send(o.packet, o.port, "127.0.0.1");
        sent++;
      }
      if (elapsed >= o.seconds * 1000) {
        clearInterval(timer);
        done();
      }
    }, 1);
  });
  return sent;
}

async function relayedBy(p: PinnedProcess): Promise<number> {
  await p.send({ stats: true });
  return (await p.message<{ relayed: number }>(5000)).relayed;
}

async function runMode(
  mode: Mode,
  o: { rates: number[]; seconds: number },
): Promise<Row[]> {
  const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));
  const relay = PinnedProcess.spawn({
    core: 0,
    args: [here("turn_relay_process.ts"), "--mode", mode],
    stderr: "inherit",
  });
  const load = await Load.open();
  const rows: Row[] = [];
  try {
    const { port } = await relay.message<{ port: number }>(20_000);
    const payload = new Uint8Array(SIZE).fill(0x5a);
    let packet = payload;
    if (mode === "turn") {
      await load.allocate(port);
      packet = new Uint8Array(4 + SIZE);
      writeChannelData(packet, CHANNEL, payload, { pad: false });
    } else {
      await relay.send({ peer: load.peer.port });
    }
    for (const rate of o.rates) {
      const r0 = await relayedBy(relay);
      const c0 = cpuSeconds(relay.pid);
      const l0 = cpuSeconds("self");
      const p0 = load.received;
      const t0 = performance.now();
      const sent = await blast(load.client, {
        packet,
        port,
        rate,
        seconds: o.seconds,
      });
      // Let the last batches arrive (a benchmark's drain, not a test).
      await new Promise((r) => setTimeout(r, 300));
      const wall = (performance.now() - t0) / 1000;
      const relayed = (await relayedBy(relay)) - r0;
      const cpu = cpuSeconds(relay.pid) - c0;
      const received = load.received - p0;
      rows.push({
        mode,
        offered: rate,
        sent: sent / o.seconds,
        relayed: relayed / o.seconds,
        received: received / o.seconds,
        loss: sent === 0 ? 0 : 1 - received / sent,
        usPerPacket: relayed === 0 ? NaN : cpu / relayed * 1e6,
        relayCpu: cpu / wall,
        loadCpu: (cpuSeconds("self") - l0) / wall,
      });
      console.error(formatRow(rows.at(-1)!));
      if (rows.at(-1)!.loss > 0.05) break;
    }
  } finally {
    await load.close();
    await relay.stop();
  }
  return rows;
}

function formatRow(r: Row): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  return [
    r.mode.padEnd(6),
    String(r.offered).padStart(7),
    r.sent.toFixed(0).padStart(7),
    r.relayed.toFixed(0).padStart(7),
    r.received.toFixed(0).padStart(7),
    pct(r.loss).padStart(7),
    r.usPerPacket.toFixed(2).padStart(7),
    pct(r.relayCpu).padStart(7),
    pct(r.loadCpu).padStart(7),
  ].join(" | ");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seconds: { type: "string", default: "3" },
      rates: { type: "string", default: "10000,20000,40000,80000,160000" },
      modes: { type: "string", default: "direct,turn" },
    },
  });
  // This process (client and peer) on core 1, all its threads.
  await new Deno.Command("taskset", {
    args: ["-a", "-cp", "1", String(Deno.pid)],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => {});
  const rates = values.rates.split(",").map(Number);
  const seconds = Number(values.seconds);
  const header = [
    "mode  ",
    "offered",
    "  sent ",
    "relayed",
    "  recv ",
    "  loss ",
    " µs/pkt",
    "relay %",
    " load %",
  ].join(" | ");
  console.error(header);
  const rows: Row[] = [];
  for (const mode of values.modes.split(",") as Mode[]) {
    rows.push(...await runMode(mode, { rates, seconds }));
  }
  console.log(`\nTURN relay, ${SIZE}-byte packets, ${seconds} s per rate`);
  console.log(header);
  for (const r of rows) console.log(formatRow(r));
}

if (import.meta.main) await main();
