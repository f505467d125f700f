/**
 * `main.ts -role edge` in a child process for cluster tests: a temporary
 * root with `data/config.json` (the test cluster secret) and `groups/`,
 * and the edge's WebSocket URL read from its "listening on" line. Its log
 * lines after that are kept (the last {@link MAX_LOG_LINES}) for tests
 * that read what the edge said, and shown with `NEREID_TEST_EDGE_LOG=1`.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { TEST_SECRET } from "../../media_node/support/remote_node.ts";

const MAIN = fileURLToPath(new URL("../../../main.ts", import.meta.url));
const MAX_LOG_LINES = 2000;

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
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...denoFlags,
      MAIN,
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
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await child.status;
  };
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let out = "";
    let url: string | undefined;
    while (url === undefined) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`The edge ended: ${out}`);
      out += value;
      url = /listening on (http:\/\/\S+?)\/?\s/.exec(out)?.[1];
    }
    const log: string[] = [];
    let partial = out.slice(out.indexOf("\n", out.indexOf("listening on")) + 1);
    const keep = (text: string) => {
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      log.push(...lines);
      if (log.length > MAX_LOG_LINES) log.splice(0, log.length - MAX_LOG_LINES);
    };
    keep("");
    (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        keep(value);
        if (Deno.env.get("NEREID_TEST_EDGE_LOG")) console.log(value);
      }
    })().catch(() => {});
    const ws = url.replace("http:", "ws:") + "/ws";
    return { child, ws, http: url, log, stop, [Symbol.asyncDispose]: stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
