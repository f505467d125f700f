import { assert, assertEquals } from "../../tests/support/assert.ts";
import { loadOrCreateCertificate } from "../http/tls.ts";
import {
  errorOf,
  tid,
  TurnAuth,
  TurnTestClient,
} from "../../tests/support/turn_client.ts";
import {
  type LoopbackTurn,
  startLoopbackTurn,
  testCredentials,
} from "../../tests/support/loopback_turn.ts";
import { waitFor } from "../../tests/support/wait_for.ts";
import { Attr, MessageClass, Method } from "./stun_constants.ts";
import { StunWriter } from "./stun_writer.ts";

const binding = () =>
  new StunWriter(Method.binding, MessageClass.request, tid()).finish();

/** Waits until `t` has swept twice: once wholly after the call. */
async function sweptAfterNow(t: LoopbackTurn): Promise<void> {
  const start = t.listeners.sweeps;
  await waitFor("two sweeps", () => t.listeners.sweeps >= start + 2);
}

Deno.test("TCP: a connection silent or stopped within a message is closed after handshakeMs, one without an allocation after idleMs, one with an allocation stays", async () => {
  let now = 1_000_000;
  // Short, so that the sweep (a quarter of the shorter) runs often.
  const handshakeMs = 200;
  const idleMs = 800;
  const t = await startLoopbackTurn({
    now: () => now,
    streams: { handshakeMs, idleMs },
  });
  const silent = await TurnTestClient.tcp(t.port);
  const half = await TurnTestClient.tcp(t.port);
  const greeted = await TurnTestClient.tcp(t.port);
  const allocated = await TurnTestClient.tcp(t.port);
  const all = [silent, half, greeted, allocated];
  try {
    // Half of a Binding request's 20-byte header.
    half.send(binding().subarray(0, 10));
    assertEquals((await greeted.request(binding())).cls, MessageClass.success);
    const auth = new TurnAuth(allocated, testCredentials("alice", now));
    const a = await auth.call(
      Method.allocate,
      (w) => w.bytes(Attr.requestedTransport, new Uint8Array([17, 0, 0, 0])),
    );
    assertEquals(a.cls, MessageClass.success, `error ${errorOf(a)}`);
    await waitFor("4 connections", () => t.listeners.connectionCount === 4);

    now += handshakeMs - 1;
    await sweptAfterNow(t);
    assertEquals(all.map((c) => c.ended), [false, false, false, false]);
    now += 1;
    await waitFor(
      "the silent and half ones closed",
      () => silent.ended && half.ended,
    );
    await sweptAfterNow(t);
    assertEquals([greeted.ended, allocated.ended], [false, false]);

    now += idleMs - handshakeMs - 1;
    await sweptAfterNow(t);
    assert(!greeted.ended, "closed before idleMs");
    now += 1;
    await waitFor("the idle one closed", () => greeted.ended);
    await sweptAfterNow(t);
    assert(!allocated.ended, "a connection with an allocation was closed");
    assertEquals(t.listeners.connectionCount, 1);

    // Once its allocation is gone, the idle time applies to it too.
    const r = await auth.call(Method.refresh, (w) => w.u32(Attr.lifetime, 0));
    assertEquals(r.cls, MessageClass.success);
    now += idleMs;
    await waitFor("the released one closed", () => allocated.ended);
    assertEquals(t.listeners.connectionCount, 0);
  } finally {
    for (const c of all) c.close();
    await t.close();
  }
});

/** Whether a connection is served: it answers a Binding request. */
async function served(c: TurnTestClient): Promise<boolean> {
  try {
    return (await c.request(binding(), 2000)).cls === MessageClass.success;
  } catch {
    return false;
  }
}

Deno.test("TCP and TLS: connections beyond connectionsPerAddress or the total are closed at once, and taken again when one ends", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nereid-turn-caps-" });
  const { cert, key } = await loadOrCreateCertificate(dir, { log: () => {} });
  const t = await startLoopbackTurn({
    ipv6: true,
    tls: { cert, key },
    streams: { connections: 3, connectionsPerAddress: 2 },
  });
  const clients: TurnTestClient[] = [];
  const tlsConns: Deno.TlsConn[] = [];
  const open = async (host: string) => {
    const c = await TurnTestClient.tcp(t.port, host);
    clients.push(c);
    return c;
  };
  try {
    const [a, b] = [await open("127.0.0.1"), await open("127.0.0.1")];
    assert(await served(a) && await served(b));
    const third = await open("127.0.0.1");
    await waitFor("the third from 127.0.0.1 closed", () => third.ended);

    // Another address (::1) over TLS fills the total of 3.
    const tls = await Deno.connectTls({
      hostname: "::1",
      port: t.listeners.tlsPort!,
      caCerts: [cert],
    });
    tlsConns.push(tls);
    await tls.write(binding());
    const answer = new Uint8Array(512);
    assert((await tls.read(answer) ?? 0) >= 20, "no answer over TLS");
    assertEquals(t.listeners.connectionCount, 3);
    const fourth = await open("::1");
    await waitFor("the fourth connection closed", () => fourth.ended);
    const tls2 = await Deno.connectTls({
      hostname: "::1",
      port: t.listeners.tlsPort!,
      caCerts: [cert],
    });
    tlsConns.push(tls2);
    const refused = await tls2.handshake().then(
      () => tls2.read(new Uint8Array(16)).then((n) => n === null),
      () => true,
    );
    assert(refused, "a TLS connection beyond the total was served");

    a.close();
    await waitFor("a slot freed", () => t.listeners.connectionCount === 2);
    assert(await served(await open("127.0.0.1")));
    assertEquals(t.listeners.connectionCount, 3);
  } finally {
    for (const c of clients) c.close();
    for (const c of tlsConns) {
      try {
        c.close();
      } catch {
        // closed by the server
      }
    }
    await t.close();
    await Deno.remove(dir, { recursive: true });
  }
});
