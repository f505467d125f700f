/**
 * The paths of the administrative API (Galène's `/galene-api/v0/`) parsed into typed
 * routes, with the methods each one answers.
 *
 * @module
 */

import { isValidGroupName, isValidUsername } from "../config/group_name.ts";

/** The mount point of the API. */
export const ADMIN_PREFIX = "/galene-api/v0/";

/** Which user of a group a route names. */
export type UserRef =
  | { kind: "named"; name: string }
  | { kind: "wildcard" }
  | { kind: "empty" };

/** A parsed API path. `group` is `""` only for the global token routes. */
export type AdminRoute =
  | { kind: "stats" }
  | { kind: "groups" }
  | { kind: "group"; group: string }
  | { kind: "keys"; group: string }
  | { kind: "users"; group: string }
  | { kind: "user"; group: string; user: UserRef }
  | { kind: "password"; group: string; user: UserRef }
  | { kind: "tokens"; group: string }
  | { kind: "token"; group: string; token: string };

/** The outcome of {@link parseAdminPath}. */
export type AdminPath =
  | { ok: true; route: AdminRoute }
  | { ok: false; reason: "not-found" | "invalid"; message: string };

/** The methods each kind of route answers, besides `OPTIONS`. */
export const ROUTE_METHODS: Readonly<
  Record<AdminRoute["kind"], readonly string[]>
> = Object.freeze({
  stats: ["GET", "HEAD"],
  groups: ["GET", "HEAD"],
  group: ["GET", "HEAD", "PUT", "DELETE"],
  keys: ["PUT", "DELETE"],
  users: ["GET", "HEAD"],
  user: ["GET", "HEAD", "PUT", "DELETE"],
  password: ["PUT", "POST", "DELETE"],
  tokens: ["GET", "HEAD", "POST"],
  token: ["GET", "HEAD", "PUT", "DELETE"],
});

const GROUPS = ".groups/";
const PASSWORD = "/.password";

/**
 * Parses a decoded URL path. Group names cannot have a segment starting
 * with `.`, so the first such segment after `.groups/` starts the
 * sub-resource; every name is validated before it can reach the disk.
 *
 * @example
 * ```ts
 * parseAdminPath("/galene-api/v0/.groups/a/b/.users/bob/.password");
 * // { ok: true, route: { kind: "password", group: "a/b", user: { kind: "named", name: "bob" } } }
 * ```
 */
export function parseAdminPath(path: string): AdminPath {
  if (!path.startsWith(ADMIN_PREFIX)) return notFound(path);
  const rest = path.slice(ADMIN_PREFIX.length);
  if (rest === ".stats") return found({ kind: "stats" });
  if (rest === GROUPS) return found({ kind: "groups" });
  if (!rest.startsWith(GROUPS)) return notFound(path);
  const inside = rest.slice(GROUPS.length);
  if (inside.startsWith(".tokens/")) {
    return tokenRoute("", inside.slice(".tokens/".length));
  }
  const segments = inside.split("/");
  const dot = segments.findIndex((s) => s.startsWith("."));
  if (dot === 0) return notFound(path);
  if (dot < 0) {
    // A trailing slash is tolerated on a group.
    if (segments.length > 1 && segments.at(-1) === "") segments.pop();
    const group = segments.join("/");
    return validGroup(group) ? found({ kind: "group", group }) : invalid(group);
  }
  const group = segments.slice(0, dot).join("/");
  if (!validGroup(group)) return invalid(group);
  return subRoute(group, segments.slice(dot).join("/"), path);
}

function subRoute(group: string, sub: string, path: string): AdminPath {
  if (sub === ".keys") return found({ kind: "keys", group });
  if (sub === ".users/") return found({ kind: "users", group });
  if (sub.startsWith(".tokens/")) {
    return tokenRoute(group, sub.slice(".tokens/".length));
  }
  for (
    const [prefix, user] of [[".wildcard-user", { kind: "wildcard" }], [
      ".empty-user",
      { kind: "empty" },
    ]] as const
  ) {
    if (sub === prefix) return found({ kind: "user", group, user });
    if (sub === prefix + PASSWORD) {
      return found({ kind: "password", group, user });
    }
  }
  if (sub.startsWith(".users/")) {
    let name = sub.slice(".users/".length);
    const password = name.endsWith(PASSWORD);
    if (password) name = name.slice(0, -PASSWORD.length);
    if (name === "" || !isValidUsername(name)) {
      return {
        ok: false,
        reason: "invalid",
        message: `Invalid username ${JSON.stringify(name)}`,
      };
    }
    const user: UserRef = { kind: "named", name };
    return found({ kind: password ? "password" : "user", group, user });
  }
  return notFound(path);
}

function tokenRoute(group: string, token: string): AdminPath {
  if (token === "") return found({ kind: "tokens", group });
  if (token.includes("/") || token.includes("\\")) {
    return { ok: false, reason: "invalid", message: "Invalid token name" };
  }
  return found({ kind: "token", group, token });
}

function validGroup(name: string): boolean {
  return isValidGroupName(name);
}

function found(route: AdminRoute): AdminPath {
  return { ok: true, route };
}

function notFound(path: string): AdminPath {
  return {
    ok: false,
    reason: "not-found",
    message: `No such API endpoint ${JSON.stringify(path)}`,
  };
}

function invalid(group: string): AdminPath {
  return {
    ok: false,
    reason: "invalid",
    message: `Invalid group name ${JSON.stringify(group)}`,
  };
}
