/**
 * Starts a media node in another process (media_node_process.ts) and
 * connects a {@link RemoteMediaNode} to it, on loopback.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { EdgeTokens } from "../../../server/cluster/edge_token.ts";
import {
  RemoteMediaNode,
  type RemoteMediaNodeOptions,
} from "../../../server/cluster/remote_media_node.ts";

/** The secret the test processes share. */
export const TEST_SECRET = "a test cluster secret of at least 32 bytes";

/** A media node process. */
export interface MediaProcess {
  /** The control URL it advertises (registers). */
  url: string;
  /** Its control endpoint's own URL (the same unless `advertisedUrl`). */
  endpoint: string;
  nodeId: string;
  recordingsDir: string;
  child: Deno.ChildProcess;
  /** SIGTERM (or `signal`), then waits for the exit; idempotent. */
  stop(signal?: Deno.Signal): Promise<void>;
}

/** Spawns a media node process and waits until it listens. */
export async function startMediaProcess(
  options: {
    recordingsDir: string;
    nodeId?: string;
    redisUrl?: string;
    /** The control URL to advertise instead of its own (a forwarder's). */
    advertisedUrl?: string;
  },
): Promise<MediaProcess> {
  const nodeId = options.nodeId ?? "media-1";
  const script = fileURLToPath(
    new URL("./media_node_process.ts", import.meta.url),
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      script,
      options.recordingsDir,
      nodeId,
      ...(options.redisUrl ? [options.redisUrl] : []),
    ],
    env: {
      NEREID_CLUSTER_SECRET: TEST_SECRET,
      ...(options.advertisedUrl
        ? { NEREID_ADVERTISED_URL: options.advertisedUrl }
        : {}),
    },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("The media node process ended before listening");
    text += value;
  }
  reader.releaseLock();
  // Keep draining stdout so that the child never blocks on it.
  child.stdout.pipeTo(new WritableStream()).catch(() => {});
  const { url, endpoint } = JSON.parse(text.slice(0, text.indexOf("\n"))) as {
    url: string;
    endpoint: string;
  };
  let exited: Promise<unknown> | undefined;
  return {
    url,
    endpoint,
    nodeId,
    recordingsDir: options.recordingsDir,
    child,
    stop(signal = "SIGTERM") {
      if (exited === undefined) {
        try {
          child.kill(signal);
        } catch {
          // already gone
        }
        exited = child.status;
      }
      return exited.then(() => {});
    },
  };
}

/** Connects an edge's client to a media process. */
export function connectRemote(
  process: MediaProcess,
  options: Partial<RemoteMediaNodeOptions> = {},
): Promise<RemoteMediaNode> {
  return RemoteMediaNode.connect({
    url: process.url,
    nodeId: process.nodeId,
    edgeId: "edge-1",
    tokens: new EdgeTokens(TEST_SECRET),
    log: Deno.env.get("NODE_LOG") ? console.log : () => {},
    ...options,
  });
}
