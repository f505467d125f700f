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
import { startServerProcess } from "../../support/server_process.ts";

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
  const node = await startServerProcess({
    script: fileURLToPath(new URL("./media_node_process.ts", import.meta.url)),
    args: [
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
    // Its first line: {"url": …, "endpoint": …}.
    ready: /^(.*)\n/,
  });
  const { url, endpoint } = JSON.parse(node.ready) as {
    url: string;
    endpoint: string;
  };
  return {
    url,
    endpoint,
    nodeId,
    recordingsDir: options.recordingsDir,
    child: node.child,
    async stop(signal = "SIGTERM") {
      await node.stop(signal);
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
