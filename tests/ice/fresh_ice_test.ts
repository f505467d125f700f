/**
 * The server's own peer connections take `data/ice-servers.json` as it is
 * when each one is made, as clients do at each join: coturn time-limited
 * credentials are computed then (by the server's clock, injected here), and
 * an edit to the file reaches the next connection. Observed where it
 * matters: at a TURN server that checks the credentials as coturn does.
 *
 * @module
 */

import { ok, strictEqual } from "node:assert/strict";
import { Publisher } from "../support/publisher.ts";
import { startTestServer, type TestServer } from "../support/test_server.ts";
import type { WsClient } from "../support/ws_client.ts";
import { waitFor } from "../support/wait_for.ts";
import { type AllocateRequest, TurnRecorder } from "./turn_recorder.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const GROUP = {
  users: {
    carrot: { password: "p", permissions: "present" },
    nobby: { password: "p", permissions: "observe" },
  },
};
const SECRET = "coturn-static-auth-secret";
const HOUR = 3600 * 1000;
// Galène's and Nereid's time-limited credentials last a day.
const DAY_S = 24 * 3600;

function turnEntry(url: string, username: string): unknown {
  return {
    urls: [url],
    username,
    credential: SECRET,
    credentialType: "hmac-sha1",
  };
}

/** The expiry time (s) a username carries. */
function expiry(request: AllocateRequest): number {
  return Number(request.username.split(":")[0]);
}

/** Publishes a stream and returns the server's Allocate request for it. */
async function publish(
  client: WsClient,
  turn: TurnRecorder,
  publishers: Publisher[],
): Promise<AllocateRequest> {
  const before = turn.requests.length;
  const publisher = new Publisher(client);
  publishers.push(publisher);
  strictEqual((await publisher.offer())["type"], "answer");
  await waitFor(
    `an Allocate request at ${turn.url}`,
    () => turn.requests.length > before,
  );
  return turn.requests[before]!;
}

/** Joins until the `rtcConfiguration` clients get names `url`. */
async function clientsSee(t: TestServer, url: string): Promise<void> {
  await waitFor(`clients to get ${url}`, async () => {
    const client = await t.connect();
    await client.handshake();
    const joined = await client.join("g", "nobby", "p");
    await client.close();
    return JSON.stringify(joined["rtcConfiguration"]).includes(url);
  }, { timeoutMs: 5000, intervalMs: 50 });
}

Deno.test({
  name:
    "each server-side connection carries the TURN credentials of its own time, and an edit to ice-servers.json reaches the next one",
  ...opts,
  async fn() {
    const first = await TurnRecorder.open(SECRET);
    const second = await TurnRecorder.open(SECRET);
    let offset = 0;
    const now = () => Date.now() + offset;
    const t = await startTestServer({
      groups: { g: GROUP },
      iceServers: [turnEntry(first.url, "nereid")],
      now,
    });
    const publishers: Publisher[] = [];
    try {
      const carrot = await t.member("g", "carrot", "p");

      const from = Math.floor(now() / 1000);
      const early = await publish(carrot, first, publishers);
      const to = Math.floor(now() / 1000);
      ok(early.valid, `credentials refused: ${early.username}`);
      ok(early.username.endsWith(":nereid"), early.username);
      ok(
        expiry(early) >= from + DAY_S && expiry(early) <= to + DAY_S,
        `${early.username} does not expire a day after ${from}`,
      );

      // A day and an hour later, the first credentials have expired.
      offset += 25 * HOUR;
      const late = await publish(carrot, first, publishers);
      ok(late.valid, `credentials refused: ${late.username}`);
      ok(
        expiry(late) >= expiry(early) + 25 * 3600,
        `${late.username} computed at start (${early.username})`,
      );

      await t.writeIceServers([turnEntry(second.url, "nereid-2")]);
      await clientsSee(t, second.url);
      const count = first.requests.length;
      const edited = await publish(carrot, second, publishers);
      ok(edited.valid, `credentials refused: ${edited.username}`);
      ok(edited.username.endsWith(":nereid-2"), edited.username);
      strictEqual(first.requests.length, count, "the old server still used");
    } finally {
      for (const p of publishers) await p.close();
      await t.close();
      await first.close();
      await second.close();
    }
  },
});
