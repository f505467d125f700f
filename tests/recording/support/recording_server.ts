/**
 * A real Nereid server with a recorder wired beside it, for the recording
 * end-to-end tests: group `e2e` (anyone may publish), recordings in a
 * temporary folder. Run as a script it starts recording at once and prints
 * `{"url":…,"recordings":…}` on stdout, so a test can SIGKILL it.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { Group } from "../../../server/group/group.ts";
import type { GroupRecorders } from "../../../server/recording/group_recorder.ts";
import { type RunningServer, startServer } from "../../../server/server.ts";

/** A server, its recorder and its folders. */
export interface RecordingServer {
  server: RunningServer;
  url: string;
  recordings: string;
  recorders: GroupRecorders;
  /** The group `e2e`, loaded. */
  group(): Promise<Group>;
  close(): Promise<void>;
}

/** Starts a server whose group `e2e` allows `codecs`. */
export async function startRecordingServer(
  options: { codecs: string[]; root?: string },
): Promise<RecordingServer> {
  const root = options.root ??
    await Deno.makeTempDir({ prefix: "nereid-rec-e2e-" });
  const groupsDir = `${root}/groups`;
  await Deno.mkdir(groupsDir, { recursive: true });
  await Deno.writeTextFile(
    `${groupsDir}/e2e.json`,
    JSON.stringify({
      "wildcard-user": {
        password: { type: "wildcard" },
        permissions: "present",
      },
      codecs: options.codecs,
    }),
  );
  const log = Deno.env.get("NEREID_LOG")
    ? (m: string) => console.error(m)
    : () => {};
  const recordings = `${root}/recordings`;
  const server = await startServer({
    hostname: "127.0.0.1",
    port: 0,
    dataDir: `${root}/data`,
    groupsDir,
    recordingsDir: recordings,
    staticDir: fileURLToPath(new URL("../../e2e/pages/", import.meta.url)),
    insecure: true,
    loopbackOnly: true,
    log,
  });
  const recorders = server.recorders;
  return {
    server,
    url: server.url.replace("localhost", "127.0.0.1"),
    recordings,
    recorders,
    async group() {
      const g = await server.groups.get("e2e", Date.now());
      if (!(g instanceof Group)) throw new Error(`No group e2e: ${g.message}`);
      return g;
    },
    async close() {
      await recorders.stopAll();
      await server.shutdown();
      if (!options.root) await Deno.remove(root, { recursive: true });
    },
  };
}

if (import.meta.main) {
  const [root, codecs] = Deno.args;
  const s = await startRecordingServer({
    codecs: (codecs ?? "vp8,opus").split(","),
    ...(root ? { root } : {}),
  });
  await s.recorders.start(await s.group());
  console.log(JSON.stringify({ url: s.url, recordings: s.recordings }));
}
