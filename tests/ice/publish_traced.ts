/**
 * Runs `main.ts` under strace and publishes one stream to it with a werift
 * peer: `deno run -A publish_traced.ts ROOT`. Meant to run inside a network
 * namespace of its own (see no_outside_traffic_test.ts), so that nothing
 * the server tries to contact can be reached.
 *
 * ROOT is an empty directory: the server's `data/` (no `ice-servers.json`),
 * `groups/` and `recordings/` go there, and strace writes `ROOT/trace`
 * (every `connect`, `sendto`, `sendmsg` and `sendmmsg` of the server and its
 * threads, and every file it opens). Prints one JSON line:
 * `{"peer": ["127.0.0.1:PORT", …]}`, the publisher's candidates.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Publisher } from "../support/publisher.ts";
import { connect } from "../support/ws_client.ts";
import { waitFor } from "../support/wait_for.ts";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The syscalls traced: every way a datagram or connection leaves. */
export const TRACED = "connect,sendto,sendmsg,sendmmsg,openat";

async function main(root: string): Promise<void> {
  const dirs = ["data", "groups", "recordings"].map((d) => join(root, d));
  for (const d of dirs) await Deno.mkdir(d);
  await Deno.writeTextFile(
    join(root, "groups", "g.json"),
    JSON.stringify({
      users: { carrot: { password: "p", permissions: "present" } },
    }),
  );
  const server = new Deno.Command("strace", {
    args: [
      "-f",
      "-qq",
      "--seccomp-bpf",
      "-e",
      `trace=${TRACED}`,
      "-o",
      join(root, "trace"),
      // The shell prints its pid, which exec makes the server's.
      "sh",
      "-c",
      'echo "pid $$"; exec "$0" "$@"',
      Deno.execPath(),
      "run",
      "-A",
      "--cached-only",
      join(REPO, "main.ts"),
      "-insecure",
      "-http",
      "127.0.0.1:0",
      "-data",
      dirs[0]!,
      "-groups",
      dirs[1]!,
      "-recordings",
      dirs[2]!,
    ],
    env: { DENO_NO_UPDATE_CHECK: "1" },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let pid = 0;
  try {
    let out = "";
    let url: string | undefined;
    for await (
      const chunk of server.stdout.pipeThrough(new TextDecoderStream())
    ) {
      out += chunk;
      pid = Number(/^pid (\d+)$/m.exec(out)?.[1] ?? 0);
      url = /Nereid listening on (http:\/\/\S+)\//.exec(out)?.[1];
      if (url !== undefined) break;
    }
    if (url === undefined) throw new Error(`The server did not start: ${out}`);
    const client = await connect(url.replace(/^http/, "ws") + "/ws");
    await client.handshake();
    await client.join("g", "carrot", "p");
    const publisher = new Publisher(client);
    const reply = await publisher.offer();
    if (reply["type"] !== "answer") {
      throw new Error(`Publishing failed: ${JSON.stringify(reply)}`);
    }
    // The server's receiver reports and REMBs: media reached it, and it
    // sent to the peer.
    let rtcp = 0;
    for (const t of publisher.pc.getTransceivers()) {
      t.sender.onRtcp.subscribe(() => rtcp++);
    }
    await waitFor("RTCP from the server", () => rtcp > 0, {
      timeoutMs: 10_000,
    });
    // Every candidate of the peer, trickled ones included.
    await waitFor(
      "the publisher's ICE gathering",
      () => publisher.pc.iceGatheringState === "complete",
      { timeoutMs: 10_000 },
    );
    const peer = publisher.pc.localDescription!.sdp.split("\r\n")
      .flatMap((l) => {
        const c = /^a=candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ/i.exec(l);
        return c ? [`${c[1]}:${c[2]}`] : [];
      });
    // The TCP ports listened on in this namespace, which holds nothing but
    // this run: the server's own (its public port and the private one its
    // connection relay hands requests to).
    const own = await listeningPorts();
    await publisher.close();
    await client.close();
    console.log(JSON.stringify({ peer, own }));
  } finally {
    // The server shuts down on SIGTERM, and strace ends with it.
    if (pid > 0) Deno.kill(pid, "SIGTERM");
    else server.kill("SIGKILL");
    await server.status;
  }
}

if (import.meta.main) await main(Deno.args[0]!);

/** `127.0.0.1:PORT` of every listening IPv4 TCP socket of the namespace. */
async function listeningPorts(): Promise<string[]> {
  const table = await Deno.readTextFile("/proc/net/tcp");
  return table.split("\n").slice(1).flatMap((line) => {
    const f = line.trim().split(/\s+/);
    // local_address is HEXIP:HEXPORT; state 0A is LISTEN.
    if (f[3] !== "0A" || f[1] === undefined) return [];
    const [ip, port] = f[1].split(":");
    return ip === "0100007F" ? [`127.0.0.1:${parseInt(port!, 16)}`] : [];
  });
}
