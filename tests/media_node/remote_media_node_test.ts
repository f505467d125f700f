/**
 * RemoteMediaNode against a media node in another process: authentication,
 * a node that stops answering or dies, and reconnection.
 *
 * @module
 */

import { ok, rejects, strictEqual } from "node:assert/strict";
import { EdgeTokens } from "../../server/cluster/edge_token.ts";
import { MediaError } from "../../server/media/media_node.ts";
import type { ConnectionState } from "../../server/media/media_node.ts";
import { waitFor } from "../support/wait_for.ts";
import {
  connectRemote,
  type MediaProcess,
  startMediaProcess,
} from "./support/remote_node.ts";
import { openUp } from "./support/open_up.ts";

async function withProcess(
  fn: (media: MediaProcess) => Promise<void>,
): Promise<void> {
  const recordingsDir = await Deno.makeTempDir({ prefix: "nereid-remote-" });
  const media = await startMediaProcess({ recordingsDir });
  try {
    await fn(media);
  } finally {
    await media.stop("SIGKILL");
    await Deno.remove(recordingsDir, { recursive: true });
  }
}

function isReason(reason: string): (e: unknown) => boolean {
  return (e) => e instanceof MediaError && e.reason === reason;
}

Deno.test("an edge with another secret, or a token for another node, is refused with the reason", async () => {
  await withProcess(async (media) => {
    await rejects(
      connectRemote(media, {
        tokens: new EdgeTokens("another secret of at least 32 bytes, wrong"),
      }),
      (e) =>
        isReason("unavailable")(e) &&
        /signature does not match/.test((e as Error).message),
    );
    await rejects(
      connectRemote(media, { nodeId: "media-2" }),
      (e) =>
        isReason("unavailable")(e) &&
        /another media node/.test((e as Error).message),
    );
    const node = await connectRemote(media);
    strictEqual((await node.stats()).length, 0);
    await node.close();
  });
});

Deno.test("a node that stops answering is detected within 5 s: calls fail, its connections close, and the link comes back when it does", async () => {
  await withProcess(async (media) => {
    const logs: string[] = [];
    const node = await connectRemote(media, {
      callTimeoutMs: 1000,
      reconnectMs: 200,
      log: (m) => logs.push(m),
    });
    const states: ConnectionState[] = [];
    await openUp(node, { id: "s1", states });
    media.child.kill("SIGSTOP");
    const stopped = performance.now();
    // A call to a node that does not answer fails, it does not hang.
    await rejects(node.stats(), isReason("timeout"));
    await waitFor(
      "the up reported lost",
      () => states.includes("lost"),
      { timeoutMs: 6000 },
    );
    const detected = performance.now() - stopped;
    console.log(`node silent: detected in ${Math.round(detected)} ms`);
    ok(detected < 5000, `detected in ${detected} ms`);
    ok(!node.linked);
    await rejects(node.stats(), isReason("unavailable"));
    ok(logs.some((l) => l.includes("media-1 is unreachable")), logs.join("\n"));
    media.child.kill("SIGCONT");
    await waitFor("the link back", () => node.linked, { timeoutMs: 8000 });
    // The node closed what the lost link had opened: the id is free again.
    await openUp(node, { id: "s1" });
    strictEqual((await node.stats()).length, 1);
    await node.close();
    await rejects(node.stats(), isReason("closed"));
  });
});

Deno.test("a node killed with SIGKILL is detected at once: its streams close and new calls fail fast with unavailable", async () => {
  await withProcess(async (media) => {
    const node = await connectRemote(media, { reconnectMs: 200 });
    const states: ConnectionState[] = [];
    await openUp(node, { id: "s1", states });
    const killed = performance.now();
    await media.stop("SIGKILL");
    await waitFor(
      "the up reported lost",
      () => states.includes("lost"),
      { timeoutMs: 5000 },
    );
    console.log(
      `node killed: detected in ${Math.round(performance.now() - killed)} ms`,
    );
    // "unavailable" at once, not "timeout" after waiting for an answer.
    await rejects(
      openUp(node, { id: "s2" }),
      isReason("unavailable"),
    );
    await node.close();
  });
});
