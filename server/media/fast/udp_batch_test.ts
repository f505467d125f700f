import { FLUSH_AFTER_MS, UdpBatchSocket } from "./udp_batch.ts";
import {
  formatIpv4,
  LibcUdpSocket,
  parseIpv4,
  SEND_BATCH,
  SMALL_BATCH,
} from "./libc_socket.ts";

function assertEquals(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: got ${a}, expected ${e}`);
}

/** Opens a receiver and a sender on loopback and collects what arrives. */
async function exchange(
  kind: "auto" | "dgram",
  count: number,
): Promise<{ got: Map<number, number[]>; senderKind: string }> {
  const got = new Map<number, number[]>();
  let done: () => void = () => {};
  const all = new Promise<void>((r) => (done = r));
  const rx = await UdpBatchSocket.open({
    address: "127.0.0.1",
    kind,
    onMessage: (data, address, port) => {
      assertEquals(address, "127.0.0.1", "sender address");
      const seq = (data[0]! << 8) | data[1]!;
      got.set(seq, [data.length, data[data.length - 1]!, port]);
      if (got.size === count) done();
    },
  });
  const tx = await UdpBatchSocket.open({
    address: "127.0.0.1",
    kind,
    onMessage: () => {},
  });
  const packet = new Uint8Array(1200);
  for (let seq = 0; seq < count; seq++) {
    packet[0] = seq >>> 8;
    packet[1] = seq & 0xff;
    packet[1199] = seq & 0x7f;
    tx.send(packet, rx.port, "127.0.0.1"); // the buffer is reused at once: send must copy
  }
  const timer = setTimeout(done, 3000);
  await all;
  clearTimeout(timer);
  const senderKind = tx.kind;
  for (const [, v] of got) {
    assertEquals(v[2], tx.port, "source port is the sender's bound port");
  }
  await tx.close();
  await rx.close();
  return { got, senderKind };
}

Deno.test("the sendmmsg path delivers 200 queued 1200-byte datagrams intact over loopback", async () => {
  const { got, senderKind } = await exchange("auto", 200);
  assertEquals(senderKind, "sendmmsg", "kind");
  assertEquals(got.size, 200, "received");
  for (let seq = 0; seq < 200; seq++) {
    assertEquals(
      got.get(seq)?.slice(0, 2),
      [1200, seq & 0x7f],
      `datagram ${seq}`,
    );
  }
});

Deno.test("the node:dgram fallback delivers the same datagrams", async () => {
  const { got, senderKind } = await exchange("dgram", 50);
  assertEquals(senderKind, "dgram", "kind");
  assertEquals(got.size, 50, "received");
});

Deno.test("a libc socket asks for 4 MiB buffers and reports what the kernel granted", async () => {
  const s = LibcUdpSocket.open({ address: "127.0.0.1" });
  if (s === null) throw new Error("Cannot load libc");
  try {
    const { receive, send } = s.bufferBytes;
    // Linux doubles the request; without CAP_NET_ADMIN it is capped at rmem_max.
    console.log(`SO_RCVBUF ${receive} B, SO_SNDBUF ${send} B`);
    assertEquals(
      receive > 65536 && send > 65536,
      true,
      "larger than Deno's 64 KiB default",
    );
  } finally {
    await s.close();
  }
});

Deno.test("close() returns promptly while the receive loop waits", async () => {
  const s = await UdpBatchSocket.open({
    address: "127.0.0.1",
    onMessage: () => {},
  });
  const t0 = performance.now();
  await s.close();
  assertEquals(
    performance.now() - t0 < 300,
    true,
    "closed without waiting for the epoll timeout",
  );
});

Deno.test("sending to a non-IPv4 address on the sendmmsg path names the address", async () => {
  const s = await UdpBatchSocket.open({
    address: "127.0.0.1",
    onMessage: () => {},
  });
  try {
    let message = "";
    try {
      s.send(new Uint8Array(4), 9, "::1");
    } catch (e) {
      message = (e as Error).message;
    }
    assertEquals(
      message,
      'Cannot send UDP to "::1": not an IPv4 address',
      "message",
    );
  } finally {
    await s.close();
  }
});

Deno.test("parseIpv4() and formatIpv4() round-trip and reject what is not dotted-quad IPv4", () => {
  assertEquals(
    formatIpv4(parseIpv4("192.0.2.255")),
    "192.0.2.255",
    "round trip",
  );
  assertEquals(
    [
      parseIpv4("1.2.3"),
      parseIpv4("1.2.3.256"),
      parseIpv4("a.b.c.d"),
      parseIpv4("::1"),
    ],
    [-1, -1, -1, -1],
    "rejects",
  );
});

Deno.test("a datagram forwarded on another socket leaves within FLUSH_AFTER_MS of the loop's work, not when its batch fills", async () => {
  // A publisher's socket (up) gets a burst; for each datagram its handler
  // works a quarter of FLUSH_AFTER_MS, then forwards on another socket
  // (down), as a media node does. down's send batch (a media socket's, of
  // SEND_BATCH) never fills during the burst: its datagrams must still
  // leave while the burst is handled.
  const BURST = SEND_BATCH - 4;
  const sink = await UdpBatchSocket.open({
    address: "127.0.0.1",
    onMessage: () => {},
  });
  const down = await UdpBatchSocket.open({
    address: "127.0.0.1",
    onMessage: () => {},
  });
  // A small arena that fills gives down its media arena, as media does.
  const warm = new Uint8Array(20);
  for (let i = 0; i < SMALL_BATCH; i++) {
    down.send(warm, sink.port, "127.0.0.1");
  }
  down.flush();
  const before = down.stats.sent;
  const sentDuringBurst: number[] = [];
  let handled = 0;
  const finished = Promise.withResolvers<void>();
  const up = await UdpBatchSocket.open({
    address: "127.0.0.1",
    onMessage: (data) => {
      const until = performance.now() + FLUSH_AFTER_MS / 4;
      while (performance.now() < until) {
        // the work of forwarding to many subscribers
      }
      down.send(data, sink.port, "127.0.0.1");
      sentDuringBurst.push(down.stats.sent - before);
      if (++handled === BURST) finished.resolve();
    },
  });
  const tx = await UdpBatchSocket.open({
    address: "127.0.0.1",
    onMessage: () => {},
  });
  const packet = new Uint8Array(200);
  for (let i = 0; i < BURST; i++) tx.send(packet, up.port, "127.0.0.1");
  tx.flush(); // one sendmmsg: the whole burst waits in up's socket at once
  const timer = setTimeout(() => finished.reject(new Error("no burst")), 5000);
  await finished.promise;
  clearTimeout(timer);
  // Without the deadline flush, down sent nothing until the turn ended.
  const firstSent = sentDuringBurst.findIndex((n) => n > 0);
  if (firstSent < 0 || firstSent >= BURST - 1) {
    throw new Error(
      `down sent nothing while the burst was handled: ${sentDuringBurst.join()}`,
    );
  }
  for (const s of [sink, down, up, tx]) await s.close();
});
