/**
 * One connection's fault is its own: a callback of the media node that
 * throws during a call (a WebAssembly trap in the per-packet path, a tick, an
 * RTCP handler) closes that connection, logged with its name, tells that
 * client, and leaves the process and every other stream running.
 *
 * @module
 */

import { ok, strictEqual } from "node:assert/strict";
import type { FaultSite } from "../../server/media/local/test_faults.ts";
import { Publisher } from "../support/publisher.ts";
import { Subscriber } from "../support/subscriber.ts";
import { startTestServer, type TestServer } from "../support/test_server.ts";
import type { WsClient } from "../support/ws_client.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const OPEN = {
  "wildcard-user": { password: { type: "wildcard" }, permissions: "present" },
};

interface Call {
  publisher: Publisher;
  subscribers: Subscriber[];
}

async function call(
  t: TestServer,
  group: string,
  subscribers: number,
): Promise<Call> {
  const subs: Subscriber[] = [];
  for (let i = 0; i < subscribers; i++) {
    const s = new Subscriber(await t.member(group, `${group}-sub${i}`));
    s.start();
    subs.push(s);
  }
  const publisher = new Publisher(await t.member(group, `${group}-pub`));
  strictEqual((await publisher.offer())["type"], "answer");
  for (const s of subs) await s.receives(publisher.id, 50);
  return { publisher, subscribers: subs };
}

async function end(t: TestServer, calls: Call[]): Promise<void> {
  for (const c of calls) {
    await c.publisher.close();
    for (const s of c.subscribers) await s.close();
  }
  await t.close();
}

function told(client: WsClient, id: string, type: "abort" | "close") {
  return Promise.all([
    client.next({ type, id }, 10_000),
    client.next(
      (m) =>
        m["type"] === "usermessage" && m["kind"] === "error" &&
        String(m["value"]).includes(id),
      10_000,
    ),
  ]);
}

for (const site of ["rtp", "tick"] as FaultSite[]) {
  Deno.test({
    name:
      `a publisher's connection whose ${site} callback throws during a call is closed and logged with its id, its clients are told, and another group keeps streaming`,
    ...opts,
    async fn() {
      const throwIn = new Map<string, FaultSite>();
      const t = await startTestServer({
        groups: { a: OPEN, b: OPEN },
        testFaults: { throwIn },
      });
      const a = await call(t, "a", 2);
      const b = await call(t, "b", 1);
      try {
        const id = a.publisher.id;
        strictEqual((await t.server.media.stats()).length, 5);
        throwIn.set(`up ${id}`, site);
        const line = await t.waitForLog(
          `up ${id}: ${site} callback failed, closing the connection`,
          { timeoutMs: 5000 },
        );
        if (site === "rtp") ok(line.includes("RuntimeError: unreachable"));
        await told(a.publisher.client, id, "abort");
        for (const s of a.subscribers) {
          await s.client.next({ type: "close", id });
        }
        await b.subscribers[0]!.receives(b.publisher.id, 100);
        strictEqual((await t.server.media.stats()).length, 2);
      } finally {
        await end(t, [a, b]);
      }
    },
  });
}

for (const site of ["rtp", "rtcp"] as FaultSite[]) {
  Deno.test({
    name:
      `a subscriber's connection whose ${site} callback throws during a call is closed and logged with its name; the publisher, its other subscriber and another group keep streaming`,
    ...opts,
    async fn() {
      const throwIn = new Map<string, FaultSite>();
      const t = await startTestServer({
        groups: { a: OPEN, b: OPEN },
        testFaults: { throwIn },
      });
      const a = await call(t, "a", 2);
      const b = await call(t, "b", 1);
      try {
        const id = a.publisher.id;
        const [faulty, other] = a.subscribers as [Subscriber, Subscriber];
        const name = `down ${id} to ${faulty.client.id}`;
        throwIn.set(name, site);
        await t.waitForLog(`${name}: ${site} callback failed`, {
          timeoutMs: 5000,
        });
        await told(faulty.client, id, "close");
        await other.receives(id, 100);
        await b.subscribers[0]!.receives(b.publisher.id, 100);
        strictEqual((await t.server.media.stats()).length, 4);
        ok(!a.publisher.client.has({ type: "abort", id }), "publisher kept");
      } finally {
        await end(t, [a, b]);
      }
    },
  });
}
