/**
 * `main.ts -role edge` in a child process for cluster tests (through
 * tests/support/server_process.ts): a temporary
 * root with `data/config.json` (the test cluster secret) and `groups/`,
 * and the edge's WebSocket URL read from its "listening on" line.
 *
 * @module
 */

import { TEST_SECRET } from "../../media_node/support/remote_node.ts";
import { startServerProcess } from "../../support/server_process.ts";

/** A directory with `data/` (the cluster secret) and `groups/`. */
export async function clusterRoot(
  groups: Record<string, unknown>,
): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "nereid-cluster-" });
  await Deno.mkdir(`${root}/data`);
  await Deno.mkdir(`${root}/groups`);
  await Deno.writeTextFile(
    `${root}/data/config.json`,
    JSON.stringify({ clusterSecret: TEST_SECRET }),
  );
  for (const [name, description] of Object.entries(groups)) {
    await Deno.writeTextFile(
      `${root}/groups/${name}.json`,
      JSON.stringify(description),
    );
  }
  return root;
}

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
      "-data",
      `${root}/data`,
      "-groups",
      `${root}/groups`,
      "-recordings",
      `${root}/recordings`,
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
