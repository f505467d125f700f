/**
 * The media-node contract suite against {@link RemoteMediaNode}, talking
 * to a media node in another process over its control WebSocket.
 *
 * @module
 */

import type { RemoteMediaNode } from "../../server/cluster/remote_media_node.ts";
import { mediaNodeContract } from "./contract.ts";
import { connectRemote, startMediaProcess } from "./support/remote_node.ts";

mediaNodeContract("RemoteMediaNode", async () => {
  const recordingsDir = await Deno.makeTempDir({ prefix: "nereid-contract-" });
  const media = await startMediaProcess({ recordingsDir });
  let node: RemoteMediaNode;
  try {
    node = await connectRemote(media);
  } catch (e) {
    await media.stop();
    throw e;
  }
  return {
    node,
    recordingsDir,
    async close() {
      await node.close();
      await media.stop();
      await Deno.remove(recordingsDir, { recursive: true });
    },
  };
});
