/**
 * The built-in TURN server as clients meet it: `-turn IP:PORT` starts it,
 * every join's `rtcConfiguration` lists it with fresh credentials, and
 * those credentials allocate a relay that reaches the server's own
 * addresses only.
 */

import { assert, assertEquals } from "../support/assert.ts";
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

Deno.test("with -turn IP:PORT each join lists the TURN server with credentials that allocate", async () => {
  const t = await startTestServer({
    groups: { g: openGroup() },
    turn: "127.0.0.1:0",
  });
  const c = await TurnTestClient.udp(t.server.turn!.port);
  try {
    const port = t.server.turn!.port;
    assert(
      t.logs.some((l) => l.startsWith(`TURN server on 127.0.0.1:${port}`)),
    );
    const ws = await t.connect();
    await ws.handshake();
    const first = iceServersOf(await ws.join("g", "alice", "x"));
    assertEquals(first.length, 1);
    assertEquals(first[0]!.urls, [
      `turn:127.0.0.1:${port}?transport=udp`,
      `turn:127.0.0.1:${port}?transport=tcp`,
    ]);
    assert(/^\d+:/.test(first[0]!.username ?? ""));
    const ws2 = await t.connect();
    await ws2.handshake();
    const second = iceServersOf(await ws2.join("g", "bob", "x"));
    assert(
      second[0]!.username !== first[0]!.username,
      "credentials are reused",
    );

    const auth = new TurnAuth(c, {
      username: first[0]!.username!,
      credential: first[0]!.credential!,
    });
    const allocated = await auth.call(
      Method.allocate,
      (w) => w.bytes(Attr.requestedTransport, new Uint8Array([17, 0, 0, 0])),
    );
    assertEquals(allocated.cls, MessageClass.success, `${errorOf(allocated)}`);
    // The server's own address may be a peer; another is refused.
    const own = await auth.call(
      Method.createPermission,
      (w) =>
        w.xorAddress(Attr.xorPeerAddress, {
          family: 4,
          address: "127.0.0.1",
          port: 0,
        }),
    );
    assertEquals(own.cls, MessageClass.success);
    const other = await auth.call(
      Method.createPermission,
      (w) =>
        w.xorAddress(Attr.xorPeerAddress, {
          family: 4,
          address: "198.51.100.9",
          port: 0,
        }),
    );
    assertEquals(errorOf(other), 403);
    // A relay never reaches the TURN ports, so it can never be a client of
    // this server: relays cannot loop.
    const turnPort = await auth.call(Method.channelBind, (w) => {
      w.bytes(Attr.channelNumber, new Uint8Array([0x40, 0x00, 0, 0]));
      w.xorAddress(Attr.xorPeerAddress, {
        family: 4,
        address: "127.0.0.1",
        port,
      });
    });
    assertEquals(errorOf(turnPort), 403);
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("without -turn no TURN server runs, the log says why, and joins list none", async () => {
  const t = await startTestServer({ groups: { g: openGroup() } });
  try {
    assertEquals(t.server.turn, null);
    assert(t.logs.includes("TURN server off: -turn is empty"));
    const ws = await t.connect();
    await ws.handshake();
    assertEquals(iceServersOf(await ws.join("g", "alice", "x")), []);
  } finally {
    await t.close();
  }
});
