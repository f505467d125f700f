/**
 * JWT ("cryptographic") tokens, Galène's, verified against the JWKs
 * in the group's `authKeys`.
 *
 * @module
 */

import * as jose from "jose";
import { isValidUsername } from "../config/group_name.ts";
import { isJsonObject, type JsonObject } from "../config/json_fields.ts";
import type { Permission } from "../config/permissions.ts";
import { parsePermissionList } from "./stateful_token.ts";

/** The signature algorithms Galène accepts; anything else is refused. */
export type JwtAlgorithm = "HS256" | "HS384" | "HS512" | "ES256" | "RS256";

/** The accepted algorithms. */
export const JWT_ALGORITHMS: readonly JwtAlgorithm[] = Object.freeze([
  "HS256",
  "HS384",
  "HS512",
  "ES256",
  "RS256",
]);

/** A JWK from `authKeys`, checked and reduced to its public part. */
export interface AuthKey {
  alg: JwtAlgorithm;
  kid?: string;
  jwk: jose.JWK;
}

/** The outcome of {@link verifyJwt}. */
export type JwtResult =
  | { ok: true; username?: string; permissions: Permission[] }
  | { ok: false; message: string };

/** Seconds of clock skew forgiven on `exp`, `nbf` and `iat`, as Galène. */
export const JWT_LEEWAY = 5;

/**
 * A JWT is a few hundred bytes; refusing huge ones bounds the work an
 * unauthenticated client can cause.
 */
export const MAX_JWT_LENGTH = 16 * 1024;

// RFC 7518 section 3.2: an HMAC key at least as long as the hash output.
const HMAC_KEY_BYTES: Record<"HS256" | "HS384" | "HS512", number> = {
  HS256: 32,
  HS384: 48,
  HS512: 64,
};

/**
 * Checks an HMAC key's length for `alg` (RFC 7518 section 3.2: at least
 * as long as the hash output).
 *
 * @throws {TypeError} `WHERE is too short for ALG: at least N bytes needed`.
 */
export function checkHmacKeyLength(
  alg: "HS256" | "HS384" | "HS512",
  options: { bytes: number; where: string },
): void {
  const needed = HMAC_KEY_BYTES[alg];
  if (options.bytes < needed) {
    throw new TypeError(
      `${options.where} is too short for ${alg}: at least ${needed} bytes needed`,
    );
  }
}

/**
 * Checks a JWK from `authKeys`: `alg` is required and must agree with the
 * key type (`oct` for HS*, `EC` P-256 for ES256, `RSA` of 2048 bits or more
 * for RS256); HMAC keys must be at least as long as the hash; keys marked
 * for another use than signatures are refused. Private members are dropped.
 *
 * @throws {TypeError} Naming `where` and the problem.
 */
export function parseAuthKey(value: unknown, where: string): AuthKey {
  if (!isJsonObject(value)) throw new TypeError(`${where} must be a JWK`);
  const alg = value["alg"];
  if (typeof alg !== "string" || !isJwtAlgorithm(alg)) {
    throw new TypeError(
      `${where} must have "alg" set to one of ${JWT_ALGORITHMS.join(", ")}`,
    );
  }
  const use = value["use"];
  const ops = value["key_ops"];
  if (
    (use !== undefined && use !== "sig") ||
    (ops !== undefined && !(Array.isArray(ops) && ops.includes("verify")))
  ) {
    throw new TypeError(`${where} is not a signature verification key`);
  }
  const key: AuthKey = { alg, jwk: publicPart(value, { alg, where }) };
  const kid = value["kid"];
  if (kid !== undefined) {
    if (typeof kid !== "string") {
      throw new TypeError(`${where} "kid" must be a string`);
    }
    key.kid = kid;
  }
  return key;
}

/**
 * Verifies a JWT for a join to `group`: its signature by one of the group's
 * `authKeys` (filtered by the header's `alg` and `kid`, every candidate
 * tried), `exp` required, `nbf` and `iat` honoured with a 5 s leeway, an
 * `aud` naming this group's URL, and the `sub` and `permissions` claims.
 *
 * @example
 * ```ts
 * const result = await verifyJwt(jwt, { group: "night-watch", description, config, now: Date.now() });
 * ```
 */
export async function verifyJwt(
  token: string,
  options: {
    group: string;
    description: { authKeys: readonly JsonObject[] };
    config: { canonicalHost?: string; proxyURL?: string };
    now: number;
  },
): Promise<JwtResult> {
  const { group, description, config, now } = options;
  if (token.length > MAX_JWT_LENGTH) return refuse("JWT is too long");
  let header: jose.ProtectedHeaderParameters;
  try {
    header = jose.decodeProtectedHeader(token);
  } catch {
    return refuse("JWT header is malformed");
  }
  const alg = header.alg;
  if (typeof alg !== "string" || !isJwtAlgorithm(alg)) {
    return refuse(`JWT algorithm ${JSON.stringify(alg)} is not accepted`);
  }
  const selected = selectKeys(description.authKeys, { alg, kid: header.kid });
  if (selected.keys.length === 0) {
    return refuse(
      `Group ${JSON.stringify(group)} has no usable ${alg} key` +
        (header.kid === undefined
          ? ""
          : ` with kid ${JSON.stringify(header.kid)}`) +
        (selected.problems.length > 0
          ? ` (${selected.problems.join("; ")})`
          : ""),
    );
  }
  const verified = await verifySignature(token, { keys: selected.keys, now });
  if (!verified.ok) return verified;
  return checkClaims(verified.payload, { group, config, now });
}

/** Returns `true` when the audience list contains a URL of `group`. */
export function audienceAllows(
  aud: unknown,
  options: {
    group: string;
    includeSubgroups: boolean;
    config: { canonicalHost?: string; proxyURL?: string };
  },
): boolean {
  const list = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  const { group, includeSubgroups, config } = options;
  const bases = ["/"];
  const proxyPath = config.proxyURL === undefined
    ? undefined
    : URL.parse(config.proxyURL)?.pathname;
  if (proxyPath !== undefined && proxyPath !== "/") {
    bases.push(proxyPath.endsWith("/") ? proxyPath : `${proxyPath}/`);
  }
  const host = config.canonicalHost?.toLowerCase();
  return list.some((item) => {
    if (typeof item !== "string") return false;
    const url = URL.parse(item);
    if (!url || (host !== undefined && url.host.toLowerCase() !== host)) {
      return false;
    }
    const path = decodePath(url.pathname);
    if (path === undefined) return false;
    return bases.some((base) => {
      const expected = `${base}group/${group}/`;
      if (path === expected) return true;
      // A prefix ending in "/" so that "/group/a/" opens "a/b" but not "ab".
      return includeSubgroups && path.endsWith("/") &&
        path.startsWith(`${base}group/`) && expected.startsWith(path);
    });
  });
}

function selectKeys(
  authKeys: readonly JsonObject[],
  wanted: { alg: JwtAlgorithm; kid: string | undefined },
): { keys: AuthKey[]; problems: string[] } {
  const keys: AuthKey[] = [];
  const problems: string[] = [];
  authKeys.forEach((value, i) => {
    if (value["alg"] !== wanted.alg) return;
    if (wanted.kid !== undefined && value["kid"] !== wanted.kid) return;
    try {
      keys.push(parseAuthKey(value, `authKeys[${i}]`));
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      problems.push(error.message);
    }
  });
  return { keys, problems };
}

async function verifySignature(
  token: string,
  options: { keys: AuthKey[]; now: number },
): Promise<
  { ok: true; payload: jose.JWTPayload } | { ok: false; message: string }
> {
  let message = "JWT signature does not match any key";
  for (const key of options.keys) {
    try {
      const imported = await jose.importJWK(key.jwk, key.alg);
      const { payload } = await jose.jwtVerify(token, imported, {
        algorithms: [key.alg],
        clockTolerance: JWT_LEEWAY,
        currentDate: new Date(options.now),
        requiredClaims: ["exp"],
      });
      return { ok: true, payload };
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      // A claim failure means the signature was good: it is the better reason.
      if (error instanceof jose.errors.JWTClaimValidationFailed) {
        message = `JWT refused: ${error.message}`;
      } else if (error instanceof jose.errors.JWTExpired) {
        message = "JWT has expired";
      } else if (error instanceof jose.errors.JWTInvalid) {
        message = `JWT is invalid: ${error.message}`;
      }
    }
  }
  return refuse(message);
}

function checkClaims(
  payload: jose.JWTPayload,
  options: {
    group: string;
    config: { canonicalHost?: string; proxyURL?: string };
    now: number;
  },
): JwtResult {
  const { group, config, now } = options;
  if (
    payload.iat !== undefined &&
    payload.iat > Math.floor(now / 1000) + JWT_LEEWAY
  ) {
    return refuse("JWT was issued in the future");
  }
  const include = payload["include-subgroups"];
  if (include !== undefined && typeof include !== "boolean") {
    return refuse('JWT claim "include-subgroups" must be a boolean');
  }
  if (payload.aud === undefined) return refuse('JWT has no "aud" claim');
  if (
    !audienceAllows(payload.aud, {
      group,
      includeSubgroups: include === true,
      config,
    })
  ) {
    return refuse(
      `JWT audience does not include group ${JSON.stringify(group)}`,
    );
  }
  const sub = payload.sub;
  if (sub !== undefined && (typeof sub !== "string" || !isValidUsername(sub))) {
    return refuse('JWT claim "sub" is not a valid username');
  }
  let permissions: Permission[];
  try {
    permissions = parsePermissionList(
      payload["permissions"],
      'JWT claim "permissions"',
    );
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return refuse(error.message);
  }
  // Galène: an empty subject leaves the choice of username to the client.
  return sub === undefined || sub === ""
    ? { ok: true, permissions }
    : { ok: true, username: sub, permissions };
}

function publicPart(
  value: JsonObject,
  options: { alg: JwtAlgorithm; where: string },
): jose.JWK {
  const { alg, where } = options;
  const member = (name: string): string => {
    const v = value[name];
    if (typeof v !== "string" || !/^[A-Za-z0-9_-]+$/.test(v)) {
      throw new TypeError(`${where} "${name}" must be a base64url string`);
    }
    return v;
  };
  const bytes = (name: string) => jose.base64url.decode(member(name)).length;
  if (alg === "HS256" || alg === "HS384" || alg === "HS512") {
    if (value["kty"] !== "oct") {
      throw new TypeError(`${where} must have "kty" "oct" for ${alg}`);
    }
    checkHmacKeyLength(alg, { bytes: bytes("k"), where });
    return { kty: "oct", k: member("k") };
  }
  if (alg === "ES256") {
    if (value["kty"] !== "EC" || value["crv"] !== "P-256") {
      throw new TypeError(`${where} must be an EC P-256 key for ES256`);
    }
    return { kty: "EC", crv: "P-256", x: member("x"), y: member("y") };
  }
  if (value["kty"] !== "RSA") {
    throw new TypeError(`${where} must be an RSA key for RS256`);
  }
  if (bytes("n") * 8 < 2048) {
    throw new TypeError(`${where} is too short: RSA keys need 2048 bits`);
  }
  return { kty: "RSA", n: member("n"), e: member("e") };
}

function decodePath(path: string): string | undefined {
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

function isJwtAlgorithm(alg: string): alg is JwtAlgorithm {
  return (JWT_ALGORITHMS as readonly string[]).includes(alg);
}

function refuse(message: string): { ok: false; message: string } {
  return { ok: false, message };
}
