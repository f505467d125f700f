/**
 * A real Nereid server for the end-to-end tests: temporary data and group
 * folders, media on loopback, and the test peer page as its static root.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { type RunningServer, startServer } from "../../../server/server.ts";
import { LocalMediaNode } from "../../../server/media/local/local_media_node.ts";
import type { Faults } from "../../../server/media/local/down_track.ts";

/** A server and its temporary folders. */
export interface E2eServer {
  server: RunningServer;
  url: string;
  close(): Promise<void>;
}

/** Starts a server with one group, `e2e`, where anyone may publish. */
export async function startE2eServer(
  options: {
    codecs?: string[];
    group?: Record<string, unknown>;
    /** Test-only faults of the media node. */
    faults?: Faults;
    /** `-turn` (default "": no built-in TURN server). */
    turn?: string;
    /** `-relay-only`. */
    relayOnly?: boolean;
  } = {},
): Promise<E2eServer> {
  const root = await Deno.makeTempDir({ prefix: "nereid-e2e-" });
  const groupsDir = `${root}/groups`;
  await Deno.mkdir(groupsDir);
  await Deno.writeTextFile(
    `${groupsDir}/e2e.json`,
    JSON.stringify({
      "wildcard-user": {
        password: { type: "wildcard" },
        permissions: "present",
      },
      ...(options.codecs ? { codecs: options.codecs } : {}),
      ...options.group,
    }),
  );
  const log = Deno.env.get("NEREID_LOG")
    ? (m: string) => console.log(m)
    : () => {};
  const server = await startServer({
    hostname: "127.0.0.1",
    port: 0,
    dataDir: `${root}/data`,
    groupsDir,
    recordingsDir: `${root}/recordings`,
    staticDir: fileURLToPath(new URL("../pages/", import.meta.url)),
    insecure: true,
    loopbackOnly: true,
    log,
    ...(options.turn !== undefined ? { turn: options.turn } : {}),
    ...(options.relayOnly ? { relayOnly: true } : {}),
    ...(options.faults
      ? {
        media: new LocalMediaNode({
          loopbackOnly: true,
          faults: options.faults,
          log,
        }),
      }
      : {}),
  });
  return {
    server,
    url: server.url.replace("localhost", "127.0.0.1"),
    async close() {
      await server.shutdown();
      await Deno.remove(root, { recursive: true });
    },
  };
}
