/**
 * Every Redis key and channel name the cluster uses, in one place, under
 * one prefix so that a Redis shared with other programs stays tidy.
 *
 * @module
 */

/** The prefix of every key and channel. */
export const KEY_PREFIX = "nereid:";

/** A sorted set of media node ids, scored by their last refresh (ms). */
export const MEDIA_NODE_INDEX = `${KEY_PREFIX}nodes`;

/** A media node's record (JSON), kept alive by its heartbeat. */
export function mediaNodeKey(nodeId: string): string {
  return `${KEY_PREFIX}node:${nodeId}`;
}

/** The id of the media node that hosts a group (a lease). */
export function groupNodeKey(group: string): string {
  return `${KEY_PREFIX}group:${group}:node`;
}

/**
 * A group's placement channel: an edge that places the group (first, or
 * on another node) publishes the node's id there, so that the edges with
 * streams on another node move them at once.
 */
export function groupPlacementChannel(group: string): string {
  return `${KEY_PREFIX}group:${group}:placement`;
}

/** A group's chat history (a stream). */
export function groupChatKey(group: string): string {
  return `${KEY_PREFIX}group:${group}:chat`;
}

/** A group's pub/sub channel between edges. */
export function groupEventsChannel(group: string): string {
  return `${KEY_PREFIX}group:${group}:events`;
}

/** A group's lock as its ops set it (JSON `{"message": string | null}`). */
export function groupLockKey(group: string): string {
  return `${KEY_PREFIX}group:${group}:lock`;
}

/** A group's data as `setdata` left it (JSON object). */
export function groupDataKey(group: string): string {
  return `${KEY_PREFIX}group:${group}:data`;
}

/** The edge that records a group (a lease its heartbeat renews). */
export function groupRecorderKey(group: string): string {
  return `${KEY_PREFIX}group:${group}:recorder`;
}
