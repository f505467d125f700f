/**
 * The media-node contract on the wire: the JSON messages an edge
 * ({@link RemoteMediaNode}) and a media node's control endpoint
 * (media_control.ts) exchange over one WebSocket. Every message carries the
 * contract's version `v`.
 *
 * - The edge opens with `hello` (its edge token); the node answers
 *   `welcome` or closes the socket with a reason.
 * - One `call` per operation, numbered by the edge; one `result` per
 *   call, with that number: a value, or an error `{reason, message}`.
 * - Connections and recordings are named by handles the edge chooses
 *   (`conn`), so that the node's events for them (`event`) can arrive
 *   before the call that opened them has its result.
 * - `ping` from the edge every second, `pong` from the node: a node silent
 *   for 3 s is gone.
 *
 * Parsing happens once, here: {@link parseCall} and
 * {@link parseNodeMessage} turn text into typed values or throw a
 * `SyntaxError` that names the problem.
 *
 * @module
 */

import {
  type ConnectionState,
  type ConnectionStats,
  type IceCandidate,
  type IceConfiguration,
  isMediaErrorReason,
  MEDIA_CONTRACT_VERSION,
  type MediaErrorReason,
  type TrackRequest,
  type TrackStats,
  type UpTrackInfo,
} from "../media/media_node.ts";
import { type CodecName, isCodecName } from "../media/codec_names.ts";

/** The largest control message either side accepts, in bytes. */
export const MAX_CONTROL_MESSAGE_BYTES = 1 << 20;
/** How often an edge pings its node (ms). */
export const PING_INTERVAL_MS = 1000;
/** A node silent for this long is gone (ms): detected well within 5 s. */
export const GONE_AFTER_MS = 3000;

/** An operation and its arguments. */
export type Operation =
  | {
    op: "openUp";
    conn: string;
    id: string;
    group: string;
    codecs: CodecName[];
    ice: IceConfiguration;
  }
  | {
    op: "openDown";
    conn: string;
    id: string;
    group: string;
    subscriber: string;
    upId: string;
    request: TrackRequest[];
    follows?: boolean;
    ice: IceConfiguration;
  }
  | { op: "offer"; conn: string; sdp: string }
  | { op: "answer"; conn: string; sdp: string }
  | { op: "negotiate"; conn: string; iceRestart: boolean }
  | { op: "addIceCandidate"; conn: string; candidate: IceCandidate }
  | { op: "setRequest"; conn: string; request: TrackRequest[] }
  | { op: "retarget"; conn: string; upId: string }
  | { op: "close"; conn: string }
  | {
    op: "record";
    conn: string;
    upId: string;
    group: string;
    username?: string;
  }
  | { op: "closeRecording"; conn: string }
  | { op: "stats" };

/** What an edge sends. */
export type EdgeMessage =
  | { v: number; type: "hello"; token: string }
  | { v: number; type: "ping" }
  | ({ v: number; type: "call"; call: number } & Operation);

/** An event of a connection or a recording. */
export type NodeEvent =
  | { event: "ice"; conn: string; candidate: IceCandidate }
  | { event: "tracks"; conn: string; tracks: UpTrackInfo[] }
  | { event: "state"; conn: string; state: ConnectionState }
  | { event: "ended"; conn: string };

/** What a node sends. */
export type NodeMessage =
  | { v: number; type: "welcome"; node: string }
  | { v: number; type: "pong" }
  | { v: number; type: "result"; call: number; value: unknown }
  | {
    v: number;
    type: "result";
    call: number;
    error: { reason: MediaErrorReason; message: string };
  }
  | ({ v: number; type: "event" } & NodeEvent);

type Json = Record<string, unknown>;

function object(v: unknown, what: string): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new SyntaxError(`${what} is not an object`);
  }
  return v as Json;
}

function str(m: Json, key: string, max = 1 << 20): string {
  const v = m[key];
  if (typeof v !== "string" || v.length > max) {
    throw new SyntaxError(`Field "${key}" is not a string of at most ${max}`);
  }
  return v;
}

function strings(m: Json, key: string): string[] {
  const v = m[key];
  if (
    !Array.isArray(v) || v.length > 64 ||
    !v.every((s) => typeof s === "string" && s.length <= 256)
  ) {
    throw new SyntaxError(`Field "${key}" is not a list of short strings`);
  }
  return v;
}

// A codec name the node does not know makes the message invalid, so what
// crosses the media-node interface is always a CodecName.
function codecs(m: Json): CodecName[] {
  const list = strings(m, "codecs");
  const unknown = list.find((c) => !isCodecName(c));
  if (unknown !== undefined) {
    throw new SyntaxError(`Unknown codec "${unknown.slice(0, 32)}"`);
  }
  return list as CodecName[];
}

function codec(o: Json): CodecName {
  const c = str(o, "codec", 32);
  if (!isCodecName(c)) throw new SyntaxError(`Unknown codec "${c}"`);
  return c;
}

const REQUESTS: readonly string[] = ["audio", "video", "video-low"];

function requests(m: Json): TrackRequest[] {
  return strings(m, "request").filter((r): r is TrackRequest =>
    REQUESTS.includes(r)
  );
}

function ice(m: Json): IceConfiguration {
  const o = object(m["ice"], 'Field "ice"');
  const servers = o["iceServers"];
  if (!Array.isArray(servers) || servers.length > 32) {
    throw new SyntaxError(`Field "ice.iceServers" is not a short list`);
  }
  const config: IceConfiguration = {
    iceServers: servers.map((s) => {
      const e = object(s, "An ICE server");
      const server: IceConfiguration["iceServers"][number] = {
        urls: strings(e, "urls"),
      };
      if (e["username"] !== undefined) {
        server.username = str(e, "username", 512);
      }
      if (e["credential"] !== undefined) {
        server.credential = str(e, "credential", 512);
      }
      return server;
    }),
  };
  const policy = o["iceTransportPolicy"];
  if (policy === "all" || policy === "relay") {
    config.iceTransportPolicy = policy;
  } else if (policy !== undefined) {
    throw new SyntaxError(`Field "ice.iceTransportPolicy" is not all or relay`);
  }
  return config;
}

function candidate(m: Json): IceCandidate {
  const o = object(m["candidate"], 'Field "candidate"');
  const c: IceCandidate = { candidate: str(o, "candidate", 1024) };
  if (typeof o["sdpMid"] === "string") c.sdpMid = o["sdpMid"].slice(0, 64);
  if (typeof o["sdpMLineIndex"] === "number") {
    c.sdpMLineIndex = o["sdpMLineIndex"];
  }
  if (typeof o["usernameFragment"] === "string") {
    c.usernameFragment = o["usernameFragment"].slice(0, 256);
  }
  return c;
}

// A group name becomes a folder under the node's recordings: no way out.
function groupName(m: Json): string {
  const g = str(m, "group", 1024);
  const parts = g.split("/");
  if (
    g === "" || g.includes("\\") || g.includes("\0") ||
    parts.some((p) => p === "" || p === "." || p === "..")
  ) {
    throw new SyntaxError(`Field "group" is not a group name`);
  }
  return g;
}

const OPERATIONS: Record<string, (m: Json) => Operation> = {
  openUp: (m) => ({
    op: "openUp",
    conn: str(m, "conn", 64),
    id: str(m, "id", 256),
    group: str(m, "group", 1024),
    codecs: codecs(m),
    ice: ice(m),
  }),
  openDown: (m) => ({
    op: "openDown",
    conn: str(m, "conn", 64),
    id: str(m, "id", 256),
    group: str(m, "group", 1024),
    subscriber: str(m, "subscriber", 256),
    upId: str(m, "upId", 256),
    request: requests(m),
    ...(m["follows"] === true ? { follows: true } : {}),
    ice: ice(m),
  }),
  offer: (m) => ({ op: "offer", conn: str(m, "conn", 64), sdp: str(m, "sdp") }),
  answer: (m) => ({
    op: "answer",
    conn: str(m, "conn", 64),
    sdp: str(m, "sdp"),
  }),
  negotiate: (m) => ({
    op: "negotiate",
    conn: str(m, "conn", 64),
    iceRestart: m["iceRestart"] === true,
  }),
  addIceCandidate: (m) => ({
    op: "addIceCandidate",
    conn: str(m, "conn", 64),
    candidate: candidate(m),
  }),
  setRequest: (m) => ({
    op: "setRequest",
    conn: str(m, "conn", 64),
    request: requests(m),
  }),
  retarget: (m) => ({
    op: "retarget",
    conn: str(m, "conn", 64),
    upId: str(m, "upId", 256),
  }),
  close: (m) => ({ op: "close", conn: str(m, "conn", 64) }),
  record: (m) => ({
    op: "record",
    conn: str(m, "conn", 64),
    upId: str(m, "upId", 256),
    group: groupName(m),
    ...(m["username"] !== undefined
      ? { username: str(m, "username", 256) }
      : {}),
  }),
  closeRecording: (m) => ({ op: "closeRecording", conn: str(m, "conn", 64) }),
  stats: () => ({ op: "stats" }),
};

function versioned(text: string, who: string): Json {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SyntaxError(`${who} message is not JSON`);
  }
  const m = object(raw, `${who} message`);
  if (m["v"] !== MEDIA_CONTRACT_VERSION) {
    throw new SyntaxError(
      `${who} speaks contract version ${
        String(m["v"]).slice(0, 16)
      }, not ${MEDIA_CONTRACT_VERSION}`,
    );
  }
  return m;
}

/**
 * Parses a message from an edge.
 * @throws {SyntaxError} naming what is wrong
 */
export function parseEdgeMessage(text: string): EdgeMessage {
  const m = versioned(text, "Edge");
  const v = MEDIA_CONTRACT_VERSION;
  switch (m["type"]) {
    case "hello":
      return { v, type: "hello", token: str(m, "token", 4096) };
    case "ping":
      return { v, type: "ping" };
    case "call": {
      const call = m["call"];
      if (typeof call !== "number" || !Number.isSafeInteger(call)) {
        throw new SyntaxError(`Field "call" is not an integer`);
      }
      const parse = OPERATIONS[String(m["op"])];
      if (parse === undefined) {
        throw new SyntaxError(
          `Unknown operation "${String(m["op"]).slice(0, 32)}"`,
        );
      }
      return { v, type: "call", call, ...parse(m) };
    }
    default:
      throw new SyntaxError(
        `Unknown message type "${String(m["type"]).slice(0, 32)}"`,
      );
  }
}

const STATES: readonly string[] = [
  "new",
  "connecting",
  "connected",
  "failed",
  "closed",
];

function tracks(m: Json): UpTrackInfo[] {
  const list = m["tracks"];
  if (!Array.isArray(list) || list.length > 64) {
    throw new SyntaxError(`Field "tracks" is not a short list`);
  }
  return list.map((t) => {
    const o = object(t, "A track");
    const kind = o["kind"];
    if (kind !== "audio" && kind !== "video") {
      throw new SyntaxError(`A track's kind is not audio or video`);
    }
    const info: UpTrackInfo = {
      id: str(o, "id", 256),
      kind,
      codec: codec(o),
    };
    if (o["rid"] !== undefined) info.rid = str(o, "rid", 32);
    return info;
  });
}

/**
 * Parses a message from a node.
 * @throws {SyntaxError} naming what is wrong
 */
export function parseNodeMessage(text: string): NodeMessage {
  const m = versioned(text, "Node");
  const v = MEDIA_CONTRACT_VERSION;
  switch (m["type"]) {
    case "welcome":
      return { v, type: "welcome", node: str(m, "node", 64) };
    case "pong":
      return { v, type: "pong" };
    case "result": {
      const call = m["call"];
      if (typeof call !== "number") {
        throw new SyntaxError(`Result without a call number`);
      }
      if (m["error"] !== undefined) {
        const e = object(m["error"], 'Field "error"');
        const reason = e["reason"];
        return {
          v,
          type: "result",
          call,
          error: {
            reason: isMediaErrorReason(reason) ? reason : "failed",
            message: str(e, "message", 4096),
          },
        };
      }
      return { v, type: "result", call, value: m["value"] };
    }
    case "event": {
      const conn = str(m, "conn", 64);
      switch (m["event"]) {
        case "ice":
          return {
            v,
            type: "event",
            event: "ice",
            conn,
            candidate: candidate(m),
          };
        case "tracks":
          return { v, type: "event", event: "tracks", conn, tracks: tracks(m) };
        case "state": {
          const state = m["state"];
          if (typeof state !== "string" || !STATES.includes(state)) {
            throw new SyntaxError(`Unknown connection state`);
          }
          return {
            v,
            type: "event",
            event: "state",
            conn,
            state: state as ConnectionState,
          };
        }
        case "ended":
          return { v, type: "event", event: "ended", conn };
      }
      throw new SyntaxError(`Unknown event`);
    }
    default:
      throw new SyntaxError(
        `Unknown message type "${String(m["type"]).slice(0, 32)}"`,
      );
  }
}

function num(o: Json, key: string): number {
  const v = o[key];
  if (typeof v !== "number") {
    throw new SyntaxError(`Field "${key}" is not a number`);
  }
  return v;
}

function trackStats(t: unknown): TrackStats {
  const o = object(t, "A track's figures");
  const stats: TrackStats = {
    bitrate: num(o, "bitrate"),
    loss: num(o, "loss"),
  };
  const keys = [
    "maxBitrate",
    "rtt",
    "jitter",
    "sid",
    "maxSid",
    "tid",
    "maxTid",
  ] as const;
  for (const key of keys) {
    if (o[key] !== undefined) stats[key] = num(o, key);
  }
  if (o["layer"] !== undefined) stats.layer = str(o, "layer", 32);
  return stats;
}

/**
 * Parses the value of a `stats` result.
 * @throws {SyntaxError} naming what is wrong
 */
export function parseStats(value: unknown): ConnectionStats[] {
  if (!Array.isArray(value)) throw new SyntaxError("Stats are not a list");
  return value.map((c) => {
    const o = object(c, "A connection's figures");
    const direction = o["direction"];
    if (direction !== "up" && direction !== "down") {
      throw new SyntaxError(`A connection's direction is not up or down`);
    }
    const tracks = o["tracks"];
    if (!Array.isArray(tracks)) throw new SyntaxError(`Tracks are not a list`);
    const stats: ConnectionStats = {
      id: str(o, "id", 256),
      direction,
      tracks: tracks.map(trackStats),
    };
    if (o["subscriber"] !== undefined) {
      stats.subscriber = str(o, "subscriber", 256);
    }
    return stats;
  });
}
