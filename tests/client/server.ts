/**
 * A real Nereid server for the client's tests: loopback, a free port, fresh
 * temporary directories, the real `client/` folder as static root.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type RunningServer,
  type ServerOptions,
  startServer,
} from "../../server/server.ts";

const CLIENT_DIR = fileURLToPath(new URL("../../client/", import.meta.url));

/** A group like `groups/demo.json`: admin/nereid is op, anyone else presents. */
export const DEMO_GROUP = {
  public: true,
  displayName: "Client test room",
  description: "A room for the client's tests.",
  "allow-recording": true,
  users: { admin: { password: "nereid", permissions: "op" } },
  "wildcard-user": { password: { type: "wildcard" }, permissions: "present" },
};

/** A running server and how to stop it. */
export interface ClientTestServer {
  readonly server: RunningServer;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `ws://127.0.0.1:PORT/ws` */
  readonly wsUrl: string;
  readonly logs: readonly string[];
  /** Stops the server and removes its directories; idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a server whose groups directory holds `groups` (name → JSON), with
 * `options` for the flags a test turns on (`turn`, `relayOnly`) and a clock.
 * Its media offers loopback addresses only unless `options.loopbackOnly` is
 * false (in a test's network namespace, for Firefox, which never uses
 * 127.0.0.1 for media).
 */
export async function startClientTestServer(
  groups: Record<string, unknown> = { demo: DEMO_GROUP },
  options: Pick<ServerOptions, "turn" | "relayOnly" | "now" | "loopbackOnly"> =
    {},
): Promise<ClientTestServer> {
  const root = await Deno.makeTempDir({ prefix: "nereid-client-" });
  const dirs = {
    dataDir: join(root, "data"),
    groupsDir: join(root, "groups"),
    recordingsDir: join(root, "recordings"),
  };
  for (const d of Object.values(dirs)) await Deno.mkdir(d);
  for (const [name, json] of Object.entries(groups)) {
    await Deno.writeTextFile(
      join(dirs.groupsDir, `${name}.json`),
      JSON.stringify(json),
    );
  }
  const logs: string[] = [];
  const server = await startServer({
    hostname: "127.0.0.1",
    port: 0,
    insecure: true,
    loopbackOnly: options.loopbackOnly ?? true,
    staticDir: CLIENT_DIR,
    timings: { failureDelay: 5 },
    ...dirs,
    ...options,
    log: (line) => logs.push(line),
  });
  let closing: Promise<void> | null = null;
  return {
    server,
    url: server.url,
    wsUrl: server.url.replace(/^http/, "ws") + "/ws",
    logs,
    close() {
      closing ??= (async () => {
        await server.shutdown();
        await Deno.remove(root, { recursive: true });
      })();
      return closing;
    },
  };
}
