/**
 * `join` and `leave`: authentication, group rules, and the messages a new
 * member receives (joined, chat history, user list).
 *
 * @module
 */

import {
  authenticateUser,
  type GroupDescription,
  isConfiguredUser,
} from "../config/group_description.ts";
import { isValidUsername } from "../config/group_name.ts";
import type { Permission } from "../config/permissions.ts";
import { dataFits, Group, JoinRefused } from "../group/group.ts";
import { userMessage } from "../group/member.ts";
import { logText } from "../log_text.ts";
import {
  fitsBytes,
  MAX_DATA_BYTES,
  MAX_NAME_BYTES,
} from "../protocol/byte_limits.ts";
import { type ClientMessage, ProtocolError } from "../protocol/message.ts";
import { formatTime } from "./chat.ts";
import type { ClientSession } from "./client_session.ts";

type JoinMessage = Extract<ClientMessage, { type: "join" }>;

/** The outcome of checking a client's credentials against a group. */
type Grant =
  | { ok: true; username: string; permissions: Permission[] }
  | {
    ok: false;
    error?: "need-username" | "duplicate-username";
    value: string;
  };

const NOT_AUTHORISED: Grant = { ok: false, value: "not authorised" };

/** Handles `join` with kind `join` or `leave`. */
export async function handleJoin(
  session: ClientSession,
  m: JoinMessage,
): Promise<void> {
  if (m.kind === "leave") {
    leave(session, m.group);
    return;
  }
  if (session.group !== null) {
    throw new ProtocolError("cannot join multiple groups");
  }
  if (session.id === "") throw new ProtocolError("empty id");
  if (m.username !== undefined && !fitsBytes(m.username, MAX_NAME_BYTES)) {
    const value = `the username is longer than ${MAX_NAME_BYTES} bytes`;
    fail(session, m.group, { ok: false, value });
    return;
  }
  if (m.data !== undefined && !dataFits(m.data)) {
    const value = `user data is over ${MAX_DATA_BYTES / 1024} kB`;
    fail(session, m.group, { ok: false, value });
    return;
  }
  const { deps } = session;
  const found = await deps.groups.get(m.group, deps.now());
  if (!(found instanceof Group)) {
    const value = found.reason === "invalid"
      ? "this group is misconfigured, please contact its administrator"
      : "group does not exist";
    fail(session, m.group, { ok: false, value });
    return;
  }
  const group = found;
  if (group.description.redirect) {
    session.send({
      type: "joined",
      kind: "redirect",
      group: group.name,
      username: m.username ?? "",
      value: group.description.redirect,
    });
    return;
  }
  const grant = await authorise(session, group, m);
  if (session.closed) return;
  if (!grant.ok) {
    if (grant.value === "not authorised") {
      deps.log(
        `group ${group.name}: login refused for ${
          logText(m.username ?? "")
        } from ${session.address}`,
      );
      await delay(deps.timings.failureDelay);
    }
    fail(session, group.name, grant);
    return;
  }
  session.setIdentity(grant);
  session.data = { ...(m.data ?? {}) };
  try {
    await group.replication?.ready();
    if (session.closed) return;
    group.join(session, deps.now());
  } catch (e) {
    if (!(e instanceof JoinRefused)) throw e;
    fail(session, group.name, { ok: false, value: e.message });
    session.setIdentity({ username: "", permissions: [] });
    return;
  }
  session.setGroup(group);
  welcome(session, group);
}

async function authorise(
  session: ClientSession,
  group: Group,
  m: JoinMessage,
): Promise<Grant> {
  const d = group.description;
  const now = session.deps.now();
  if (m.token !== undefined) {
    const result = await session.deps.tokens.verify(m.token, {
      group: group.name,
      now,
    });
    if (!result.ok) return NOT_AUTHORISED;
    return tokenGrant(d, result.username, m.username, result.permissions);
  }
  const username = m.username ?? "";
  if (!isValidUsername(username)) return NOT_AUTHORISED;
  if (username === "" && !("" in d.users) && !d.allowAnonymous) {
    return NOT_AUTHORISED;
  }
  const permissions = await authenticateUser(d, {
    username,
    password: m.password ?? "",
  });
  if (permissions === null) return NOT_AUTHORISED;
  return { ok: true, username, permissions };
}

/** A token's username wins; without one the client must bring a free one. */
function tokenGrant(
  d: GroupDescription,
  tokenUsername: string | undefined,
  requested: string | undefined,
  permissions: Permission[],
): Grant {
  if (tokenUsername !== undefined) {
    return { ok: true, username: tokenUsername, permissions };
  }
  if (requested === undefined) {
    return { ok: false, error: "need-username", value: "username required" };
  }
  if (!isValidUsername(requested)) return NOT_AUTHORISED;
  if (isConfiguredUser(d, requested)) {
    return {
      ok: false,
      error: "duplicate-username",
      value: "not authorised: this username is taken",
    };
  }
  return { ok: true, username: requested, permissions };
}

function fail(
  session: ClientSession,
  group: string,
  grant: Extract<Grant, { ok: false }>,
): void {
  session.send({
    type: "joined",
    kind: "fail",
    group,
    username: "",
    ...(grant.error ? { error: grant.error } : {}),
    value: grant.value,
  });
}

/** joined → chat history → user add (self, then everyone else). */
function welcome(session: ClientSession, group: Group): void {
  const { deps } = session;
  session.send(group.joinedMessage("join", session, {
    rtcConfiguration: deps.rtcConfiguration(),
  }));
  const now = deps.now();
  const maxAge = group.description.maxHistoryAge * 1000;
  for (const e of group.history.entries(now, maxAge)) {
    session.send({
      type: "chathistory",
      id: e.id,
      source: e.source,
      username: e.username,
      time: formatTime(e.time),
      ...(e.kind ? { kind: e.kind } : {}),
      value: e.value,
    });
  }
  session.send(userMessage("add", session));
  for (const other of group.members()) {
    if (other !== session) session.send(userMessage("add", other));
  }
  session.media.joined();
}

function leave(session: ClientSession, groupName: string): void {
  const group = session.group;
  if (group === null || group.name !== groupName) {
    throw new ProtocolError("leaving a group you are not in");
  }
  const username = session.username;
  session.leaveGroup();
  session.send({ type: "joined", kind: "leave", group: groupName, username });
  session.setIdentity({ username: "", permissions: [] });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
