/**
 * As in Galène, on shutdown every group is locked and every
 * client kicked with "server is shutting down".
 *
 * @module
 */

import { strictEqual } from "node:assert/strict";
import { startTestServer } from "../support/test_server.ts";

const user = (permissions: unknown) => ({ password: "p", permissions });

Deno.test("shutting the server down kicks every client with server is shutting down", async () => {
  const t = await startTestServer({
    groups: { g: { users: { vimes: user("op"), carrot: user("present") } } },
  });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    const idle = await t.connect();
    await idle.handshake();
    const stopping = t.server.shutdown();
    for (const c of [vimes, carrot]) {
      const kicked = await c.nextOf("usermessage", "kicked");
      strictEqual(kicked["value"], "server is shutting down");
      strictEqual(kicked["privileged"], true);
      // Galène closes a kicked client with 1000 (normal closure).
      const { code, reason } = await c.closed;
      strictEqual(code, 1000);
      strictEqual(reason, "server is shutting down");
    }
    await idle.closed;
    await stopping;
    strictEqual(t.server.sessions.size, 0);
  } finally {
    await t.close();
  }
});
