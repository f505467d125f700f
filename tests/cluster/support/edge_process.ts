/**
 * `main.ts -role edge` in a child process for cluster tests (through
 * tests/support/server_process.ts), over a root from
 * `clusterRoot()` (cluster_setup.ts), and the edge's WebSocket URL read
 * from its "listening on" line.
 *
 * @module
 */

import {
  folderArgs,
  startServerProcess,
} from "../../support/server_process.ts";

/** A running edge process. */
export interface EdgeProcess extends AsyncDisposable {
  readonly child: Deno.ChildProcess;
  /** Its WebSocket endpoint (`ws://…/ws`). */
  readonly ws: string;
  stop(): Promise<void>;
}

/** Starts an edge on a free loopback port over `root`. */
export async function startEdgeProcess(
  root: string,
  redisUrl: string,
  denoFlags: string[] = [],
): Promise<EdgeProcess> {
  const edge = await startServerProcess({
    args: [
      "-role",
      "edge",
      "-redis",
      redisUrl,
      ...folderArgs(root),
      "-insecure",
      "-http",
      "127.0.0.1:0",
    ],
    denoFlags,
    ready: /listening on (http:\/\/\S+?)\/?\s/,
    echo: Deno.env.get("NEREID_TEST_EDGE_LOG") !== undefined,
  });
  const stop = async () => {
    await edge.stop();
  };
  return {
    child: edge.child,
    ws: edge.ready.replace("http:", "ws:") + "/ws",
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
