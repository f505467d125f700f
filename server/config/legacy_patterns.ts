/**
 * Conversion of the obsolete `op`, `presenter` and `other` pattern lists of
 * old group files into users, as Galène converts them.
 *
 * @module
 */

import {
  childOf,
  expectObject,
  JsonObject,
  readString,
  rejectUnknownKeys,
} from "./json_fields.ts";
import { parsePassword } from "./password.ts";
import type { PermissionSetName } from "./permissions.ts";
import type { UserDescription } from "./user_description.ts";

/** The obsolete keys, in the order old Galène tried them, with their set. */
export const LEGACY_PATTERN_KEYS: ReadonlyArray<
  readonly [string, PermissionSetName]
> = [
  ["op", "op"],
  ["presenter", "present"],
  ["other", "message"],
];

/** Users converted from the obsolete lists. */
export interface LegacyUsers {
  /** Entries that named a username, first occurrence wins. */
  named: Array<readonly [string, UserDescription]>;
  /** Entries without a username, in the order old Galène tried them. */
  wildcards: UserDescription[];
  /** Whether any obsolete key was present at all. */
  present: boolean;
}

const PATTERN_KEYS: ReadonlySet<string> = new Set(["username", "password"]);

/**
 * Reads the obsolete pattern lists of `object`; a pattern without a username
 * matches any username, one without a password matches any password.
 *
 * @throws {TypeError} Naming `where` and the key on a malformed list.
 */
export function readLegacyPatterns(
  object: JsonObject,
  where: string,
): LegacyUsers {
  const result: LegacyUsers = { named: [], wildcards: [], present: false };
  for (const [key, permissions] of LEGACY_PATTERN_KEYS) {
    const list = object[key];
    if (list === undefined || list === null) continue;
    result.present = true;
    const listWhere = childOf(where, key);
    if (!Array.isArray(list)) {
      throw new TypeError(
        `${listWhere} must be an array of {username, password} patterns`,
      );
    }
    list.forEach((item, index) => {
      const itemWhere = childOf(listWhere, String(index));
      const pattern = expectObject(item, itemWhere);
      rejectUnknownKeys(pattern, { allowed: PATTERN_KEYS, where: itemWhere });
      const username = readString(pattern, "username", itemWhere);
      const password =
        pattern["password"] === undefined || pattern["password"] === null
          ? { type: "wildcard" as const }
          : parsePassword(pattern["password"], childOf(itemWhere, "password"));
      const user: UserDescription = { password, permissions };
      if (username === undefined) result.wildcards.push(user);
      else result.named.push([username, user]);
    });
  }
  return result;
}
