/**
 * The server's token verifier: JWTs are checked against the group's keys,
 * anything else is looked up as a stateful token.
 *
 * @module
 */

import * as jose from "jose";
import type { GroupDescription } from "../config/group_description.ts";
import { isJsonObject } from "../config/json_fields.ts";
import type { Permission } from "../config/permissions.ts";
import type { ServerConfig } from "../config/server_config.ts";
import type { TokenVerifier } from "../signalling/session_deps.ts";
import { verifyJwt } from "./jwt.ts";
import { checkStatefulToken } from "./stateful_token.ts";
import type { TokenStore } from "./token_store.ts";

/**
 * A verified token's grant, or the reason it was refused. It extends the
 * signalling layer's `TokenResult` with the kind of token that granted it.
 */
export type TokenVerification =
  | {
    ok: true;
    username?: string;
    permissions: Permission[];
    kind: "stateful" | "jwt";
  }
  | { ok: false; message: string };

/** The dependencies of {@link Tokens}. */
export interface TokensOptions {
  store: TokenStore;
  /** The description of group `name`, or `undefined` if there is none. */
  description: (name: string) => Promise<GroupDescription | undefined>;
  config: () => Promise<ServerConfig>;
}

/**
 * Verifies join tokens: a string shaped like a JWT goes to {@link verifyJwt}
 * with the group's `authKeys`, any other string is a stateful token name.
 *
 * @example
 * ```ts
 * const tokens = new Tokens({ store, description: async (name) => lookup(name), config });
 * const result = await tokens.verify(token, { group: "night-watch", now: Date.now() });
 * ```
 */
export class Tokens implements TokenVerifier {
  #store: TokenStore;
  #description: (name: string) => Promise<GroupDescription | undefined>;
  #config: () => Promise<ServerConfig>;

  /** Creates a verifier over `options.store` and the group descriptions. */
  constructor(options: TokensOptions) {
    this.#store = options.store;
    this.#description = options.description;
    this.#config = options.config;
  }

  /** The stateful token store. */
  get store(): TokenStore {
    return this.#store;
  }

  /**
   * Checks `token` for a join to `options.group` at `options.now`. Messages
   * never quote the token, which is a secret.
   */
  async verify(
    token: string,
    options: { group: string; now: number },
  ): Promise<TokenVerification> {
    const { group, now } = options;
    if (looksLikeJwt(token)) {
      const description = await this.#description(group);
      if (!description) {
        return {
          ok: false,
          message: `Cannot check JWT: group ${JSON.stringify(group)} not found`,
        };
      }
      const result = await verifyJwt(token, {
        group,
        description,
        config: await this.#config(),
        now,
      });
      return result.ok ? { ...result, kind: "jwt" } : result;
    }
    let stored;
    try {
      stored = await this.#store.get(token);
    } catch (error) {
      // A broken disk refuses this join; the session layer logs the reason.
      if (!(error instanceof Error)) throw error;
      return {
        ok: false,
        message: `Cannot read ${this.#store.file}: ${error.message}`,
      };
    }
    if (!stored) return { ok: false, message: "Unknown token" };
    const check = checkStatefulToken(stored, { group, now });
    if (!check.ok) return { ok: false, message: check.message };
    return { ...check, kind: "stateful" };
  }

  /**
   * Drops stateful tokens expired for more than seven days; the caller runs
   * it periodically (Galène: every 15 minutes).
   */
  purge(now: number): Promise<number> {
    return this.#store.purge(now);
  }
}

/**
 * Returns `true` when `token` has the shape of a compact JWS: three
 * base64url parts, the first a JSON object with a string `alg`.
 */
export function looksLikeJwt(token: string): boolean {
  const parts = token.split(".");
  const header = parts[0];
  if (parts.length !== 3 || !header) return false;
  if (!parts.every((part) => /^[A-Za-z0-9_-]*$/.test(part))) return false;
  try {
    const json: unknown = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(
        jose.base64url.decode(header),
      ),
    );
    return isJsonObject(json) && typeof json["alg"] === "string";
  } catch {
    return false;
  }
}
