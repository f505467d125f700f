/**
 * A media node's heartbeat alone, in its own process, for the test that
 * kills it: `deno run -A media_node_process.ts REDIS_URL NODE_ID`. Prints
 * "registered" once the first refresh reached Redis, then beats (every
 * second, 5 s time to live: the defaults) until it is killed.
 *
 * @module
 */

import { registerMediaNode } from "../media_node_registry.ts";
import { openRedisConnection } from "../redis_connection.ts";

const [url, id] = Deno.args;
if (url === undefined || id === undefined) {
  console.error("usage: media_node_process.ts REDIS_URL NODE_ID");
  Deno.exit(2);
}
const connection = openRedisConnection(url, { log: console.error });
await connection.whenUp();
const heartbeat = await registerMediaNode(connection, () => ({
  id,
  controlUrl: `http://127.0.0.1:1/${id}`,
  capacity: 10,
  load: 0,
}), { log: console.error });
console.log(heartbeat.registered ? "registered" : "not registered");
