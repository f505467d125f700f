/**
 * A media node in its own process, for the remote contract tests: an
 * in-process node (loopback only) behind its control endpoint on
 * 127.0.0.1. Arguments: the recordings folder and the node id; the shared
 * secret comes in `NEREID_CLUSTER_SECRET`. Prints `{"url": …}` on one line
 * once it listens, and stops on SIGTERM.
 *
 * @module
 */

import { LocalMediaNode } from "../../../server/media/local/local_media_node.ts";
import { RecordingWasm } from "../../../media-wasm/recording.ts";
import { EdgeTokens } from "../../../server/cluster/edge_token.ts";
import { serveMediaControl } from "../../../server/cluster/media_control.ts";

const [recordingsDir, nodeId] = Deno.args;
if (recordingsDir === undefined || nodeId === undefined) {
  console.error("usage: media_node_process.ts RECORDINGS-DIR NODE-ID");
  Deno.exit(2);
}
const log = Deno.env.get("NODE_LOG")
  ? (m: string) => console.error(m)
  : () => {};
const node = new LocalMediaNode({
  loopbackOnly: true,
  recordings: { dir: recordingsDir, wasm: () => RecordingWasm.load() },
  log,
});
const control = serveMediaControl({
  node,
  nodeId,
  tokens: new EdgeTokens(Deno.env.get("NEREID_CLUSTER_SECRET") ?? ""),
  log,
  hostname: "127.0.0.1",
  port: 0,
});
console.log(JSON.stringify({ url: control.url }));
Deno.addSignalListener("SIGTERM", async () => {
  await control.close();
  await node.close();
  Deno.exit(0);
});
