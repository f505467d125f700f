/**
 * A group file (`groups/NAME.json`, keys in the README) parsed into typed values
 * with defaults applied, and the password login algorithm over it.
 *
 * @module
 */

import {
  childOf,
  expectObject,
  isJsonObject,
  type JsonObject,
  readBoolean,
  readNonNegativeInteger,
  readString,
  readStringArray,
  rejectUnknownKeys,
  rootOf,
} from "./json_fields.ts";
import {
  type CodecName,
  DEFAULT_CODECS,
  parseCodecNames,
} from "../media/codec_names.ts";
import { readLegacyPatterns } from "./legacy_patterns.ts";
import { checkPassword, type HashingOptions } from "./password.ts";
import { expandPermissions, type Permission } from "./permissions.ts";
import {
  parseUserDescription,
  parseUserMap,
  serializeUserDescription,
  serializeUserMap,
  type UserDescription,
} from "./user_description.ts";

export type { UserDescription } from "./user_description.ts";
export type { CodecName } from "../media/codec_names.ts";

/** Chat history lifetime of a group that does not set one: four hours. */
export const DEFAULT_MAX_HISTORY_AGE = 14400;

/** A parsed group file; every field has its default applied. */
export interface GroupDescription {
  /** Configured users, in an object without a prototype. */
  users: Record<string, UserDescription>;
  /** The user that any other username may log in as. */
  wildcardUser?: UserDescription;
  /** Further users for unknown usernames, tried in order after the wildcard user. */
  fallbackUsers: UserDescription[];
  /** JWKs that verify JWTs, kept raw for the token layer to import. */
  authKeys: JsonObject[];
  authServer?: string;
  authPortal?: string;
  public: boolean;
  displayName: string;
  description: string;
  contact: string;
  comment: string;
  redirect?: string;
  /** 0 means unlimited. */
  maxClients: number;
  /** Seconds. */
  maxHistoryAge: number;
  notBefore?: Date;
  expires?: Date;
  allowRecording: boolean;
  unrestrictedTokens: boolean;
  autoSubgroups: boolean;
  autolock: boolean;
  autokick: boolean;
  /** Allowed codecs in preference order. */
  codecs: CodecName[];
  /** Obsolete: kept for round trips; empty usernames need no special flag. */
  allowAnonymous: boolean;
  /** One line per obsolete field met while parsing. */
  warnings: string[];
}

// Every key Galène's decoder accepts; any other key makes the file invalid.
const GROUP_KEYS: ReadonlySet<string> = new Set(
  [
    "users wildcard-user fallback-users authKeys authServer authPortal public",
    "displayName description contact comment redirect max-clients",
    "max-history-age not-before expires allow-recording unrestricted-tokens",
    "auto-subgroups autolock autokick codecs allow-anonymous allow-subgroups",
    "op presenter other",
  ].join(" ").split(" "),
);

// RFC 3339 section 5.6, as Go's time.Time accepts it in JSON.
const RFC3339 =
  /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses a group file, converting obsolete forms.
 *
 * @example
 * ```ts
 * const d = parseGroupDescription({ users: { bob: { password: "x", permissions: "op" } } }, {
 *   file: "groups/demo.json",
 * });
 * ```
 * @throws {TypeError} Naming the file, the key and the problem, e.g.
 * `groups/demo.json: unknown key "foo"`.
 */
export function parseGroupDescription(
  json: unknown,
  options: { file: string },
): GroupDescription {
  const where = rootOf(options.file);
  const object = expectObject(json, where);
  rejectUnknownKeys(object, { allowed: GROUP_KEYS, where });
  const warnings: string[] = [];
  const obsolete = (key: string, advice: string) => {
    if (object[key] !== undefined) {
      warnings.push(`${childOf(where, key)} is obsolete; ${advice}`);
    }
  };

  const users = parseUserMap(object["users"], childOf(where, "users"));
  const wildcard = object["wildcard-user"];
  let wildcardUser = wildcard === undefined || wildcard === null
    ? undefined
    : parseUserDescription(wildcard, childOf(where, "wildcard-user"));
  const fallbackUsers = readArray(object, "fallback-users", where).map((
    item,
    i,
  ) =>
    parseUserDescription(
      item,
      childOf(childOf(where, "fallback-users"), String(i)),
    )
  );

  const legacy = readLegacyPatterns(object, where);
  if (legacy.present) {
    warnings.push(
      `${where} "op", "presenter" and "other" are obsolete; use "users"`,
    );
  }
  for (const [name, user] of legacy.named) {
    if (Object.hasOwn(users, name)) {
      warnings.push(
        `${where} user ${
          JSON.stringify(name)
        } is defined twice; the first wins`,
      );
    } else {
      users[name] = user;
    }
  }
  if (
    legacy.wildcards.length === 1 && !wildcardUser && fallbackUsers.length === 0
  ) {
    wildcardUser = legacy.wildcards[0];
  } else {
    fallbackUsers.push(...legacy.wildcards);
  }

  const authKeys = readArray(object, "authKeys", where).map((key, i) => {
    if (!isJsonObject(key)) {
      throw new TypeError(
        `${
          childOf(childOf(where, "authKeys"), String(i))
        } must be a JWK object`,
      );
    }
    return key;
  });

  obsolete("allow-subgroups", 'use "auto-subgroups"');
  obsolete("allow-anonymous", "an empty username is handled like any other");
  const allowSubgroups = readBoolean(object, "allow-subgroups", where) ?? false;
  const maxHistoryAge =
    readNonNegativeInteger(object, "max-history-age", where) ?? 0;

  const description: GroupDescription = {
    users,
    fallbackUsers,
    authKeys,
    public: readBoolean(object, "public", where) ?? false,
    displayName: readString(object, "displayName", where) ?? "",
    description: readString(object, "description", where) ?? "",
    contact: readString(object, "contact", where) ?? "",
    comment: readString(object, "comment", where) ?? "",
    maxClients: readNonNegativeInteger(object, "max-clients", where) ?? 0,
    // Galène treats 0 as "not set".
    maxHistoryAge: maxHistoryAge === 0
      ? DEFAULT_MAX_HISTORY_AGE
      : maxHistoryAge,
    allowRecording: readBoolean(object, "allow-recording", where) ?? false,
    unrestrictedTokens: readBoolean(object, "unrestricted-tokens", where) ??
      false,
    autoSubgroups: (readBoolean(object, "auto-subgroups", where) ?? false) ||
      allowSubgroups,
    autolock: readBoolean(object, "autolock", where) ?? false,
    autokick: readBoolean(object, "autokick", where) ?? false,
    codecs: parseCodecNames(
      readStringArray(object, "codecs", where),
      childOf(where, "codecs"),
    ),
    allowAnonymous: readBoolean(object, "allow-anonymous", where) ?? false,
    warnings,
  };
  if (wildcardUser) description.wildcardUser = wildcardUser;
  for (
    const [key, field] of [["authServer", "authServer"], [
      "authPortal",
      "authPortal",
    ]] as const
  ) {
    const value = readString(object, key, where);
    if (value !== undefined) description[field] = value;
  }
  const redirect = readString(object, "redirect", where);
  if (redirect !== undefined) description.redirect = redirect;
  const notBefore = readTime(object, "not-before", where);
  if (notBefore) description.notBefore = notBefore;
  const expires = readTime(object, "expires", where);
  if (expires) description.expires = expires;
  return description;
}

/**
 * Logs a user in with a password: a configured username must match its own
 * password (no fallback); any other username tries the wildcard user, then
 * the fallback users in order. Returns the expanded permissions, or `null`.
 */
export async function authenticateUser(
  description: GroupDescription,
  credentials: { username: string; password: string } & HashingOptions,
): Promise<Permission[] | null> {
  const { username, password } = credentials;
  const hashing: HashingOptions = credentials.limiter
    ? { limiter: credentials.limiter }
    : {};
  const expand = (user: UserDescription) =>
    expandPermissions(user.permissions, description);
  const own = Object.hasOwn(description.users, username)
    ? description.users[username]
    : undefined;
  if (own) {
    return await checkPassword(own.password, password, hashing)
      ? expand(own)
      : null;
  }
  const candidates = description.wildcardUser
    ? [description.wildcardUser, ...description.fallbackUsers]
    : description.fallbackUsers;
  for (const user of candidates) {
    if (await checkPassword(user.password, password, hashing)) {
      return expand(user);
    }
  }
  return null;
}

/** Returns `true` when `username` is a key of the group's `users`. */
export function isConfiguredUser(
  description: GroupDescription,
  username: string,
): boolean {
  return Object.hasOwn(description.users, username);
}

/**
 * Returns the group file's JSON with Galène's key names, leaving out fields
 * at their defaults; obsolete forms are written in their modern form.
 */
export function serializeGroupDescription(
  d: GroupDescription,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (key: string, value: unknown, omit: unknown) => {
    if (value !== undefined && value !== omit) out[key] = value;
  };
  if (Object.keys(d.users).length > 0) out["users"] = serializeUserMap(d.users);
  if (d.wildcardUser) {
    out["wildcard-user"] = serializeUserDescription(d.wildcardUser);
  }
  if (d.fallbackUsers.length > 0) {
    out["fallback-users"] = d.fallbackUsers.map(serializeUserDescription);
  }
  if (d.authKeys.length > 0) {
    out["authKeys"] = d.authKeys.map((k) => ({ ...k }));
  }
  set("authServer", d.authServer, undefined);
  set("authPortal", d.authPortal, undefined);
  set("public", d.public, false);
  set("displayName", d.displayName, "");
  set("description", d.description, "");
  set("contact", d.contact, "");
  set("comment", d.comment, "");
  set("redirect", d.redirect, undefined);
  set("max-clients", d.maxClients, 0);
  set("max-history-age", d.maxHistoryAge, DEFAULT_MAX_HISTORY_AGE);
  set("not-before", d.notBefore?.toISOString(), undefined);
  set("expires", d.expires?.toISOString(), undefined);
  set("allow-recording", d.allowRecording, false);
  set("unrestricted-tokens", d.unrestrictedTokens, false);
  set("auto-subgroups", d.autoSubgroups, false);
  set("autolock", d.autolock, false);
  set("autokick", d.autokick, false);
  if (d.codecs.join() !== DEFAULT_CODECS.join()) out["codecs"] = [...d.codecs];
  set("allow-anonymous", d.allowAnonymous, false);
  return out;
}

function readArray(object: JsonObject, key: string, where: string): unknown[] {
  const value = object[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new TypeError(`${childOf(where, key)} must be an array`);
  }
  return value;
}

function readTime(
  object: JsonObject,
  key: string,
  where: string,
): Date | undefined {
  const value = readString(object, key, where);
  if (value === undefined) return undefined;
  const time = RFC3339.test(value) ? new Date(value) : undefined;
  if (!time || Number.isNaN(time.getTime())) {
    throw new TypeError(
      `${childOf(where, key)} must be an RFC 3339 time, got ${
        JSON.stringify(value)
      }`,
    );
  }
  return time;
}
