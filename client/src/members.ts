/**
 * Facts about the group's members that the interface shows, derived from
 * the member map: who counts for simulcast, whether the recorder is here,
 * whose microphone is off, whose hand is up. Pure.
 *
 * @module
 */

import type { User } from "./protocol.ts";

/** Members who are people (the recorder and other system clients are not). */
export function memberCount(users: ReadonlyMap<string, User>): number {
  let n = 0;
  for (const u of users.values()) if (!u.permissions.includes("system")) n++;
  return n;
}

/** True while the server's recorder is in the group. */
export function isRecording(users: ReadonlyMap<string, User>): boolean {
  return [...users.values()].some((u) =>
    u.permissions.includes("system") && u.username === "RECORDING"
  );
}

/** Ids of members who said their microphone is off, us included if muted. */
export function mutedUserIds(
  users: ReadonlyMap<string, User>,
  self: { id: string; muted: boolean },
): string[] {
  const ids = [...users.values()].filter((u) => u.data["muted"] === true)
    .map((u) => u.id);
  if (self.muted && !ids.includes(self.id)) ids.push(self.id);
  return ids;
}

/** True when member `id` raised their hand. */
export function handRaised(
  users: ReadonlyMap<string, User>,
  id: string,
): boolean {
  return users.get(id)?.data["raisehand"] === true;
}
