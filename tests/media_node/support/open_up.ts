/**
 * An up connection opened on a media node with nothing behind it (no
 * candidates, tracks or offer handled): the contract and the remote node's
 * tests open one to hold an id, to see an error, or to watch its states.
 *
 * @module
 */

import type {
  ConnectionState,
  IceConfiguration,
  MediaNode,
  UpConnection,
} from "../../../server/media/media_node.ts";
import { NO_ICE } from "../../support/werift_peers.ts";

/** Opens up connection `id` of group `group` (default "g") for VP8. */
export function openUp(
  node: MediaNode,
  options: {
    id: string;
    group?: string;
    /** Collects the connection's states. */
    states?: ConnectionState[];
    /** Default: no ICE servers. */
    ice?: IceConfiguration;
  },
): Promise<UpConnection> {
  return node.openUp({
    group: options.group ?? "g",
    id: options.id,
    codecs: ["vp8"],
    ice: options.ice ?? NO_ICE,
    onIceCandidate() {},
    onTracks() {},
    onStateChange: (s) => options.states?.push(s),
  });
}
