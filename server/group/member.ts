/**
 * A member of a group: a WebSocket client, or a system client such as the
 * recorder. The group owns the membership state (permissions, data); the
 * member delivers messages and carries out what the group decides.
 *
 * @module
 */

import type { Permission } from "../config/permissions.ts";
import type { UpTrackInfo } from "../media/media_node.ts";
import type { ServerMessage } from "../protocol/message.ts";

/** A stream published in a group: one up connection of one member. */
export interface PublishedStream {
  readonly id: string;
  readonly label: string;
  readonly owner: Member;
  /** The id of its up connection on the media node. */
  readonly upId: string;
  /** Its tracks, as the media node last reported them (`onTracks`). */
  readonly tracks: readonly UpTrackInfo[];
  /** The id of the stream this one replaces, if any. */
  readonly replace?: string;
}

/** Who did something, as messages name them. */
export interface Actor {
  id?: string;
  username?: string;
}

/** What a group needs of a member. */
export interface Member {
  readonly id: string;
  readonly username: string;
  /** Set by the group only. */
  permissions: Permission[];
  /** The member's user data (e.g. a raised hand); set by the group only. */
  data: Record<string, unknown>;
  /** Network address, disclosed to ops by `identify`. */
  readonly address: string;
  /** System clients are not shown limits and do not chat. */
  readonly system: boolean;
  /** A member connected to another edge of a cluster (a mirror). */
  readonly remote?: boolean;
  /** Queues a message for the member; never throws. */
  send(message: ServerMessage): void;
  /** Removes the member from the group and ends its connection. */
  kick(by: Actor, reason: string): void;
  /**
   * The group's status or data changed: tell the member with `joined`
   * `change` (which carries `rtcConfiguration`, the ICE servers). Members
   * without it are sent the group's plain `joined` `change`.
   */
  groupChanged?(): void;
  /** The group changed the member's permissions. */
  permissionsChanged(previous: readonly Permission[]): void;
  /** Another member's stream appeared or its tracks changed. */
  streamPublished(stream: PublishedStream): void;
  /** Another member's stream is gone. */
  streamClosed(stream: PublishedStream): void;
}

/** The `user` message that describes a member to the others. */
export function userMessage(
  kind: "add" | "change" | "delete",
  member: Member,
): ServerMessage {
  if (kind === "delete") {
    return { type: "user", kind, id: member.id, username: member.username };
  }
  return {
    type: "user",
    kind,
    id: member.id,
    username: member.username,
    ...(member.permissions.length > 0
      ? { permissions: [...member.permissions] }
      : {}),
    ...(Object.keys(member.data).length > 0
      ? { data: { ...member.data } }
      : {}),
  };
}
