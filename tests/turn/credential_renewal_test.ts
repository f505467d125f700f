/**
 * Joined clients get fresh time-limited ICE credentials before theirs
 * expire, without a rejoin: `joined` `change` with a new `rtcConfiguration`
 * every 12 hours of the server's clock (injected here and moved forward).
 */

import { assert, assertEquals } from "../support/assert.ts";
import { RENEW_EVERY_MS } from "../../server/ice/credential_renewal.ts";
import {
  Attr,
  MessageClass,
  Method,
} from "../../server/turn/stun_constants.ts";
import { startTestServer } from "../support/test_server.ts";
import {
  errorOf,
  iceServersOf,
  TurnAuth,
  TurnTestClient,
} from "../support/turn_client.ts";
import { openGroup } from "../support/groups.ts";
import type { IceServer } from "../../server/ice/ice_servers.ts";

/** The expiry (Unix seconds) of a time-limited username. */
function expiry(server: IceServer): number {
  return Number(server.username!.split(":")[0]);
}

Deno.test("the built-in TURN server's credentials are renewed in a joined change before they expire", async () => {
  let clock = Date.now();
  const t = await startTestServer({
    groups: { g: openGroup() },
    turn: "127.0.0.1:0",
    now: () => clock,
  });
  const c = await TurnTestClient.udp(t.server.turn!.port);
  try {
    const ws = await t.connect();
    await ws.handshake();
    const first = await ws.join("g", "alice", "x");
    const before = iceServersOf(first)[0]!;
    clock += RENEW_EVERY_MS;
    const change = await ws.next({ type: "joined", kind: "change" }, 5000);
    const after = iceServersOf(change)[0]!;
    assertEquals(after.urls, before.urls);
    assert(
      expiry(after) - expiry(before) >= RENEW_EVERY_MS / 1000,
      `${after.username} is not ${
        RENEW_EVERY_MS / 1000
      } s younger than ${before.username}`,
    );
    assert(t.logs.includes("ICE credentials renewed for 1 client(s)"));
    // The fresh credentials work.
    const auth = new TurnAuth(c, {
      username: after.username!,
      credential: after.credential!,
    });
    const allocated = await auth.call(
      Method.allocate,
      (w) => w.bytes(Attr.requestedTransport, new Uint8Array([17, 0, 0, 0])),
    );
    assertEquals(allocated.cls, MessageClass.success, `${errorOf(allocated)}`);
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("hmac-sha1 credentials of ice-servers.json are renewed in a joined change", async () => {
  let clock = Date.now();
  const t = await startTestServer({
    groups: { g: openGroup() },
    iceServers: [{
      urls: ["turn:turn.example.org:3478"],
      username: "nereid",
      credential: "secret",
      credentialType: "hmac-sha1",
    }],
    now: () => clock,
  });
  try {
    const ws = await t.connect();
    await ws.handshake();
    const first = await ws.join("g", "alice", "x");
    const before = iceServersOf(first)[0]!;
    clock += RENEW_EVERY_MS;
    const change = await ws.next({ type: "joined", kind: "change" }, 5000);
    const after = iceServersOf(change)[0]!;
    assert(expiry(after) - expiry(before) >= RENEW_EVERY_MS / 1000);
    assert(after.credential !== before.credential);
  } finally {
    await t.close();
  }
});
