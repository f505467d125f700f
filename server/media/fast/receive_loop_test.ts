import { ReceiveLoop } from "./receive_loop.ts";
import { UdpBatchSocket } from "./udp_batch.ts";

function assertEquals(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: got ${a}, expected ${e}`);
}

function assert(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

const SOCKETS = 200, ROUNDS = 10;

function tokioThreads(): number {
  let n = 0;
  for (const t of Deno.readDirSync("/proc/self/task")) {
    try {
      const name = Deno.readTextFileSync(`/proc/self/task/${t.name}/comm`);
      if (name.startsWith("tokio-runtime-w")) n++;
    } catch {
      // The thread ended while we listed them.
    }
  }
  return n;
}

Deno.test("200 sockets open at once each get every datagram within a few ms, from one parked thread", async () => {
  const loop = new ReceiveLoop();
  const threadsBefore = tokioThreads();
  const delays: number[] = [];
  const counts = new Array<number>(SOCKETS).fill(0);
  const sockets: UdpBatchSocket[] = [];
  for (let s = 0; s < SOCKETS; s++) {
    sockets.push(
      await UdpBatchSocket.open({
        address: "127.0.0.1",
        loop,
        onMessage: (data) => {
          // The send time travels in the datagram: delay = now − then.
          const view = new DataView(data.buffer, data.byteOffset, 8);
          delays.push(performance.now() - view.getFloat64(0, true));
          counts[s]!++;
        },
      }),
    );
  }
  assertEquals(sockets[0]!.kind, "sendmmsg", "kind");
  assertEquals(loop.size, SOCKETS, "sockets registered");
  const tx = await UdpBatchSocket.open({
    address: "127.0.0.1",
    loop,
    onMessage: () => {},
  });
  const packet = new Uint8Array(200);
  const stamp = new DataView(packet.buffer);
  // One datagram to every socket per round, rounds 20 ms apart: most sockets
  // are idle between rounds, the case where a parked receive per socket
  // delayed delivery up to its 250 ms timeout.
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of sockets) {
      stamp.setFloat64(0, performance.now(), true);
      tx.send(packet, s.port, "127.0.0.1");
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const deadline = performance.now() + 3000;
  while (delays.length < SOCKETS * ROUNDS && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const threadsDuring = tokioThreads();
  await tx.close();
  await Promise.all(sockets.map((s) => s.close()));

  assertEquals(counts.filter((c) => c !== ROUNDS).length, 0, "short sockets");
  delays.sort((a, b) => a - b);
  const p50 = delays[Math.floor(delays.length * 0.5)]!;
  const p99 = delays[Math.floor(delays.length * 0.99)]!;
  console.log(
    `delivery delay p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, ` +
      `max ${delays.at(-1)!.toFixed(2)} ms; ${loop.waits} epoll waits; ` +
      `tokio worker threads ${threadsBefore} → ${threadsDuring}`,
  );
  // 100 ms: delivery takes one worker hand-off and a drain (well under 1 ms
  // on an idle machine, 30 ms measured on a 2-core machine also running two
  // browsers); the bound stays well under the old failure, which was set by
  // the 250 ms receive timeout.
  assert(p99 < 100, `p99 delivery delay ${p99.toFixed(2)} ms is not < 100 ms`);
  // The old design parked one thread per socket, up to the pool's ~32.
  assert(
    threadsDuring - threadsBefore <= 4,
    `worker threads grew from ${threadsBefore} to ${threadsDuring}`,
  );
  assertEquals([loop.running, loop.size], [false, 0], "loop stopped");
});

Deno.test("closing the last socket stops the loop at once, and the next open restarts it", async () => {
  const loop = new ReceiveLoop({ timeoutMs: 5000 });
  for (let pass = 0; pass < 2; pass++) {
    let got = 0;
    const rx = await UdpBatchSocket.open({
      address: "127.0.0.1",
      loop,
      onMessage: () => got++,
    });
    assertEquals(loop.running, true, `running on pass ${pass}`);
    rx.send(new Uint8Array(4), rx.port, "127.0.0.1");
    while (got === 0) await new Promise((r) => setTimeout(r, 5));
    const t0 = performance.now();
    await rx.close();
    // The eventfd wakes the 5 s wait: close does not wait for the timeout.
    const took = performance.now() - t0;
    assert(took < 1000, `close took ${took.toFixed(1)} ms`);
    assertEquals(
      [loop.running, loop.size],
      [false, 0],
      `stopped, pass ${pass}`,
    );
  }
});

Deno.test("a socket closed and another opened before the wait returns both behave", async () => {
  const loop = new ReceiveLoop({ timeoutMs: 5000 });
  const a = await UdpBatchSocket.open({
    address: "127.0.0.1",
    loop,
    onMessage: () => {},
  });
  const closing = a.close();
  let got = 0;
  const b = await UdpBatchSocket.open({
    address: "127.0.0.1",
    loop,
    onMessage: () => got++,
  });
  await closing;
  assertEquals(loop.size, 1, "one socket left");
  b.send(new Uint8Array(4), b.port, "127.0.0.1");
  const deadline = performance.now() + 2000;
  while (got === 0 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
  assertEquals(got, 1, "the new socket receives");
  await b.close();
  assertEquals(loop.running, false, "stopped");
});

Deno.test("a handler that closes its own socket mid-batch stops that socket's delivery", async () => {
  const loop = new ReceiveLoop();
  let got = 0, closing: Promise<void> | null = null;
  const rx: UdpBatchSocket = await UdpBatchSocket.open({
    address: "127.0.0.1",
    loop,
    onMessage: () => {
      got++;
      closing ??= rx.close();
    },
  });
  const tx = await UdpBatchSocket.open({
    address: "127.0.0.1",
    loop,
    onMessage: () => {},
  });
  for (let i = 0; i < 10; i++) tx.send(new Uint8Array(4), rx.port, "127.0.0.1");
  while (closing === null) await new Promise((r) => setTimeout(r, 5));
  await closing;
  await tx.close();
  assertEquals(got, 1, "datagrams delivered after close");
  assertEquals(loop.running, false, "stopped");
});

Deno.test("takeStats() counts the loop's wake-ups and turns, then starts again", async () => {
  const loop = new ReceiveLoop();
  const got = Promise.withResolvers<void>();
  const rx = await UdpBatchSocket.open({
    address: "127.0.0.1",
    loop,
    onMessage: () => got.resolve(),
  });
  const tx = await UdpBatchSocket.open({
    address: "127.0.0.1",
    loop,
    onMessage: () => {},
  });
  loop.takeStats();
  tx.send(new Uint8Array(10), rx.port, "127.0.0.1");
  await got.promise;
  const stats = loop.takeStats();
  assert(stats.wakes >= 1 && stats.ready >= 1, JSON.stringify(stats));
  assert(stats.maxTurnMs >= 0 && stats.busyMs >= stats.maxTurnMs, "turns");
  assertEquals(loop.takeStats().ready, 0, "after taking");
  await rx.close();
  await tx.close();
});
