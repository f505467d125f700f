/**
 * The server-wide configuration file `data/config.json`, with Galène's
 * keys (the README's table lists them).
 *
 * @module
 */

import {
  childOf,
  expectObject,
  type JsonObject,
  readBoolean,
  readString,
  readStringArray,
  rejectUnknownKeys,
  rootOf,
} from "./json_fields.ts";
import {
  parseUserMap,
  serializeUserMap,
  type UserDescription,
} from "./user_description.ts";

/** A parsed `config.json`; every field has its default applied. */
export interface ServerConfig {
  /** Server administrators; only the `admin` permission means anything here. */
  users: Record<string, UserDescription>;
  /** Enables the admin API's writes and the password-change link. */
  writableGroups: boolean;
  /** Extra Origins allowed for `/ws` and WHIP. */
  allowOrigin: string[];
  /** Extra Origins allowed for the admin API. */
  allowAdminOrigin: string[];
  /** External base URL when behind a reverse proxy. */
  proxyURL?: string;
  /** Host that other Host names are redirected to; the JWT `aud` host. */
  canonicalHost?: string;
  /** Older Galène key: any Origin may open `/ws`. */
  publicServer: boolean;
  /** The secret edges and media nodes share (never logged). */
  clusterSecret?: string;
  /** One line per obsolete field met while parsing. */
  warnings: string[];
}

const CONFIG_KEYS: ReadonlySet<string> = new Set([
  "users",
  "writableGroups",
  "allowOrigin",
  "allowAdminOrigin",
  "proxyURL",
  "canonicalHost",
  "publicServer",
  "clusterSecret",
  "admin",
]);

/** Returns the configuration used when `config.json` does not exist. */
export function defaultServerConfig(): ServerConfig {
  return {
    users: Object.create(null),
    writableGroups: false,
    allowOrigin: [],
    allowAdminOrigin: [],
    publicServer: false,
    warnings: [],
  };
}

/**
 * Parses `config.json`.
 *
 * @example
 * ```ts
 * const config = parseServerConfig({ writableGroups: true }, { file: "data/config.json" });
 * ```
 * @throws {TypeError} Naming the file, the key and the problem, e.g.
 * `data/config.json: "proxyURL" must be an absolute URL`.
 */
export function parseServerConfig(
  json: unknown,
  options: { file: string },
): ServerConfig {
  const where = rootOf(options.file);
  const object = expectObject(json, where);
  rejectUnknownKeys(object, { allowed: CONFIG_KEYS, where });
  const config: ServerConfig = {
    users: parseUserMap(object["users"], childOf(where, "users")),
    writableGroups: readBoolean(object, "writableGroups", where) ?? false,
    allowOrigin: readStringArray(object, "allowOrigin", where) ?? [],
    allowAdminOrigin: readStringArray(object, "allowAdminOrigin", where) ?? [],
    publicServer: readBoolean(object, "publicServer", where) ?? false,
    warnings: [],
  };
  const proxyURL = readString(object, "proxyURL", where);
  if (proxyURL !== undefined && proxyURL !== "") {
    if (!URL.canParse(proxyURL)) {
      throw new TypeError(
        `${childOf(where, "proxyURL")} must be an absolute URL`,
      );
    }
    config.proxyURL = proxyURL;
  }
  const canonicalHost = readString(object, "canonicalHost", where);
  if (canonicalHost !== undefined && canonicalHost !== "") {
    config.canonicalHost = canonicalHost;
  }
  const clusterSecret = readString(object, "clusterSecret", where);
  if (clusterSecret !== undefined && clusterSecret !== "") {
    if (new TextEncoder().encode(clusterSecret).length < 32) {
      throw new TypeError(
        `${childOf(where, "clusterSecret")} must be at least 32 bytes`,
      );
    }
    config.clusterSecret = clusterSecret;
  }
  if (object["admin"] !== undefined) {
    config.warnings.push(
      `${childOf(where, "admin")} is obsolete and ignored; use "users"`,
    );
  }
  return config;
}

/** Returns the JSON form of a configuration, leaving out defaults. */
export function serializeServerConfig(config: ServerConfig): JsonObject {
  const out: JsonObject = {};
  if (Object.keys(config.users).length > 0) {
    out["users"] = serializeUserMap(config.users);
  }
  if (config.writableGroups) out["writableGroups"] = true;
  if (config.allowOrigin.length > 0) {
    out["allowOrigin"] = [...config.allowOrigin];
  }
  if (config.allowAdminOrigin.length > 0) {
    out["allowAdminOrigin"] = [...config.allowAdminOrigin];
  }
  if (config.proxyURL !== undefined) out["proxyURL"] = config.proxyURL;
  if (config.canonicalHost !== undefined) {
    out["canonicalHost"] = config.canonicalHost;
  }
  if (config.publicServer) out["publicServer"] = true;
  if (config.clusterSecret !== undefined) {
    out["clusterSecret"] = config.clusterSecret;
  }
  return out;
}
