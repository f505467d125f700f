/**
 * `main.ts -role edge` in a child process for cluster tests (through
 * tests/support/server_process.ts), over a root from
 * `clusterRoot()` (cluster_setup.ts), and the edge's WebSocket URL read
 * from its "listening on" line. Its log lines after that are kept (the
 * last 2,000) for tests that read what the edge said, and shown with
 * `NEREID_TEST_EDGE_LOG=1`.
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
  /** Its HTTP base URL (`http://HOST:PORT`). */
  readonly http: string;
  /** The lines it logged since it listens. */
  readonly log: readonly string[];
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
    http: edge.ready,
    log: edge.log,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
