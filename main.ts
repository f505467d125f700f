/**
 * Nereid's entry point: `deno run -A main.ts [flags]`.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import {
  defaultFlags,
  listenAddress,
  parseFlags,
  udpPortRange,
  usage,
  UsageError,
} from "./server/flags.ts";
import { ctlMain } from "./server/ctl/ctl_main.ts";
import { installProcessGuard } from "./server/process_guard.ts";
import { startServer } from "./server/server.ts";

async function main(args: string[]): Promise<number> {
  const staticDir = fileURLToPath(new URL("./client/", import.meta.url));
  let flags;
  let address;
  let range;
  try {
    flags = parseFlags(args, defaultFlags(staticDir));
    if (flags.help) {
      console.log(usage());
      return 0;
    }
    address = listenAddress(flags.http);
    range = udpPortRange(flags.udpRange);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`nereid: ${e.message}\n\n${usage()}`);
    return 2;
  }
  // One connection's failure is never the process's: what escapes every
  // connection's own guard is logged, and the server goes on.
  installProcessGuard((line) => console.log(line));
  const server = await startServer({
    ...address,
    dataDir: flags.data,
    groupsDir: flags.groups,
    recordingsDir: flags.recordings,
    staticDir: flags.static,
    insecure: flags.insecure,
    relayOnly: flags.relayOnly,
    turn: flags.turn,
    ...(flags.turnTls ? { turnTlsPort: Number(flags.turnTls) } : {}),
    ...(range ? { udpPortRange: range } : {}),
  });
  console.log(`Nereid listening on ${server.url}/`);
  const stop = Promise.withResolvers<void>();
  const onSignal = () => stop.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  await stop.promise;
  console.log("Shutting down");
  await server.shutdown("server is shutting down");
  return 0;
}

if (import.meta.main) {
  Deno.exit(
    Deno.args[0] === "ctl"
      ? await ctlMain(Deno.args.slice(1))
      : await main(Deno.args),
  );
}
