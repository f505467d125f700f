/**
 * `useraction`: moderation of one member by an operator, and `setdata` on
 * oneself.
 *
 * @module
 */

import { type Permission, PERMISSIONS } from "../config/permissions.ts";
import type { Member } from "../group/member.ts";
import type { ClientMessage } from "../protocol/message.ts";
import type { ClientSession } from "./client_session.ts";
import { TOO_MUCH_DATA, UserError } from "./errors.ts";

type UserAction = Extract<ClientMessage, { type: "useraction" }>;

/** Returns `current` with `add` added and `remove` removed, in canonical order. */
export function changePermissions(
  current: readonly Permission[],
  change: { add?: readonly Permission[]; remove?: readonly Permission[] },
): Permission[] {
  const set = new Set(current);
  for (const p of change.add ?? []) set.add(p);
  for (const p of change.remove ?? []) set.delete(p);
  return PERMISSIONS.filter((p) => set.has(p));
}

type Run = (session: ClientSession, target: Member, value: unknown) => void;

function permissionAction(
  change: (session: ClientSession) => {
    add?: Permission[];
    remove?: Permission[];
  },
): Run {
  return (session, target) => {
    const group = session.requireGroup();
    group.setPermissions(
      target,
      changePermissions(target.permissions, change(session)),
    );
  };
}

const opActions: Record<string, Run> = {
  op: permissionAction((s) => ({
    add: s.requireGroup().description.allowRecording
      ? ["op", "record"]
      : ["op"],
  })),
  unop: permissionAction(() => ({ remove: ["op", "record"] })),
  present: permissionAction(() => ({ add: ["present"] })),
  unpresent: permissionAction(() => ({ remove: ["present"] })),
  shutup: permissionAction(() => ({ remove: ["message"] })),
  unshutup: permissionAction(() => ({ add: ["message"] })),
  kick(session, target, value) {
    const reason = typeof value === "string" && value !== ""
      ? value
      : "you have been kicked out";
    session.deps.log(
      `group ${session.requireGroup().name}: ${session.id} kicked ${target.id}`,
    );
    target.kick({ id: session.id, username: session.username }, reason);
  },
  identify(session, target) {
    session.send({
      type: "usermessage",
      kind: "userinfo",
      privileged: true,
      value: {
        id: target.id,
        username: target.username,
        address: target.address,
      },
    });
    target.send({
      type: "usermessage",
      kind: "warning",
      privileged: true,
      value: `Your IP address has been disclosed to ${session.username}`,
    });
  },
};

/** Handles `useraction`. */
export function handleUserAction(session: ClientSession, m: UserAction): void {
  const group = session.requireGroup();
  if (m.kind === "setdata") {
    if (m.dest !== undefined && m.dest !== session.id) {
      throw new UserError("you may only set your own data");
    }
    if (
      typeof m.value !== "object" || m.value === null || Array.isArray(m.value)
    ) {
      throw new UserError("setdata: the value must be an object");
    }
    if (!group.setMemberData(session, m.value as Record<string, unknown>)) {
      throw new UserError(TOO_MUCH_DATA);
    }
    return;
  }
  const run = Object.hasOwn(opActions, m.kind) ? opActions[m.kind] : undefined;
  if (run === undefined) throw new UserError("unknown user action");
  if (!session.can("op")) throw new UserError("not authorised");
  if (m.dest === undefined) throw new UserError("user action without a user");
  const target = group.member(m.dest);
  if (target === undefined) throw new UserError("user unknown");
  run(session, target, m.value);
}
