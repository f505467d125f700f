/**
 * Stateful tokens ("invitations"): the typed record, its
 * JSON form as Galène writes it in `tokens.jsonl`, and the pure check made
 * when a client joins with one.
 *
 * @module
 */

import { isValidGroupName, isValidUsername } from "../config/group_name.ts";
import {
  childOf,
  expectObject,
  readString,
  rootOf,
} from "../config/json_fields.ts";
import {
  isPermission,
  type Permission,
  PERMISSIONS,
  sortPermissions,
} from "../config/permissions.ts";

/** A stateful token; times are milliseconds since the epoch. */
export interface StatefulToken {
  /** The token's name, which is also its secret. */
  token: string;
  /** The group it opens; `""` is the root (with subgroups: every group). */
  group: string;
  /** Whether subgroups of `group` are opened too. */
  includeSubgroups: boolean;
  /** The username imposed on the holder; absent lets the holder choose. */
  username?: string;
  permissions: Permission[];
  /** A token without an expiry is never valid. */
  expires?: number;
  notBefore?: number;
  issuedAt?: number;
  issuedBy?: string;
}

/** Why a stateful token was refused. */
export type StatefulTokenRefusal =
  | "wrong-group"
  | "no-expiry"
  | "expired"
  | "not-yet-valid";

/** The outcome of {@link checkStatefulToken}. */
export type StatefulTokenCheck =
  | { ok: true; username?: string; permissions: Permission[] }
  | { ok: false; reason: StatefulTokenRefusal; message: string };

/**
 * The JSON keys of a stateful token, in the order they are written. Other
 * keys are ignored on reading, as Go's decoder does, so that a newer
 * Galène's file stays usable.
 */
export const STATEFUL_TOKEN_KEYS: readonly string[] = Object.freeze([
  "token",
  "group",
  "includeSubgroups",
  "username",
  "permissions",
  "expires",
  "not-before",
  "issuedAt",
  "issuedBy",
]);

// RFC 3339 section 5.6, as Go's time.Time accepts it in JSON.
const RFC3339 =
  /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Checks a token for a join to `group` at `now`: the group must be the
 * token's or, with `includeSubgroups`, one of its subgroups; the token must
 * have an expiry that has not passed, and its `not-before` must have passed.
 *
 * @example
 * ```ts
 * const check = checkStatefulToken(token, { group: "night-watch", now: Date.now() });
 * if (!check.ok) console.log(check.message);
 * ```
 */
export function checkStatefulToken(
  token: StatefulToken,
  options: { group: string; now: number },
): StatefulTokenCheck {
  const { group, now } = options;
  if (!opensGroup(token, group)) {
    return refuse(
      "wrong-group",
      `Token for group ${JSON.stringify(token.group)} does not open group ${
        JSON.stringify(group)
      }`,
    );
  }
  if (token.expires === undefined) {
    return refuse("no-expiry", "Token has no expiry date");
  }
  if (now >= token.expires) {
    return refuse(
      "expired",
      `Token expired at ${formatTime(token.expires)}`,
    );
  }
  if (token.notBefore !== undefined && now < token.notBefore) {
    return refuse(
      "not-yet-valid",
      `Token is not valid before ${formatTime(token.notBefore)}`,
    );
  }
  const grant: StatefulTokenCheck = {
    ok: true,
    permissions: [...token.permissions],
  };
  if (token.username !== undefined) grant.username = token.username;
  return grant;
}

/**
 * Returns `true` when `token` opens `group`: the same group, or with
 * `includeSubgroups` a group below it (`""` being above every group).
 */
export function opensGroup(token: StatefulToken, group: string): boolean {
  if (group === token.group) return true;
  if (!token.includeSubgroups) return false;
  return token.group === "" || group.startsWith(`${token.group}/`);
}

/**
 * Parses one token from JSON (a line of `tokens.jsonl`, an admin API body).
 *
 * @throws {TypeError} Naming `where` and the offending key.
 */
export function parseStatefulToken(
  json: unknown,
  where: string,
): StatefulToken {
  const root = where.endsWith(":") ? where : rootOf(where);
  const object = expectObject(json, root);
  const name = object["token"];
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      `${childOf(root, "token")} must be a non-empty string`,
    );
  }
  const group = readString(object, "group", root) ?? "";
  if (group !== "" && !isValidGroupName(group)) {
    throw new TypeError(
      `${childOf(root, "group")} is not a valid group name`,
    );
  }
  const include = object["includeSubgroups"];
  if (
    include !== undefined && include !== null && typeof include !== "boolean"
  ) {
    throw new TypeError(
      `${childOf(root, "includeSubgroups")} must be a boolean`,
    );
  }
  const token: StatefulToken = {
    token: name,
    group,
    includeSubgroups: include === true,
    permissions: parsePermissionList(
      object["permissions"],
      childOf(root, "permissions"),
    ),
  };
  const username = readString(object, "username", root);
  if (username !== undefined) {
    if (!isValidUsername(username)) {
      throw new TypeError(
        `${childOf(root, "username")} is not a valid username`,
      );
    }
    token.username = username;
  }
  const issuedBy = readString(object, "issuedBy", root);
  if (issuedBy !== undefined) token.issuedBy = issuedBy;
  const times = [
    ["expires", "expires"],
    ["not-before", "notBefore"],
    ["issuedAt", "issuedAt"],
  ] as const;
  for (const [key, field] of times) {
    const value = readString(object, key, root);
    if (value !== undefined) {
      token[field] = parseTime(value, childOf(root, key));
    }
  }
  return token;
}

/**
 * Returns the JSON form of a token, as Galène writes it in `tokens.jsonl`
 * and sends it in `usermessage` `token`/`tokenlist` values.
 */
export function serializeToken(token: StatefulToken): Record<string, unknown> {
  const out: Record<string, unknown> = {
    token: token.token,
    group: token.group,
  };
  if (token.includeSubgroups) out["includeSubgroups"] = true;
  if (token.username !== undefined) out["username"] = token.username;
  out["permissions"] = [...token.permissions];
  if (token.expires !== undefined) out["expires"] = formatTime(token.expires);
  if (token.notBefore !== undefined) {
    out["not-before"] = formatTime(token.notBefore);
  }
  if (token.issuedBy !== undefined) out["issuedBy"] = token.issuedBy;
  if (token.issuedAt !== undefined) {
    out["issuedAt"] = formatTime(token.issuedAt);
  }
  return out;
}

/**
 * Validates a list of internal permission names (named sets are not
 * accepted here: Galène stores and sends expanded lists). `system` is the
 * recorder's and is never granted by a token.
 *
 * @throws {TypeError} Naming `where` and the first unknown name.
 */
export function parsePermissionList(
  value: unknown,
  where: string,
): Permission[] {
  // Go writes a nil slice as null.
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new TypeError(`${where} must be an array of permission names`);
  }
  const list: Permission[] = [];
  for (const item of value) {
    if (typeof item !== "string" || !isPermission(item) || item === "system") {
      throw new TypeError(
        `${where} contains unknown permission ${JSON.stringify(item)} ` +
          `(expected some of ${
            PERMISSIONS.filter((p) => p !== "system").join(", ")
          })`,
      );
    }
    list.push(item);
  }
  return sortPermissions(list);
}

/**
 * Parses an RFC 3339 time into milliseconds since the epoch.
 *
 * @throws {TypeError} Naming `where` when the text is not RFC 3339.
 */
export function parseTime(text: string, where: string): number {
  const time = RFC3339.test(text) ? Date.parse(text.toUpperCase()) : NaN;
  if (Number.isNaN(time)) {
    throw new TypeError(
      `${where} must be an RFC 3339 time, got ${JSON.stringify(text)}`,
    );
  }
  return time;
}

/** Formats a time as RFC 3339 in UTC, without a fraction when it is zero. */
export function formatTime(time: number): string {
  return new Date(time).toISOString().replace(".000Z", "Z");
}

function refuse(
  reason: StatefulTokenRefusal,
  message: string,
): StatefulTokenCheck {
  return { ok: false, reason, message };
}
