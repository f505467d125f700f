/**
 * What a client session needs from the rest of the server, passed in so
 * that sessions can be tested against real groups with any clock.
 *
 * @module
 */

import type { Permission } from "../config/permissions.ts";
import type { ServerConfig } from "../config/server_config.ts";
import type { TokenStore } from "../auth/token_store.ts";
import type { GroupRegistry } from "../group/group_registry.ts";
import type { GroupRecorders } from "../recording/group_recorder.ts";
import type { IceConfiguration, MediaNode } from "../media/media_node.ts";

/** A verified token's grant, or the reason it was refused. */
export type TokenResult =
  | { ok: true; username?: string; permissions: Permission[] }
  | { ok: false; message: string };

/** Checks tokens (stateful or JWT) for a group. */
export interface TokenVerifier {
  verify(
    token: string,
    options: { group: string; now: number },
  ): Promise<TokenResult>;
}

/** Timings of the session, in milliseconds (tests shorten them). */
export interface SessionTimings {
  /** Time allowed for the first message, the handshake (Galène: 15 s). */
  handshakeTimeout: number;
  /** How often to check the connection's liveness (Galène: 10 s). */
  keepaliveInterval: number;
  /** Silence after which the server sends a ping (Galène: 20 s). */
  pingAfter: number;
  /** Silence after which the client is considered dead (Galène: 45 s). */
  dropAfter: number;
  /** Delay before answering a failed login (Galène: 200 ms). */
  failureDelay: number;
  /**
   * Time an up stream has to connect, and to reconnect after losing its
   * connection, before it is closed. Galène's ICE (pion) gives up after
   * 5 s disconnected plus 25 s failed.
   */
  iceTimeout: number;
}

/** The defaults, as Galène has them. */
export const DEFAULT_TIMINGS: SessionTimings = {
  handshakeTimeout: 15_000,
  keepaliveInterval: 10_000,
  pingAfter: 20_000,
  dropAfter: 45_000,
  failureDelay: 200,
  iceTimeout: 30_000,
};

/**
 * Up streams (published or being offered) a client may have at once. Galène
 * sets no limit; a camera, a screen share and a few files or windows are
 * far below this, and each stream holds sockets and buffers on the server.
 */
export const DEFAULT_MAX_UP_STREAMS = 16;

/** The dependencies of a client session. */
export interface SessionDeps {
  groups: GroupRegistry;
  config: () => Promise<ServerConfig>;
  tokens: TokenVerifier;
  /** Where invitations are kept; absent when the server has none. */
  tokenStore?: TokenStore;
  media: MediaNode;
  /** The group recorders; absent when the server does not record. */
  recorders?: GroupRecorders;
  /** The ICE configuration for the media node's next connection. */
  iceConfiguration: () => IceConfiguration;
  /** The `rtcConfiguration` handed to clients in `joined`. */
  rtcConfiguration: () => Record<string, unknown>;
  log: (message: string) => void;
  now: () => number;
  timings: SessionTimings;
  /** Up streams a client may have at once. */
  maxUpStreams: number;
}

/** A verifier for servers without tokens: every token is refused. */
export const NO_TOKENS: TokenVerifier = {
  verify: () => Promise.resolve({ ok: false, message: "not authorised" }),
};
