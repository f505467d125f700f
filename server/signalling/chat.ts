/**
 * `chat` and `usermessage`: relayed to one member or to the whole group,
 * with the sender's identity and privilege stamped by the server.
 *
 * @module
 */

import type { ClientMessage, ServerMessage } from "../protocol/message.ts";
import type { ClientSession } from "./client_session.ts";
import { UserError } from "./errors.ts";

type ChatMessage = Extract<ClientMessage, { type: "chat" }>;
type UserMessage = Extract<ClientMessage, { type: "usermessage" }>;

/** RFC 3339 with second precision, as Galène writes times. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(
    ".000Z",
    "Z",
  );
}

/** A random message id: 8 bytes, base64url. */
export function newMessageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(
    /\//g,
    "_",
  ).replace(/=+$/, "");
}

/** Handles `chat`: needs `message` (and `caption` for captions). */
export function handleChat(session: ClientSession, m: ChatMessage): void {
  const group = session.requireGroup();
  if (!session.can("message")) throw new UserError("not authorised");
  if (m.kind === "caption" && !session.can("caption")) {
    throw new UserError("not authorised");
  }
  const now = session.deps.now();
  const out: ServerMessage = {
    type: "chat",
    source: session.id,
    username: session.username,
    ...(m.dest ? { dest: m.dest } : {}),
    ...(session.can("op") ? { privileged: true } : {}),
    time: formatTime(now),
    ...(m.kind ? { kind: m.kind } : {}),
    value: m.value,
  };
  if (m.dest) {
    const target = group.member(m.dest);
    if (!target) throw new UserError("user unknown");
    if (target.system) throw new UserError("this user doesn't chat");
    target.send(m.id ? { ...out, id: m.id } : out);
    return;
  }
  const id = m.id ?? newMessageId();
  const entry = {
    id,
    source: session.id,
    username: session.username,
    time: now,
    kind: m.kind,
    value: m.value,
  };
  group.history.add(entry);
  group.broadcast({ ...out, id }, m.noecho ? session.id : undefined);
  group.replication?.chat({ ...out, id }, entry);
}

/** Handles `usermessage`: needs `message`; never stored. */
export function handleUserMessage(
  session: ClientSession,
  m: UserMessage,
): void {
  const group = session.requireGroup();
  if (!session.can("message")) throw new UserError("not authorised");
  const out: ServerMessage = {
    type: "usermessage",
    kind: m.kind,
    source: session.id,
    username: session.username,
    ...(m.dest ? { dest: m.dest } : {}),
    ...(session.can("op") ? { privileged: true } : {}),
    ...(m.error !== undefined ? { error: m.error } : {}),
    value: m.value,
  };
  if (m.dest) {
    const target = group.member(m.dest);
    if (!target) throw new UserError("user unknown");
    target.send(out);
    return;
  }
  group.broadcast(out, m.noecho ? session.id : undefined);
}
