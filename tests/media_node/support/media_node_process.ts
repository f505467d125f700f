/**
 * A media node in its own process, for the remote and cluster tests: the
 * media role (server/cluster/media_role.ts) gathering loopback candidates
 * only, its control endpoint on 127.0.0.1. Arguments: the recordings
 * folder, the node id and, optionally, a Redis URL to register at; the
 * shared secret comes in `NEREID_CLUSTER_SECRET`, and the control URL to
 * advertise, when not its own, in `NEREID_ADVERTISED_URL`. Prints
 * `{"url": …, "endpoint": …}` (advertised, own) on one line once it
 * listens, and stops on SIGTERM.
 *
 * @module
 */

import { startMediaRole } from "../../../server/cluster/media_role.ts";

const [recordingsDir, nodeId, redisUrl] = Deno.args;
if (recordingsDir === undefined || nodeId === undefined) {
  console.error("usage: media_node_process.ts RECORDINGS-DIR NODE-ID [REDIS]");
  Deno.exit(2);
}
const advertisedUrl = Deno.env.get("NEREID_ADVERTISED_URL");
const log = Deno.env.get("NODE_LOG")
  ? (m: string) => console.error(m)
  : () => {};
const media = await startMediaRole({
  nodeId,
  hostname: "127.0.0.1",
  port: 0,
  secret: Deno.env.get("NEREID_CLUSTER_SECRET") ?? "",
  recordingsDir,
  loopbackOnly: true,
  ...(redisUrl ? { redisUrl } : {}),
  ...(advertisedUrl ? { advertisedUrl } : {}),
  log,
});
console.log(JSON.stringify({ url: media.url, endpoint: media.endpoint }));
Deno.addSignalListener("SIGTERM", async () => {
  await media.close();
  Deno.exit(0);
});
