/**
 * The WebSocket protocol's messages (version "2"), parsed once at the edge.
 *
 * Everything a client sends goes through {@link parseClientMessage}, which
 * either returns a typed value or throws a {@link ProtocolError}; nothing
 * inside the server looks at raw JSON. Unknown fields are ignored, as a Go
 * JSON decoder would; a field of the wrong type is an error, and so is an
 * id, stream id, label, kind, destination or sender name longer than
 * {@link MAX_NAME_BYTES} (the join's username is checked by the join, which
 * answers it with a `joined` failure).
 *
 * @module
 */

import { logText } from "../log_text.ts";
import { fitsBytes, MAX_NAME_BYTES } from "./byte_limits.ts";
import type { CandidateInit } from "./wire.ts";

/** A violation of the protocol: the server answers with an error and closes. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/** Fields shared by the messages a joined client originates. */
interface Origin {
  /** The sender's client id, when it gives one (checked against the session). */
  source?: string;
  /** The sender's username, when it gives one (checked against the session). */
  username?: string;
}

export type ClientMessage =
  | { type: "handshake"; version: string[]; id?: string }
  | { type: "ping" }
  | { type: "pong" }
  | {
    type: "join";
    kind: "join" | "leave";
    group: string;
    username?: string;
    password?: string;
    token?: string;
    data?: Record<string, unknown>;
  }
  | { type: "request"; request: Record<string, string[]> }
  | { type: "requestStream"; id: string; request: string[] | null }
  | {
    type: "offer";
    id: string;
    label: string;
    replace?: string;
    sdp: string;
  } & Origin
  | { type: "answer"; id: string; sdp: string }
  | { type: "ice"; id: string; candidate: CandidateInit | null }
  | { type: "renegotiate"; id: string }
  | { type: "close"; id: string }
  | { type: "abort"; id: string }
  | {
    type: "chat";
    id?: string;
    dest?: string;
    kind: string;
    value: string;
    noecho: boolean;
  } & Origin
  | {
    type: "usermessage";
    kind: string;
    dest?: string;
    value: unknown;
    error?: string;
    noecho: boolean;
  } & Origin
  | { type: "groupaction"; kind: string; value: unknown } & Origin
  | { type: "useraction"; kind: string; dest?: string; value: unknown }
    & Origin;

/** The `type` values a client may send. */
export type ClientMessageType = ClientMessage["type"];

/** A message the server sends; fields that are absent are omitted on the wire. */
export interface ServerMessage {
  type: string;
  kind?: string;
  error?: string;
  id?: string;
  replace?: string;
  source?: string;
  dest?: string;
  username?: string;
  privileged?: boolean;
  permissions?: string[];
  status?: Record<string, unknown>;
  data?: Record<string, unknown>;
  group?: string;
  value?: unknown;
  noecho?: boolean;
  time?: string;
  sdp?: string;
  candidate?: CandidateInit;
  label?: string;
  version?: string[];
  rtcConfiguration?: Record<string, unknown>;
}

type Raw = Record<string, unknown>;

function field<T>(
  raw: Raw,
  name: string,
  check: (v: unknown) => v is T,
  expected: string,
): T | undefined {
  const v = raw[name];
  if (v === undefined || v === null) return undefined;
  if (!check(v)) {
    throw new ProtocolError(`Field "${name}" must be ${expected}`);
  }
  return v;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isBoolean = (v: unknown): v is boolean => typeof v === "boolean";
const isObject = (v: unknown): v is Raw =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every(isString);

function str(raw: Raw, name: string): string | undefined {
  return field(raw, name, isString, "a string");
}

function requiredStr(raw: Raw, name: string): string {
  const v = str(raw, name);
  if (v === undefined) throw new ProtocolError(`Field "${name}" is missing`);
  return v;
}

/** A string field that names something: at most {@link MAX_NAME_BYTES}. */
function nameStr(raw: Raw, name: string): string | undefined {
  const v = str(raw, name);
  if (v !== undefined && !fitsBytes(v, MAX_NAME_BYTES)) {
    throw new ProtocolError(
      `Field "${name}" is longer than ${MAX_NAME_BYTES} bytes`,
    );
  }
  return v;
}

function requiredName(raw: Raw, name: string): string {
  const v = nameStr(raw, name);
  if (v === undefined) throw new ProtocolError(`Field "${name}" is missing`);
  return v;
}

function optional<K extends string, V>(
  key: K,
  value: V | undefined,
): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function origin(raw: Raw): Origin {
  return {
    ...optional("source", nameStr(raw, "source")),
    ...optional("username", nameStr(raw, "username")),
  };
}

function parseCandidate(raw: Raw): CandidateInit | null {
  const c = raw["candidate"];
  if (c === undefined || c === null) return null;
  if (!isObject(c) || typeof c["candidate"] !== "string") {
    throw new ProtocolError('Field "candidate" must be an ICE candidate');
  }
  const mid = c["sdpMid"];
  const index = c["sdpMLineIndex"];
  const ufrag = c["usernameFragment"];
  return {
    candidate: c["candidate"],
    ...(typeof mid === "string" ? { sdpMid: mid } : {}),
    ...(typeof index === "number" && Number.isInteger(index) && index >= 0
      ? { sdpMLineIndex: index }
      : {}),
    ...(typeof ufrag === "string" ? { usernameFragment: ufrag } : {}),
  };
}

function parseRequestMap(raw: Raw): Record<string, string[]> {
  const r = raw["request"];
  if (!isObject(r)) {
    throw new ProtocolError('Field "request" must be an object of lists');
  }
  const out: Record<string, string[]> = {};
  for (const [label, list] of Object.entries(r)) {
    if (!isStringArray(list)) {
      throw new ProtocolError(
        `Field "request" must map ${logText(label)} to a list of strings`,
      );
    }
    out[label] = list;
  }
  return out;
}

type Parser = (raw: Raw) => ClientMessage;

const parsers: Record<ClientMessageType, Parser> = {
  handshake: (raw) => ({
    type: "handshake",
    version: field(raw, "version", isStringArray, "a list of strings") ?? [],
    ...optional("id", nameStr(raw, "id")),
  }),
  ping: () => ({ type: "ping" }),
  pong: () => ({ type: "pong" }),
  join: (raw) => {
    const kind = requiredStr(raw, "kind");
    if (kind !== "join" && kind !== "leave") {
      throw new ProtocolError(`Unknown join kind ${logText(kind)}`);
    }
    return {
      type: "join",
      kind,
      group: requiredStr(raw, "group"),
      ...optional("username", str(raw, "username")),
      ...optional("password", str(raw, "password")),
      ...optional("token", str(raw, "token")),
      ...optional("data", field(raw, "data", isObject, "an object")),
    };
  },
  request: (raw) => ({ type: "request", request: parseRequestMap(raw) }),
  requestStream: (raw) => ({
    type: "requestStream",
    id: requiredName(raw, "id"),
    request: field(raw, "request", isStringArray, "a list of strings") ?? null,
  }),
  offer: (raw) => ({
    type: "offer",
    id: requiredName(raw, "id"),
    label: nameStr(raw, "label") ?? "",
    ...optional("replace", nameStr(raw, "replace") || undefined),
    sdp: requiredStr(raw, "sdp"),
    ...origin(raw),
  }),
  answer: (raw) => ({
    type: "answer",
    id: requiredName(raw, "id"),
    sdp: requiredStr(raw, "sdp"),
  }),
  ice: (raw) => ({
    type: "ice",
    id: requiredName(raw, "id"),
    candidate: parseCandidate(raw),
  }),
  renegotiate: (raw) => ({ type: "renegotiate", id: requiredName(raw, "id") }),
  close: (raw) => ({ type: "close", id: requiredName(raw, "id") }),
  abort: (raw) => ({ type: "abort", id: requiredName(raw, "id") }),
  chat: (raw) => {
    const value = raw["value"];
    if (typeof value !== "string") {
      throw new ProtocolError(
        'Field "value" of a chat message must be a string',
      );
    }
    return {
      type: "chat",
      ...optional("id", nameStr(raw, "id") || undefined),
      ...optional("dest", nameStr(raw, "dest") || undefined),
      kind: nameStr(raw, "kind") ?? "",
      value,
      noecho: field(raw, "noecho", isBoolean, "a boolean") ?? false,
      ...origin(raw),
    };
  },
  usermessage: (raw) => ({
    type: "usermessage",
    kind: nameStr(raw, "kind") ?? "",
    ...optional("dest", nameStr(raw, "dest") || undefined),
    value: raw["value"] ?? null,
    ...optional("error", str(raw, "error")),
    noecho: field(raw, "noecho", isBoolean, "a boolean") ?? false,
    ...origin(raw),
  }),
  groupaction: (raw) => ({
    type: "groupaction",
    kind: requiredName(raw, "kind"),
    value: raw["value"] ?? null,
    ...origin(raw),
  }),
  useraction: (raw) => ({
    type: "useraction",
    kind: requiredName(raw, "kind"),
    ...optional("dest", nameStr(raw, "dest") || undefined),
    value: raw["value"] ?? null,
    ...origin(raw),
  }),
};

/**
 * Parses one WebSocket text frame into a typed client message.
 *
 * @example
 * ```ts
 * const m = parseClientMessage('{"type":"ping"}');
 * // m.type === "ping"
 * ```
 * @throws {ProtocolError} on invalid JSON, a missing or wrong-typed field, or an unknown type
 */
export function parseClientMessage(text: string): ClientMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProtocolError("Invalid JSON");
  }
  if (!isObject(raw)) {
    throw new ProtocolError("A message must be a JSON object");
  }
  const type = raw["type"];
  if (typeof type !== "string") {
    throw new ProtocolError('Field "type" is missing');
  }
  const parse = Object.hasOwn(parsers, type)
    ? parsers[type as ClientMessageType]
    : undefined;
  if (parse === undefined) {
    throw new ProtocolError(`Unexpected message type ${logText(type)}`);
  }
  return parse(raw);
}

/** Serialises a server message, leaving out absent fields. */
export function serializeServerMessage(message: ServerMessage): string {
  return JSON.stringify(message);
}
