/**
 * Nereid's TURN server against an independent client: `turnutils_uclient`
 * from Debian's coturn package (installed by tests/setup.ts). It allocates,
 * binds channels (or uses Send indications) and exchanges data with an echo
 * peer this test runs on 127.0.0.1, over UDP and over TCP, with REST
 * credentials it computes from the shared secret (`-W`), as Nereid's clients
 * get them.
 */

import { createSocket } from "node:dgram";
import { assert, assertEquals } from "../../server/media/local/test_assert.ts";
import { loadOrCreateCertificate } from "../../server/http/tls.ts";
import {
  startLoopbackTurn,
  TEST_TURN_SECRET,
} from "../support/loopback_turn.ts";

const UCLIENT = "/usr/bin/turnutils_uclient";

async function echoPeer() {
  const socket = createSocket("udp4");
  await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
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
