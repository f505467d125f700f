/**
 * Who may use the administrative API, as in Galène: server
 * administrators from `config.json`, a group's administrators for that
 * group, bearer tokens granting `admin`, and a user changing his own
 * password.
 *
 * @module
 */

import type { StatefulToken } from "../auth/stateful_token.ts";
import { checkStatefulToken } from "../auth/stateful_token.ts";
import {
  authenticateUser,
  type GroupDescription,
} from "../config/group_description.ts";
import { checkPassword, type Password } from "../config/password.ts";
import { expandPermissions, type Permission } from "../config/permissions.ts";
import type { ServerConfig } from "../config/server_config.ts";

/** What a request wants to touch. */
export type AdminScope =
  /** Server-wide endpoints: `.stats`, the group list, global tokens. */
  | { kind: "server" }
  /** A group's endpoints; `description` is absent when it has no file. */
  | { kind: "group"; group: string; description?: GroupDescription }
  /** A user's password: the user himself may change it too. */
  | {
    kind: "self";
    group: string;
    description?: GroupDescription;
    username: string;
  };

/** Who was let in, and why. */
export interface Principal {
  /** The Basic username or the token's username, `""` if none. */
  username: string;
  via: "server-admin" | "group-admin" | "token" | "self";
}

/** A token verifier as {@link Tokens} provides it. */
export interface AdminTokenVerifier {
  verify(
    token: string,
    options: { group: string; now: number },
  ): Promise<
    { ok: true; username?: string; permissions: Permission[] } | {
      ok: false;
    }
  >;
}

/** The dependencies of {@link AdminAuth}. */
export interface AdminAuthOptions {
  config: () => Promise<ServerConfig>;
  /** Verifies bearer tokens for a group (stateful or JWT). */
  tokens: AdminTokenVerifier;
  /** Looks a stateful token up, for the server-wide scope. */
  statefulToken: (name: string) => Promise<StatefulToken | undefined>;
  now: () => number;
}

/** The realm of the `WWW-Authenticate` challenge, as Galène sends it. */
export const ADMIN_REALM = "/galene-api/";

// A browser page polling .stats every 2 s would otherwise pay a bcrypt
// (cost 12: ~250 ms of CPU) per poll; a success is remembered briefly.
const CACHE_TTL = 60_000;
const CACHE_MAX = 256;

/**
 * Decides whether a request's `Authorization` header may act in a scope.
 *
 * @example
 * ```ts
 * const auth = new AdminAuth({ config, tokens, statefulToken, now: Date.now });
 * const who = await auth.authorize(request.headers.get("authorization"), { kind: "server" });
 * ```
 */
export class AdminAuth {
  #options: AdminAuthOptions;
  #verified = new Map<string, number>();

  /** Creates the checker. */
  constructor(options: AdminAuthOptions) {
    this.#options = options;
  }

  /** Returns who is acting, or `null` when the request may not. */
  async authorize(
    header: string | null,
    scope: AdminScope,
  ): Promise<Principal | null> {
    const credentials = parseAuthorization(header);
    if (credentials === null) return null;
    if (credentials.kind === "bearer") {
      return await this.#bearer(credentials.token, scope);
    }
    const { username, password } = credentials;
    if (await this.#serverAdmin(username, password)) {
      return { username, via: "server-admin" };
    }
    if (scope.kind === "server" || !scope.description) return null;
    const description = scope.description;
    if (await this.#groupAdmin(description, { username, password })) {
      return { username, via: "group-admin" };
    }
    if (
      scope.kind === "self" && username === scope.username &&
      Object.hasOwn(description.users, username) &&
      await this.#check(description.users[username]!.password, {
        username,
        password,
      })
    ) {
      return { username, via: "self" };
    }
    return null;
  }

  async #serverAdmin(username: string, password: string): Promise<boolean> {
    const users = (await this.#options.config()).users;
    if (!Object.hasOwn(users, username)) return false;
    const user = users[username]!;
    const context = { allowRecording: false, unrestrictedTokens: false };
    if (!expandPermissions(user.permissions, context).includes("admin")) {
      return false;
    }
    return await this.#check(user.password, { username, password });
  }

  async #groupAdmin(
    description: GroupDescription,
    credentials: { username: string; password: string },
  ): Promise<boolean> {
    const own = Object.hasOwn(description.users, credentials.username)
      ? description.users[credentials.username]
      : undefined;
    if (own) {
      // Spare a hash when the answer cannot be yes.
      if (!expandPermissions(own.permissions, description).includes("admin")) {
        return false;
      }
      return await this.#check(own.password, credentials);
    }
    const permissions = await authenticateUser(description, credentials);
    return permissions !== null && permissions.includes("admin");
  }

  async #bearer(token: string, scope: AdminScope): Promise<Principal | null> {
    const now = this.#options.now();
    if (scope.kind === "server") {
      // Only a global stateful token: JWTs need a group's keys.
      const stored = await this.#options.statefulToken(token);
      if (
        !stored || stored.group !== "" || !stored.includeSubgroups ||
        !stored.permissions.includes("admin") ||
        !checkStatefulToken(stored, { group: "", now }).ok
      ) return null;
      return { username: stored.username ?? "", via: "token" };
    }
    const result = await this.#options.tokens.verify(token, {
      group: scope.group,
      now,
    });
    if (!result.ok || !result.permissions.includes("admin")) return null;
    return { username: result.username ?? "", via: "token" };
  }

  async #check(
    stored: Password,
    credentials: { username: string; password: string },
  ): Promise<boolean> {
    const now = this.#options.now();
    const key = await cacheKey(stored, credentials);
    const until = this.#verified.get(key);
    if (until !== undefined && until > now) return true;
    this.#verified.delete(key);
    if (!await checkPassword(stored, credentials.password)) return false;
    if (this.#verified.size >= CACHE_MAX) {
      const oldest = this.#verified.keys().next().value;
      if (oldest !== undefined) this.#verified.delete(oldest);
    }
    this.#verified.set(key, now + CACHE_TTL);
    return true;
  }
}

/** Parsed `Authorization` header. */
export type Credentials =
  | { kind: "basic"; username: string; password: string }
  | { kind: "bearer"; token: string };

/**
 * Parses `Basic base64(user:password)` (UTF-8) or `Bearer TOKEN`; anything
 * else is `null`.
 */
export function parseAuthorization(header: string | null): Credentials | null {
  if (header === null) return null;
  const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
  if (!match) return null;
  const scheme = match[1]!.toLowerCase();
  const value = match[2]!;
  if (scheme === "bearer") return { kind: "bearer", token: value };
  if (scheme !== "basic") return null;
  let decoded: string;
  try {
    const bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  return {
    kind: "basic",
    username: decoded.slice(0, colon),
    password: decoded.slice(colon + 1),
  };
}

/** A digest naming (stored password, given credentials), never the secret. */
async function cacheKey(
  stored: Password,
  credentials: { username: string; password: string },
): Promise<string> {
  const text = JSON.stringify([
    stored,
    credentials.username,
    credentials.password,
  ]);
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return Array.from(new Uint8Array(digest), (b) => b.toString(16)).join(".");
}
