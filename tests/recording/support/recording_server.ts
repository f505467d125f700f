/**
 * The recording end-to-end tests' server: tests/support/test_server.ts with
 * the peer page, a group `e2e` where anyone may publish in `codecs`, and
 * its recorders at hand. Run as a script it starts recording at once and
 * prints `{"url":…,"recordings":…}` on stdout, so a test can SIGKILL it.
 *
 * @module
 */

import { Group } from "../../../server/group/group.ts";
import type { GroupRecorders } from "../../../server/recording/group_recorder.ts";
import { PEER_PAGES } from "../../e2e/support/peer_page.ts";
import { openGroup } from "../../support/groups.ts";
import { startTestServer, type TestServer } from "../../support/test_server.ts";

/** A server, its recorder and its folders. */
export interface RecordingServer {
  readonly url: string;
  /** The server's `-recordings` folder. */
  readonly recordings: string;
  readonly recorders: GroupRecorders;
  /** The group `e2e`, loaded. */
  group(): Promise<Group>;
  close(): Promise<void>;
}

/** Starts a server whose group `e2e` allows `codecs`, over `root` if given. */
export async function startRecordingServer(
  options: { codecs: string[]; root?: string },
): Promise<RecordingServer> {
  const s: TestServer = await startTestServer({
    staticDir: PEER_PAGES,
    groups: { e2e: openGroup({ codecs: options.codecs }) },
    ...(options.root ? { root: options.root } : {}),
  });
  return {
    url: s.url,
    recordings: s.recordingsDir,
    recorders: s.server.recorders,
    async group() {
      const g = await s.server.groups.get("e2e", Date.now());
      if (!(g instanceof Group)) throw new Error(`No group e2e: ${g.message}`);
      return g;
    },
    close: () => s.close(),
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
