/**
 * The messages a Galène-compatible server sends (protocol version "2"),
 * parsed once at the edge into a typed union. Nothing else in the client
 * reads raw JSON from the socket.
 *
 * @module
 */

import type { CandidateInit } from "../../server/protocol/wire.ts";
import { MEDIA_LOST } from "../../server/protocol/wire.ts";

export type { CandidateInit };
export { MEDIA_LOST };

/** The group status as `.status` and `joined` carry it. */
export interface GroupStatus {
  name?: string;
  displayName?: string;
  description?: string;
  location?: string;
  endpoint?: string;
  authServer?: string;
  authPortal?: string;
  locked?: boolean;
  clientCount?: number;
  canChangePassword?: boolean;
}

/** Kinds of `joined`. */
export type JoinedKind = "join" | "change" | "leave" | "fail" | "redirect";

/** `joined`: the outcome of a join and later changes of our own standing. */
export interface JoinedMessage {
  type: "joined";
  kind: JoinedKind;
  group: string;
  username: string;
  permissions: string[];
  status: GroupStatus;
  data: Record<string, unknown>;
  rtcConfiguration: RTCConfiguration | null;
  error: string;
  value: string;
}

/** `user`: group membership. */
export interface UserMessage {
  type: "user";
  kind: "add" | "change" | "delete";
  id: string;
  username: string;
  permissions: string[];
  data: Record<string, unknown>;
}

/** `chat` or `chathistory`. */
export interface ChatMessage {
  type: "chat" | "chathistory";
  id: string;
  source: string;
  username: string;
  dest: string;
  kind: string;
  value: string;
  privileged: boolean;
  /** Milliseconds since the epoch (server clock), or `now` when absent. */
  time: number;
}

/** `usermessage`: control messages between clients and from the server. */
export interface UserMessageMessage {
  type: "usermessage";
  id: string;
  kind: string;
  source: string;
  username: string;
  dest: string;
  privileged: boolean;
  value: unknown;
  error: string;
}

/** `offer` pushed by the server for a stream we receive. */
export interface OfferMessage {
  type: "offer";
  id: string;
  label: string;
  replace: string;
  source: string;
  username: string;
  sdp: string;
}

/** Every message the client understands from the server. */
export type ServerMessage =
  | { type: "handshake"; version: string[] }
  | { type: "ping" }
  | { type: "pong" }
  | JoinedMessage
  | UserMessage
  | ChatMessage
  | UserMessageMessage
  | OfferMessage
  | { type: "answer"; id: string; sdp: string }
  | { type: "ice"; id: string; candidate: CandidateInit }
  | { type: "renegotiate" | "close"; id: string }
  | AbortMessage;

/**
 * The server asks us to close an up stream. Nereid says why in `error`
 * ("" when it does not): {@link MEDIA_LOST} means the media server carrying
 * it was lost, and publishing it again is the remedy.
 */
export interface AbortMessage {
  type: "abort";
  id: string;
  error: string;
}

type Raw = Record<string, unknown>;

function str(m: Raw, key: string): string {
  const v = m[key];
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") {
    throw new TypeError(`Field "${key}" of "${m["type"]}" is not a string`);
  }
  return v;
}

function need(m: Raw, key: string): string {
  const v = str(m, key);
  if (v === "") throw new TypeError(`Message "${m["type"]}" lacks "${key}"`);
  return v;
}

function strings(m: Raw, key: string): string[] {
  const v = m[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
    throw new TypeError(
      `Field "${key}" of "${m["type"]}" is not a string list`,
    );
  }
  return v;
}

function object(m: Raw, key: string): Raw {
  const v = m[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) {
    throw new TypeError(`Field "${key}" of "${m["type"]}" is not an object`);
  }
  return v as Raw;
}

function time(m: Raw, now: number): number {
  const v = m["time"];
  // Protocol v1 sent milliseconds; v2 sends an ISO 8601 string.
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
  }
  return now;
}

const JOINED_KINDS: readonly string[] = [
  "join",
  "change",
  "leave",
  "fail",
  "redirect",
];

function parseJoined(m: Raw): JoinedMessage {
  const kind = need(m, "kind");
  if (!JOINED_KINDS.includes(kind)) {
    throw new TypeError(`Unknown joined kind "${kind}"`);
  }
  const rtc = m["rtcConfiguration"];
  return {
    type: "joined",
    kind: kind as JoinedKind,
    group: str(m, "group"),
    username: str(m, "username"),
    permissions: strings(m, "permissions"),
    status: object(m, "status") as GroupStatus,
    data: object(m, "data"),
    rtcConfiguration: rtc && typeof rtc === "object"
      ? rtc as RTCConfiguration
      : null,
    error: str(m, "error"),
    value: typeof m["value"] === "string" ? m["value"] : "",
  };
}

function parseUser(m: Raw): UserMessage {
  const kind = need(m, "kind");
  if (kind !== "add" && kind !== "change" && kind !== "delete") {
    throw new TypeError(`Unknown user kind "${kind}"`);
  }
  return {
    type: "user",
    kind,
    id: need(m, "id"),
    username: str(m, "username"),
    permissions: strings(m, "permissions"),
    data: object(m, "data"),
  };
}

function parseChat(m: Raw, now: number): ChatMessage {
  const value = m["value"];
  return {
    type: m["type"] === "chathistory" ? "chathistory" : "chat",
    id: str(m, "id"),
    source: str(m, "source"),
    username: str(m, "username"),
    dest: str(m, "dest"),
    kind: str(m, "kind"),
    value: typeof value === "string" ? value : "",
    privileged: m["privileged"] === true,
    time: time(m, now),
  };
}

function parseUserMessage(m: Raw): UserMessageMessage {
  return {
    type: "usermessage",
    id: str(m, "id"),
    kind: str(m, "kind"),
    source: str(m, "source"),
    username: str(m, "username"),
    dest: str(m, "dest"),
    privileged: m["privileged"] === true,
    value: m["value"] ?? null,
    error: str(m, "error"),
  };
}

function parseIce(m: Raw): ServerMessage {
  const c = m["candidate"];
  if (
    !c || typeof c !== "object" || typeof (c as Raw)["candidate"] !== "string"
  ) {
    throw new TypeError(`Message "ice" has no candidate`);
  }
  return { type: "ice", id: need(m, "id"), candidate: c as CandidateInit };
}

const PARSERS: Readonly<
  Record<string, (m: Raw, now: number) => ServerMessage>
> = {
  handshake: (m) => ({ type: "handshake", version: strings(m, "version") }),
  ping: () => ({ type: "ping" }),
  pong: () => ({ type: "pong" }),
  joined: parseJoined,
  user: parseUser,
  chat: parseChat,
  chathistory: parseChat,
  usermessage: parseUserMessage,
  offer: (m) => ({
    type: "offer",
    id: need(m, "id"),
    label: str(m, "label"),
    replace: str(m, "replace"),
    source: str(m, "source"),
    username: str(m, "username"),
    sdp: need(m, "sdp"),
  }),
  answer: (m) => ({ type: "answer", id: need(m, "id"), sdp: need(m, "sdp") }),
  ice: parseIce,
  renegotiate: (m) => ({ type: "renegotiate", id: need(m, "id") }),
  close: (m) => ({ type: "close", id: need(m, "id") }),
  abort: (m) => ({ type: "abort", id: need(m, "id"), error: str(m, "error") }),
};

/**
 * Parses one WebSocket text frame from the server.
 *
 * @returns `null` for a message type this client does not know (ignored).
 * @throws {SyntaxError} When the frame is not JSON.
 * @throws {TypeError} When a known message has fields of the wrong type.
 */
export function parseServerMessage(
  text: string,
  now: number,
): ServerMessage | null {
  const m: unknown = JSON.parse(text);
  if (typeof m !== "object" || m === null || Array.isArray(m)) {
    throw new TypeError("Server message is not a JSON object");
  }
  const type = (m as Raw)["type"];
  if (typeof type !== "string") {
    throw new TypeError("Server message has no type");
  }
  const parse = PARSERS[type];
  return parse ? parse(m as Raw, now) : null;
}
