/**
 * The relaying side of the TURN benchmark (`turn_relay.ts`), in its own
 * process so that its CPU time can be read alone:
 *
 * - `--mode turn`: Nereid's TURN server (`TurnServer` and `TurnListeners`, as
 *   the built-in one runs) on 127.0.0.1, relays on 127.0.0.1, peers allowed
 *   there; its byte budget per allocation is lifted (the default 10 MB/s
 *   would be the limit measured, not the relay's cost);
 * - `--mode direct`: one batched UDP socket that sends every datagram it
 *   receives on to the peer, as forwarding without a relay does: the same
 *   sockets (`UdpBatchSocket`, `recvmmsg`/`sendmmsg`) with no TURN work.
 *
 * It prints `{"port":N}` once listening, then takes JSON lines on stdin:
 * `{"peer":PORT}` (direct mode: where to forward) and `{"stats":true}`,
 * answered with `{"relayed":N}` (datagrams sent on).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UdpBatchSocket } from "../server/media/fast/udp_batch.ts";
import { relaySockets } from "../server/turn/relay_socket.ts";
import { TurnListeners } from "../server/turn/turn_listeners.ts";
import { TurnServer } from "../server/turn/turn_server.ts";

/** The secret of the benchmark's TURN server. */
export const BENCH_SECRET = "bench-secret";

interface Relaying {
  port: number;
  relayed(): number;
  forwardTo(port: number): void;
}

async function turn(): Promise<Relaying> {
  const server = new TurnServer({
    secret: BENCH_SECRET,
    relayAddress: "127.0.0.1",
    openRelay: relaySockets({ address: "127.0.0.1" }),
    allowPeer: (address) => address === "127.0.0.1",
    limits: { bytesPerSecond: Number.MAX_SAFE_INTEGER / 2 },
    log: () => {},
  });
  const listeners = await TurnListeners.open(server, {
    hostname: "127.0.0.1",
    port: 0,
    log: () => {},
  });
  return {
    port: listeners.port,
    relayed: () => {
      let n = 0;
      for (const a of server.allocations()) n += a.stats.relayed;
      return n;
    },
    forwardTo: () => {},
  };
}

async function direct(): Promise<Relaying> {
  let peer = 0;
  let relayed = 0;
  let socket: UdpBatchSocket | null = null;
  socket = await UdpBatchSocket.open({
    address: "127.0.0.1",
    port: 0,
    onMessage: (data) => {
      if (peer === 0) return;
      relayed++;
      socket!.send(data, peer, "127.0.0.1");
    },
  });
  return {
    port: socket.port,
    relayed: () => relayed,
    forwardTo: (port) => peer = port,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { mode: { type: "string", default: "turn" } },
  });
  const relaying = values.mode === "direct" ? await direct() : await turn();
  const out = (m: Record<string, unknown>) =>
    Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(m) + "\n"));
  out({ port: relaying.port });
  const decoder = new TextDecoderStream();
  let buffered = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(decoder)) {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const m = JSON.parse(line) as { peer?: number; stats?: boolean };
      if (m.peer !== undefined) relaying.forwardTo(m.peer);
      if (m.stats) out({ relayed: relaying.relayed() });
    }
  }
  Deno.exit(0);
}

if (import.meta.main) await main();
