/**
 * Nereid's TURN server against an independent client: `turnutils_uclient`
 * from Debian's coturn package (installed by tests/setup.ts). It allocates,
 * binds channels (or uses Send indications) and exchanges data with an echo
 * peer this test runs on 127.0.0.1, over UDP and over TCP, with REST
 * credentials it computes from the shared secret (`-W`), as Nereid's clients
 * get them. Over IPv6 too (`-x`: an IPv6 relayed address, `-Z`: a dual
 * allocation), with the server, the client and the peer on ::1.
 */

import { createSocket } from "node:dgram";
import { assert, assertEquals } from "../support/assert.ts";
import { loadOrCreateCertificate } from "../../server/http/tls.ts";
import {
  startLoopbackTurn,
  TEST_TURN_SECRET,
} from "../support/loopback_turn.ts";

const UCLIENT = "/usr/bin/turnutils_uclient";

async function echoPeer(host = "127.0.0.1") {
  const socket = createSocket(host.includes(":") ? "udp6" : "udp4");
  await new Promise<void>((r) => socket.bind(0, host, () => r()));
  let echoed = 0;
  socket.on("message", (m, rinfo) => {
    echoed++;
    socket.send(m, rinfo.port, rinfo.address);
  });
  return {
    port: socket.address().port,
    get echoed() {
      return echoed;
    },
    close: () => socket.close(),
  };
}

async function uclient(args: string[]): Promise<string> {
  const out = await new Deno.Command(UCLIENT, {
    args,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const d = new TextDecoder();
  return d.decode(out.stdout) + d.decode(out.stderr);
}

const MESSAGES = 20;
const CLIENTS = 2;

for (
  const [name, flags] of [
    ["UDP with channels", []],
    ["UDP with Send indications", ["-s"]],
    ["TCP with channels", ["-t"]],
    ["TCP with Send indications", ["-t", "-s"]],
  ] as const
) {
  Deno.test(`turnutils_uclient relays through Nereid's TURN server: ${name}`, async () => {
    const turn = await startLoopbackTurn();
    const peer = await echoPeer();
    try {
      const out = await uclient([
        "-c", // no RTCP allocations (they ask for reserved even ports)
        ...flags,
        "-W",
        TEST_TURN_SECRET,
        "-u",
        "alice",
        "-p",
        String(turn.port),
        "-e",
        "127.0.0.1",
        "-r",
        String(peer.port),
        "-n",
        String(MESSAGES),
        "-m",
        String(CLIENTS),
        "-l",
        "170",
        "127.0.0.1",
      ]);
      const total = /tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$/m.exec(out);
      assert(total !== null, `no totals in uclient's output:\n${out}`);
      assertEquals(Number(total[1]), MESSAGES * CLIENTS);
      assertEquals(Number(total[2]), MESSAGES * CLIENTS, out);
      assert(/Total lost packets 0 /.test(out), out);
      assertEquals(peer.echoed, MESSAGES * CLIENTS);
      const allocated = turn.logs.filter((l) => l.includes("allocated relay"));
      // uclient opens more than one allocation per client.
      assert(allocated.length >= CLIENTS, `${allocated.length} allocations`);
      assert(allocated.every((l) => /user "\d+:alice"/.test(l)));
    } finally {
      peer.close();
      await turn.close();
    }
  });
}

Deno.test("turnutils_uclient with a wrong secret or password is refused with 401 and allocates nothing", async () => {
  const turn = await startLoopbackTurn();
  const peer = await echoPeer();
  try {
    const common = ["-c", "-p", String(turn.port), "-e", "127.0.0.1"];
    const wrongSecret = await uclient([
      ...common,
      "-r",
      String(peer.port),
      "-W",
      "not-the-secret",
      "-u",
      "alice",
      "-n",
      "2",
      "127.0.0.1",
    ]);
    assert(/Cannot complete Allocation/.test(wrongSecret), wrongSecret);
    const expiry = Math.floor(Date.now() / 1000) + 3600;
    const wrongPassword = await uclient([
      ...common,
      "-r",
      String(peer.port),
      "-u",
      `${expiry}:alice`,
      "-w",
      "wrong",
      "-n",
      "2",
      "127.0.0.1",
    ]);
    assert(/Cannot complete Allocation/.test(wrongPassword), wrongPassword);
    assertEquals(turn.server.allocationCount, 0);
    assert((turn.server.errorsSent.get(401) ?? 0) >= 2);
    assertEquals(peer.echoed, 0);
  } finally {
    peer.close();
    await turn.close();
  }
});

Deno.test("turnutils_uclient relays through Nereid's TURN server over TLS", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nereid-turn-tls-" });
  const { cert, key } = await loadOrCreateCertificate(dir, { log: () => {} });
  const turn = await startLoopbackTurn({ tls: { cert, key } });
  const peer = await echoPeer();
  try {
    const out = await uclient([
      "-c",
      "-t",
      "-S",
      "-W",
      TEST_TURN_SECRET,
      "-u",
      "alice",
      "-p",
      String(turn.listeners.tlsPort),
      "-e",
      "127.0.0.1",
      "-r",
      String(peer.port),
      "-n",
      String(MESSAGES),
      "-l",
      "170",
      "127.0.0.1",
    ]);
    const total = /tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$/m.exec(out);
    assert(total !== null, `no totals in uclient's output:\n${out}`);
    assertEquals(Number(total[2]), MESSAGES, out);
    assert(turn.logs.some((l) => /allocated relay .* for tls /.test(l)));
  } finally {
    peer.close();
    await turn.close();
    await Deno.remove(dir, { recursive: true });
  }
});

for (
  const [name, flags, family] of [
    ["an IPv6 relay over UDP (-x)", ["-x"], 6],
    ["an IPv6 relay over TCP (-x -t)", ["-x", "-t"], 6],
    ["a dual allocation, IPv6 side (-Z -x)", ["-Z", "-x"], 6],
    ["a dual allocation, IPv4 side (-Z)", ["-Z"], 4],
  ] as const
) {
  Deno.test(`turnutils_uclient on ::1 relays through ${name}`, async () => {
    const turn = await startLoopbackTurn({ ipv6: true });
    const host = family === 6 ? "::1" : "127.0.0.1";
    const peer = await echoPeer(host);
    try {
      const out = await uclient([
        "-c",
        ...flags,
        "-W",
        TEST_TURN_SECRET,
        "-u",
        "alice",
        "-p",
        String(turn.port),
        "-e",
        host,
        "-r",
        String(peer.port),
        "-n",
        String(MESSAGES),
        "-l",
        "170",
        "::1",
      ]);
      const total = /tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$/m.exec(out);
      assert(total !== null, `no totals in uclient's output:\n${out}`);
      assertEquals(Number(total[2]), MESSAGES, out);
      assertEquals(peer.echoed, MESSAGES);
      const allocated = turn.logs.filter((l) => l.includes("allocated relay"));
      assert(
        allocated.every((l) => / for (udp|tcp) ::1:/.test(l)),
        allocated.join("\n"),
      );
      const expected = (flags as readonly string[]).includes("-Z")
        ? /IPv4 port \d+, IPv6 port \d+ /
        : /relay IPv6 port \d+ /;
      assert(allocated.every((l) => expected.test(l)), allocated.join("\n"));
    } finally {
      peer.close();
      await turn.close();
    }
  });
}
