/**
 * A user entry of a group file or `config.json`: `{password, permissions}`.
 *
 * @module
 */

import {
  childOf,
  expectObject,
  type JsonObject,
  rejectUnknownKeys,
} from "./json_fields.ts";
import { parsePassword, type Password, serializePassword } from "./password.ts";
import { parsePermissionSpec, type PermissionSpec } from "./permissions.ts";

/** A configured user: a missing password never matches (`type: "none"`). */
export interface UserDescription {
  password: Password;
  permissions: PermissionSpec;
}

const USER_KEYS: ReadonlySet<string> = new Set(["password", "permissions"]);

/**
 * Parses `{password?, permissions?}`; missing permissions mean none at all.
 *
 * @throws {TypeError} Naming `where` and the key on an unknown key or a
 * wrong type.
 */
export function parseUserDescription(
  value: unknown,
  where: string,
): UserDescription {
  const object = expectObject(value, where);
  rejectUnknownKeys(object, { allowed: USER_KEYS, where });
  const permissions = object["permissions"];
  return {
    password: parsePassword(object["password"], childOf(where, "password")),
    permissions: permissions === undefined || permissions === null
      ? Object.freeze([])
      : parsePermissionSpec(permissions, childOf(where, "permissions")),
  };
}

/**
 * Parses a map of usernames to users into an object without a prototype, so
 * that names such as `__proto__` or `constructor` are ordinary keys.
 *
 * @throws {TypeError} Naming `where` and the user on any problem.
 */
export function parseUserMap(
  value: unknown,
  where: string,
): Record<string, UserDescription> {
  const users: Record<string, UserDescription> = Object.create(null);
  if (value === undefined || value === null) return users;
  const object = expectObject(value, where);
  for (const [name, entry] of Object.entries(object)) {
    users[name] = parseUserDescription(entry, childOf(where, name));
  }
  return users;
}

/** Returns the JSON form of a user, leaving out a `none` password. */
export function serializeUserDescription(user: UserDescription): JsonObject {
  const password = serializePassword(user.password);
  return {
    ...(password === undefined ? {} : { password }),
    permissions: typeof user.permissions === "string"
      ? user.permissions
      : [...user.permissions],
  };
}

/** Returns the JSON form of a user map. */
export function serializeUserMap(
  users: Record<string, UserDescription>,
): JsonObject {
  const result: JsonObject = {};
  for (const [name, user] of Object.entries(users)) {
    Object.defineProperty(result, name, {
      value: serializeUserDescription(user),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return result;
}
