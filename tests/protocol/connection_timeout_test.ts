/**
 * Connections that would hold a file descriptor forever
 * are closed. A connection gets the header timeout to send a request's head
 * (Galène's ReadHeaderTimeout, 60 s), a keep-alive connection the idle
 * timeout between requests (IdleTimeout, 120 s), and a WebSocket that does
 * not answer the server's close frame the close timeout. The test server
 * shortens all three; each test waits for the server to close the socket.
 *
 * @module
 */

import { ok, strictEqual } from "node:assert/strict";
import {
  rawConnect,
  rawRequest,
  rawWebSocket,
  rawWrite,
  serverClosed,
} from "../support/raw_http.ts";
import { startTestServer } from "../support/test_server.ts";
import { waitFor } from "../support/wait_for.ts";

const OPEN = { users: { alice: { password: "a", permissions: "op" } } };
const TIMEOUTS = { headerTimeout: 300, idleTimeout: 600, closeTimeout: 300 };
/** How long a test waits for a close the server owes it. */
const DEADLINE = 5000;

Deno.test("a connection that sends nothing is closed after the header timeout", async () => {
  const t = await startTestServer({ connectionTimeouts: TIMEOUTS });
  try {
    const conns = await Promise.all(
      Array.from({ length: 20 }, () => rawConnect(t.server.port)),
    );
    const took = await Promise.all(conns.map((c) => serverClosed(c, DEADLINE)));
    ok(Math.min(...took) >= 250, `closed after ${Math.min(...took)} ms`);
  } finally {
    await t.close();
  }
});

Deno.test("a request whose head trickles in and never completes is closed after the header timeout", async () => {
  const t = await startTestServer({
    connectionTimeouts: { ...TIMEOUTS, idleTimeout: 60_000 },
  });
  try {
    const conn = await rawConnect(t.server.port);
    await rawWrite(conn, "GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n");
    // A header byte every 50 ms: never idle, never done.
    const trickle = setInterval(() => {
      rawWrite(conn, "x").catch(() => clearInterval(trickle));
    }, 50);
    try {
      const took = await serverClosed(conn, DEADLINE);
      ok(took >= 250, `closed after ${took} ms`);
    } finally {
      clearInterval(trickle);
    }
  } finally {
    await t.close();
  }
});

Deno.test("a keep-alive connection left idle after its response is closed after the idle timeout", async () => {
  const t = await startTestServer({
    connectionTimeouts: { ...TIMEOUTS, headerTimeout: 60_000 },
  });
  try {
    const conn = await rawConnect(t.server.port);
    await rawWrite(
      conn,
      "GET /public-groups.json HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n",
    );
    const response = new Uint8Array(4096);
    const n = await conn.read(response);
    ok(n !== null && n > 0);
    ok(
      new TextDecoder().decode(response.subarray(0, n)).startsWith(
        "HTTP/1.1 200",
      ),
    );
    const took = await serverClosed(conn, DEADLINE);
    ok(took >= 500, `closed after ${took} ms`);
  } finally {
    await t.close();
  }
});

Deno.test("WebSockets that ignore the server's close frame are disconnected after the close timeout", async () => {
  const t = await startTestServer({
    connectionTimeouts: TIMEOUTS,
    // The server closes a WebSocket that does not handshake with 1002.
    timings: { handshakeTimeout: 50 },
  });
  try {
    const sockets = await Promise.all(
      Array.from({ length: 20 }, () => rawWebSocket(t.server.port)),
    );
    // Each client reads the close frame and never answers it.
    await Promise.all(sockets.map((s) => serverClosed(s, DEADLINE)));
    await waitFor("every session to end", () => t.server.sessions.size === 0, {
      timeoutMs: DEADLINE,
    });
  } finally {
    await t.close();
  }
});

Deno.test("a joined WebSocket is not subject to the HTTP idle timeout", async () => {
  const t = await startTestServer({
    groups: { g: OPEN },
    connectionTimeouts: {
      headerTimeout: 100,
      idleTimeout: 100,
      closeTimeout: 100,
    },
    timings: { keepaliveInterval: 50, pingAfter: 200, dropAfter: 5000 },
  });
  try {
    const c = await t.member("g", "alice", "a");
    // The server pings after 200 ms of silence: by then the socket has been
    // quiet for twice the idle timeout.
    await c.nextOf("ping", undefined, 2000);
    c.send({ type: "pong" });
    await c.sync();
    strictEqual(c.isClosed, false);
  } finally {
    await t.close();
  }
});

Deno.test("plain requests are served through the connection timeouts", async () => {
  const t = await startTestServer({ connectionTimeouts: TIMEOUTS });
  try {
    const res = await rawRequest(t.server.port, {
      path: "/public-groups.json",
    });
    strictEqual(res.status, 200);
    strictEqual(res.body, "[]");
    const fetched = await fetch(`${t.url}/public-groups.json`);
    strictEqual(fetched.status, 200);
    strictEqual(await fetched.text(), "[]");
  } finally {
    await t.close();
  }
});

Deno.test("over HTTPS, connections that never finish the TLS handshake are closed after the header timeout", async () => {
  const t = await startTestServer({
    secure: true,
    connectionTimeouts: TIMEOUTS,
  });
  try {
    const silent = await rawConnect(t.server.port);
    // Half a ClientHello record header, then nothing.
    const partial = await rawConnect(t.server.port);
    await partial.write(new Uint8Array([0x16, 0x03, 0x01]));
    const took = await Promise.all(
      [silent, partial].map((c) => serverClosed(c, DEADLINE)),
    );
    ok(Math.min(...took) >= 250, `closed after ${Math.min(...took)} ms`);
    // The server still serves HTTPS.
    const client = Deno.createHttpClient({
      caCerts: [await Deno.readTextFile(`${t.dataDir}/cert.pem`)],
    });
    try {
      const res = await fetch(`${t.url}/public-groups.json`, { client });
      strictEqual(res.status, 200);
      strictEqual(await res.text(), "[]");
    } finally {
      client.close();
    }
  } finally {
    await t.close();
  }
});

Deno.test("a session sees the client's own address, not the relay's", async () => {
  const t = await startTestServer({ connectionTimeouts: TIMEOUTS });
  try {
    const socket = await rawWebSocket(t.server.port);
    await waitFor("a session", () => t.server.sessions.size > 0, {
      timeoutMs: DEADLINE,
    });
    const [session] = [...t.server.sessions];
    strictEqual(session?.address, `127.0.0.1:${socket.localAddr.port}`);
    socket.close();
  } finally {
    await t.close();
  }
});
