import { PortRange } from "./port_range.ts";
import { UdpBatchSocket } from "./udp_batch.ts";

function assertEquals(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: got ${a}, expected ${e}`);
}

async function assertRejects(
  f: () => Promise<unknown>,
  type: abstract new (...args: never[]) => Error,
  text: string,
): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (!(e instanceof type) || !e.message.includes(text)) {
      throw new Error(`Expected ${type.name} with "${text}", got ${e}`);
    }
    return;
  }
  throw new Error(`Expected ${type.name}, nothing was thrown`);
}

// Below Linux's ephemeral range (32768-60999): no socket bound to port 0
// lands here while the test runs.
const LOW = 24310;

function open(address: string, kind: "auto" | "dgram" = "auto") {
  return (port: number) =>
    UdpBatchSocket.open({ address, port, kind, onMessage: () => {} });
}

Deno.test("bind() skips a port in use, starts after the last port tried, and wraps around", async () => {
  const taken = await open("0.0.0.0")(LOW);
  const range = new PortRange(LOW, LOW + 2);
  const a = await range.bind("IPv4", open("0.0.0.0"));
  const b = await range.bind("IPv4", open("0.0.0.0"));
  assertEquals([a.port, b.port], [LOW + 1, LOW + 2], "ports");
  await a.close();
  // The cursor is back at LOW (taken): the next free one is a's old port.
  const c = await range.bind("IPv4", open("0.0.0.0"));
  assertEquals(c.port, LOW + 1, "port after wrapping");
  for (const s of [taken, b, c]) await s.close();
});

Deno.test("bind() on a full range throws AddrInUse naming the range, and binds again once a port is free", async () => {
  const range = new PortRange(LOW, LOW + 1);
  const a = await range.bind("IPv4", open("0.0.0.0"));
  const b = await range.bind("IPv4", open("0.0.0.0"));
  await assertRejects(
    () => range.bind("IPv4", open("0.0.0.0")),
    Deno.errors.AddrInUse,
    `No free UDP port in ${LOW}-${LOW + 1} for IPv4`,
  );
  await b.close();
  const c = await range.bind("IPv4", open("0.0.0.0"));
  assertEquals(c.port, LOW + 1, "the freed port");
  for (const s of [a, c]) await s.close();
});

Deno.test("concurrent binds on node:dgram each get their own port of the range", async () => {
  const range = new PortRange(LOW, LOW + 2);
  const sockets = await Promise.all(
    [0, 1, 2].map(() => range.bind("IPv4", open("127.0.0.1", "dgram"))),
  );
  assertEquals(
    sockets.map((s) => s.port).sort(),
    [LOW, LOW + 1, LOW + 2],
    "ports",
  );
  for (const s of sockets) await s.close();
});

Deno.test("IPv6 sockets in a range take no IPv4 port: both families bind every port", async () => {
  const v4 = new PortRange(LOW, LOW + 1), v6 = new PortRange(LOW, LOW + 1);
  const sockets = [
    await v4.bind("IPv4", open("0.0.0.0")),
    await v6.bind("IPv6", open("::")),
    await v4.bind("IPv4", open("0.0.0.0")),
    await v6.bind("IPv6", open("::")),
  ];
  assertEquals(
    sockets.map((s) => s.port),
    [LOW, LOW, LOW + 1, LOW + 1],
    "ports",
  );
  for (const s of sockets) await s.close();
});

Deno.test("bind() rethrows an error other than AddrInUse at once", async () => {
  const range = new PortRange(LOW, LOW + 9);
  let calls = 0;
  await assertRejects(
    () =>
      range.bind("IPv4", () => {
        calls++;
        return Promise.reject(new TypeError("Not an address"));
      }),
    TypeError,
    "Not an address",
  );
  assertEquals(calls, 1, "attempts");
});

Deno.test("a range must be integers with 1 ≤ low ≤ high ≤ 65535", () => {
  for (const [low, high] of [[0, 10], [10, 9], [1, 65536], [1.5, 3]]) {
    let thrown = false;
    try {
      new PortRange(low!, high!);
    } catch (e) {
      thrown = e instanceof RangeError;
    }
    assertEquals(thrown, true, `${low}-${high} refused`);
  }
  assertEquals(new PortRange(5, 5).size, 1, "a range of one port");
});
