import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { LocalMediaNode } from "../media/local/local_media_node.ts";
import { EdgeTokens } from "./edge_token.ts";
import { type MediaControlServer, serveMediaControl } from "./media_control.ts";

const SECRET = "a cluster secret of at least 32 bytes";

async function withControl(
  fn: (control: MediaControlServer, tokens: EdgeTokens) => Promise<void>,
): Promise<void> {
  const node = new LocalMediaNode({
    loopbackOnly: true,
    fastPath: false,
    log: () => {},
  });
  const tokens = new EdgeTokens(SECRET);
  const control = serveMediaControl({
    node,
    nodeId: "media-1",
    tokens,
    log: () => {},
    hostname: "127.0.0.1",
    port: 0,
  });
  try {
    await fn(control, tokens);
  } finally {
    await control.close();
    await node.close();
  }
}

/** Opens a raw link; resolves with the messages and the close. */
function link(url: string) {
  const ws = new WebSocket(url);
  const messages: unknown[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.onclose = (e) => resolve({ code: e.code, reason: e.reason });
  });
  ws.onmessage = (e) => messages.push(JSON.parse(String(e.data)));
  const open = new Promise((resolve) => (ws.onopen = resolve));
  return { ws, messages, closed, open };
}

async function next(messages: unknown[], count: number): Promise<void> {
  for (let i = 0; i < 200 && messages.length < count; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("a link whose first message is not hello is closed with 4001", async () => {
  await withControl(async (control) => {
    const l = link(control.url);
    await l.open;
    l.ws.send(JSON.stringify({ v: 2, type: "call", call: 1, op: "stats" }));
    deepStrictEqual(await l.closed, {
      code: 4001,
      reason: "The first message must be hello",
    });
  });
});

Deno.test("after hello, a call sent at once is answered (it waits for the hello's verification); a call on an unknown handle is an error value; a malformed message closes the link with 1007", async () => {
  await withControl(async (control, tokens) => {
    const l = link(control.url);
    await l.open;
    const token = await tokens.mint({
      edgeId: "edge-1",
      nodeId: "media-1",
      now: Date.now(),
    });
    l.ws.send(JSON.stringify({ v: 2, type: "hello", token }));
    l.ws.send(JSON.stringify({ v: 2, type: "call", call: 1, op: "stats" }));
    l.ws.send(
      JSON.stringify({
        v: 2,
        type: "call",
        call: 2,
        op: "offer",
        conn: "u9",
        sdp: "x",
      }),
    );
    await next(l.messages, 3);
    deepStrictEqual(l.messages, [
      { v: 2, type: "welcome", node: "media-1" },
      { v: 2, type: "result", call: 1, value: [] },
      {
        v: 2,
        type: "result",
        call: 2,
        error: { reason: "closed", message: 'No open connection "u9"' },
      },
    ]);
    l.ws.send(JSON.stringify({ v: 2, type: "call", call: 3, op: "rm -rf" }));
    const closed = await l.closed;
    strictEqual(closed.code, 1007);
    strictEqual(closed.reason, 'Unknown operation "rm -rf"');
  });
});
