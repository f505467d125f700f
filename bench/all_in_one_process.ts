/**
 * The cluster benchmark's all-in-one server: what `main.ts -role all` runs
 * (`startServer` with its own media node), over the folders of a root made
 * by the cluster tests' `clusterRoot`, so that it serves the same groups as
 * the benchmark's edge; media on loopback candidates only, which main.ts
 * has no flag for. `deno run -A bench/all_in_one_process.ts ROOT [--verbose]`
 * prints `{"ws":…,"pid":…}` on one line once it listens, and runs until
 * SIGTERM or SIGINT.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { startServer } from "../server/server.ts";

async function main(): Promise<void> {
  const [root, flag] = Deno.args;
  if (root === undefined) {
    console.error("usage: all_in_one_process.ts ROOT [--verbose]");
    Deno.exit(2);
  }
  const verbose = flag === "--verbose";
  const server = await startServer({
    hostname: "127.0.0.1",
    port: 0,
    dataDir: `${root}/data`,
    groupsDir: `${root}/groups`,
    recordingsDir: `${root}/recordings`,
    staticDir: fileURLToPath(new URL("../client/", import.meta.url)),
    insecure: true,
    loopbackOnly: true,
    log: verbose ? (m) => console.error(`[all-in-one] ${m}`) : () => {},
  });
  console.log(JSON.stringify({
    ws: `${server.url.replace(/^http/, "ws")}/ws`,
    pid: Deno.pid,
  }));
  const stop = Promise.withResolvers<void>();
  Deno.addSignalListener("SIGTERM", () => stop.resolve());
  Deno.addSignalListener("SIGINT", () => stop.resolve());
  await stop.promise;
  await Promise.race([
    server.shutdown("benchmark over"),
    new Promise((r) => setTimeout(r, 3000)),
  ]);
  Deno.exit(0);
}

if (import.meta.main) await main();
