/**
 * Nereid contacts nothing it was not configured to contact: a server with
 * no `data/ice-servers.json` that receives a published stream resolves no
 * name and sends to no address but its peer's.
 *
 * The server runs as its own process (`main.ts`, as an operator runs it)
 * under strace, which records every `connect`, `sendto`, `sendmsg` and
 * `sendmmsg` with its destination and every file opened, whatever path the
 * datagram takes (node:dgram, the sendmmsg fast path, libc's resolver).
 * Server and publisher run in a network namespace of their own, with
 * loopback and one documentation address (198.51.100.1) on a veth pair, so
 * that even a failing run reaches nothing outside.
 *
 * Needs `unshare` (util-linux), `ip` (iproute2) and `strace`.
 *
 * @module
 */

import { deepStrictEqual, ok } from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));

// Loopback, and an interface that is not loopback: werift gathers host
// candidates on those only.
const NAMESPACE = [
  "ip link set lo up",
  "ip link add nereid0 type veth peer name nereid1",
  "ip addr add 198.51.100.1/24 dev nereid0",
  "ip link set nereid0 up",
  "ip link set nereid1 up",
].join(" && ");

// Every address of the namespace: its own hosts, nothing outside.
const NAMESPACE_ADDRESSES = ["127.0.0.1", "198.51.100.1"];

// What the system's resolver reads to look a name up (glibc, musl, Deno's
// own resolver alike).
const RESOLVER_FILES =
  /"(\/etc\/(?:hosts|resolv\.conf|nsswitch\.conf|host\.conf|gai\.conf))"/;

/** What a trace shows the server reaching for. */
interface Observed {
  /** IPv4/IPv6 destinations, `address:port`, with how many calls. */
  destinations: Map<string, number>;
  /** Unix sockets connected to (nscd, systemd-resolved…). */
  unixSockets: Set<string>;
  /** Resolver configuration files opened. */
  resolverFiles: Set<string>;
}

function observe(trace: string): Observed {
  const seen: Observed = {
    destinations: new Map(),
    unixSockets: new Set(),
    resolverFiles: new Set(),
  };
  const inet = /sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)/g;
  const inet6 =
    /sin6_port=htons\((\d+)\),[^}]*?inet_pton\(AF_INET6, "([^"]+)"/g;
  for (const line of trace.split("\n")) {
    for (const m of line.matchAll(inet)) count(seen, `${m[2]}:${m[1]}`);
    for (const m of line.matchAll(inet6)) count(seen, `[${m[2]}]:${m[1]}`);
    const unix = /sa_family=AF_UNIX, sun_path=("[^"]*")/.exec(line);
    if (unix && /\bconnect\(/.test(line)) seen.unixSockets.add(unix[1]!);
    const file = /\bopenat\(/.test(line) ? RESOLVER_FILES.exec(line) : null;
    if (file) seen.resolverFiles.add(file[1]!);
  }
  return seen;
}

function count(seen: Observed, destination: string): void {
  seen.destinations.set(
    destination,
    (seen.destinations.get(destination) ?? 0) + 1,
  );
}

Deno.test("a server with no ICE servers configured resolves no name and sends to no address but its peer's when a stream is published", async () => {
  const root = await Deno.makeTempDir({ prefix: "nereid-traffic-" });
  try {
    const run = await new Deno.Command("unshare", {
      args: [
        "-rn",
        "sh",
        "-c",
        `${NAMESPACE} && exec "$0" "$@"`,
        Deno.execPath(),
        "run",
        "-A",
        "--cached-only",
        join(HERE, "publish_traced.ts"),
        root,
      ],
      env: { DENO_NO_UPDATE_CHECK: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(run.stdout);
    const stderr = new TextDecoder().decode(run.stderr);
    ok(
      run.success,
      `The traced run failed (needs unshare, ip and strace):\n${stderr}`,
    );
    const { peer, own } = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
      peer: string[];
      own: string[];
    };
    const seen = observe(await Deno.readTextFile(join(root, "trace")));

    // The trace does show the server's datagrams: those to its peer.
    const toPeer = peer.reduce(
      (n, a) => n + (seen.destinations.get(a) ?? 0),
      0,
    );
    ok(toPeer > 0, `no datagram to the peer ${peer} in the trace`);
    // Its own listening sockets (the connection relay's private port) are
    // the server talking to itself.
    // The peer's sockets may also be reached at the namespace's other
    // address (a peer-reflexive candidate: a datagram from its socket bound
    // to every address arrives from 127.0.0.1), which is still the peer.
    const peerPorts = new Set(peer.map((a) => a.slice(a.lastIndexOf(":") + 1)));
    const isPeer = (a: string) =>
      peer.includes(a) ||
      (NAMESPACE_ADDRESSES.includes(a.slice(0, a.lastIndexOf(":"))) &&
        peerPorts.has(a.slice(a.lastIndexOf(":") + 1)));
    const others = [...seen.destinations.keys()].filter((a) =>
      !isPeer(a) && !own.includes(a)
    );
    deepStrictEqual(
      others,
      [],
      `destinations other than the peer (own: ${own})`,
    );
    deepStrictEqual([...seen.unixSockets], [], "unix sockets connected to");
    deepStrictEqual([...seen.resolverFiles], [], "resolver files read");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
