/**
 * The media-node contract suite against the in-process node.
 *
 * @module
 */

import { LocalMediaNode } from "../../server/media/local/local_media_node.ts";
import { RecordingWasm } from "../../media-wasm/recording.ts";
import { mediaNodeContract } from "./contract.ts";

mediaNodeContract("LocalMediaNode", async () => {
  const recordingsDir = await Deno.makeTempDir({ prefix: "nereid-contract-" });
  const node = new LocalMediaNode({
    loopbackOnly: true,
    recordings: { dir: recordingsDir, wasm: () => RecordingWasm.load() },
    log: Deno.env.get("NODE_LOG") ? console.log : () => {},
  });
  return {
    node,
    recordingsDir,
    async close() {
      await node.close();
      await Deno.remove(recordingsDir, { recursive: true });
    },
  };
});
