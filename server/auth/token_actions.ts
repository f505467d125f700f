/**
 * The pure logic of token management from the chat (`groupaction`
 * `maketoken` and `edittoken`, Galène's rules): checking a
 * client's template or change against the rules, before the store is
 * touched.
 *
 * @module
 */

import * as jose from "jose";
import {
  type GroupDescription,
  isConfiguredUser,
} from "../config/group_description.ts";
import { isValidUsername } from "../config/group_name.ts";
import { isJsonObject, type JsonObject } from "../config/json_fields.ts";
import type { Permission } from "../config/permissions.ts";
import {
  parsePermissionList,
  parseTime,
  STATEFUL_TOKEN_KEYS,
  type StatefulToken,
} from "./stateful_token.ts";

export { serializeToken } from "./stateful_token.ts";

/** The lifetime `/invite` and `/reinvite` give when none is typed: a day. */
export const DEFAULT_INVITE_DURATION = 24 * 3600 * 1000;

// Without a list, an invitation lets its holder do what a presenter does,
// bounded by what the creator may do.
const DEFAULT_PERMISSIONS: readonly Permission[] = ["present", "message"];

// ECMAScript's Date range, section 21.4.1.22.
const MAX_TIME = 8.64e15;

/** The user creating a token. */
export interface TokenCreator {
  username: string;
  permissions: readonly Permission[];
}

/**
 * Builds a new stateful token from a client's `maketoken` value. `expires`
 * is required: an RFC 3339 date, or a number of milliseconds from `now`
 * (the client fills in its default of {@link DEFAULT_INVITE_DURATION});
 * `not-before` likewise. The token is for this group only, without
 * subgroups; its username must not be a configured user's; its permissions
 * default to the creator's `present` and `message` and may not exceed the
 * creator's.
 *
 * @example
 * ```ts
 * const token = makeToken({ expires: 3600_000 }, {
 *   creator: { username: "vimes", permissions: ["op", "present", "message", "token"] },
 *   group: "night-watch", description, now: Date.now(), newName: newTokenName(),
 * });
 * ```
 * @throws {TypeError} Explaining which rule the template breaks.
 */
export function makeToken(
  template: unknown,
  options: {
    creator: TokenCreator;
    group: string;
    description: GroupDescription;
    now: number;
    newName: string;
  },
): StatefulToken {
  const { creator, group, description, now } = options;
  const fail = (why: string) => new TypeError(`Cannot create token: ${why}`);
  if (!creator.permissions.includes("token")) {
    throw fail("you lack the token permission");
  }
  const value = expectTemplate(template, "create");
  for (const key of Object.keys(value)) {
    if (!STATEFUL_TOKEN_KEYS.includes(key)) {
      throw fail(`unknown field ${JSON.stringify(key)}`);
    }
  }
  if (!isAbsent(value["token"]) && value["token"] !== "") {
    throw fail("the server chooses the token's name");
  }
  const claimed = value["group"];
  if (!isAbsent(claimed) && claimed !== group) {
    throw fail(`it would be for another group than ${JSON.stringify(group)}`);
  }
  if (
    !isAbsent(value["includeSubgroups"]) && value["includeSubgroups"] !== false
  ) {
    throw fail("a token made here cannot include subgroups");
  }
  const permissions = isAbsent(value["permissions"])
    ? DEFAULT_PERMISSIONS.filter((p) => creator.permissions.includes(p))
    : parsePermissionList(value["permissions"], 'Token template "permissions"');
  const lacking = permissions.find((p) => !creator.permissions.includes(p));
  if (lacking !== undefined) {
    throw fail(`you lack the ${JSON.stringify(lacking)} permission`);
  }
  const expires = readWhen(value, "expires", { now, fail });
  if (expires === undefined) throw fail("it must have an expiry date");
  if (expires <= now) throw fail("its expiry date has passed");
  const token: StatefulToken = {
    token: options.newName,
    group,
    includeSubgroups: false,
    permissions,
    expires,
    issuedBy: creator.username,
    issuedAt: now,
  };
  const username = value["username"];
  if (!isAbsent(username)) {
    if (typeof username !== "string" || !isValidUsername(username)) {
      throw fail("its username is not valid");
    }
    if (isConfiguredUser(description, username)) {
      throw fail(`username ${JSON.stringify(username)} is taken`);
    }
    token.username = username;
  }
  const notBefore = readWhen(value, "not-before", { now, fail });
  if (notBefore !== undefined) token.notBefore = notBefore;
  return token;
}

/**
 * Applies a client's `edittoken` value to `existing`: only `expires` and
 * `not-before` may change (a number is milliseconds from `now`, a string an
 * RFC 3339 date, `null` clears `not-before`); `token` and `group`, if
 * present, must name the edited token. `/revoke` sends `expires: -1000`.
 *
 * @throws {TypeError} When the token belongs to another group or the change
 * touches another field.
 */
export function editToken(
  existing: StatefulToken,
  change: unknown,
  options: { now: number; group: string },
): StatefulToken {
  const { now, group } = options;
  const fail = (why: string) => new TypeError(`Cannot edit token: ${why}`);
  if (existing.group !== group) {
    throw fail(`it is not a token of group ${JSON.stringify(group)}`);
  }
  const value = expectTemplate(change, "edit");
  for (const [key, field] of Object.entries(value)) {
    const naming = (key === "token" && field === existing.token) ||
      (key === "group" && field === existing.group);
    if (!naming && key !== "expires" && key !== "not-before") {
      throw fail(
        `only "expires" and "not-before" can change, not ${
          JSON.stringify(key)
        }`,
      );
    }
  }
  const edited: StatefulToken = {
    ...existing,
    permissions: [...existing.permissions],
  };
  if (value["expires"] === null) throw fail("a token must have an expiry date");
  const expires = readWhen(value, "expires", { now, fail });
  if (expires !== undefined) edited.expires = expires;
  if (value["not-before"] === null) delete edited.notBefore;
  const notBefore = readWhen(value, "not-before", { now, fail });
  if (notBefore !== undefined) edited.notBefore = notBefore;
  return edited;
}

/**
 * Returns the token name in an `edittoken` value.
 *
 * @throws {TypeError} When there is none.
 */
export function tokenNameOf(change: unknown): string {
  const name = isJsonObject(change) ? change["token"] : undefined;
  if (typeof name !== "string" || name === "") {
    throw new TypeError('Cannot edit token: "token" must name it');
  }
  return name;
}

/** Returns a fresh token name: 8 random bytes in base64url, as Galène. */
export function newTokenName(): string {
  return jose.base64url.encode(crypto.getRandomValues(new Uint8Array(8)));
}

function expectTemplate(value: unknown, verb: string): JsonObject {
  if (!isJsonObject(value)) {
    throw new TypeError(
      `Cannot ${verb} token: the value must be a JSON object`,
    );
  }
  return value;
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}

/** Reads a time given as milliseconds from `now` or as an RFC 3339 date. */
function readWhen(
  value: JsonObject,
  key: "expires" | "not-before",
  options: { now: number; fail: (why: string) => TypeError },
): number | undefined {
  const field = value[key];
  if (isAbsent(field)) return undefined;
  let time: number;
  if (typeof field === "number") {
    time = options.now + field;
  } else if (typeof field === "string") {
    try {
      time = parseTime(field, JSON.stringify(key));
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      throw options.fail(error.message);
    }
  } else {
    throw options.fail(`${JSON.stringify(key)} must be a date or a number`);
  }
  if (!Number.isFinite(time) || Math.abs(time) > MAX_TIME) {
    throw options.fail(`${JSON.stringify(key)} is out of range`);
  }
  return time;
}
