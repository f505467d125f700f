/**
 * Authentication between edges and media nodes: an edge mints a short-lived
 * JWT (HS256, signed with the cluster's shared secret) for one media node,
 * and the node verifies it before it accepts the edge's control
 * connection. The audience names the node, so a token for one node is
 * refused by another; lifetimes are capped, so a token leaked from one
 * connection is soon useless. The secret is checked once (at least 32
 * bytes, as for any HS256 key) and never appears in a message.
 *
 * @example
 * ```ts
 * const tokens = new EdgeTokens(sharedSecret);
 * const jwt = await tokens.mint({ edgeId: "edge-1", nodeId: "media-2", now: Date.now() });
 * const result = await tokens.verify(jwt, { nodeId: "media-2", now: Date.now() });
 * ```
 *
 * @module
 */

import * as jose from "jose";
import { checkHmacKeyLength, JWT_LEEWAY, MAX_JWT_LENGTH } from "../auth/jwt.ts";

/** The outcome of {@link EdgeTokens.verify}. */
export type EdgeTokenResult =
  | { ok: true; edgeId: string }
  | { ok: false; message: string };

const ALG = "HS256";
const ISSUER = "nereid-edge";
/** Seconds a minted token lives by default. */
export const EDGE_TOKEN_SECONDS = 60;
/** The longest lifetime a node accepts, in seconds. */
export const MAX_EDGE_TOKEN_SECONDS = 300;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The audience of tokens for one media node. */
export function mediaNodeAudience(nodeId: string): string {
  return `nereid-media:${nodeId}`;
}

/** Mints and verifies edge tokens with one shared secret. */
export class EdgeTokens {
  readonly #key: Uint8Array;

  /**
   * @param secret The cluster's shared secret (UTF-8, at least 32 bytes).
   * @throws {TypeError} When the secret is too short.
   */
  constructor(secret: string) {
    const key = new TextEncoder().encode(secret);
    checkHmacKeyLength(ALG, { bytes: key.length, where: "The cluster secret" });
    this.#key = key;
  }

  /**
   * A token that lets `edgeId` in at `nodeId` for `seconds` from `now`.
   *
   * @throws {TypeError} When an id is not 1 to 64 letters, digits, `.`,
   * `_` or `-`.
   * @throws {RangeError} When `seconds` is not in 1…300.
   */
  mint(options: {
    edgeId: string;
    nodeId: string;
    now: number;
    seconds?: number;
  }): Promise<string> {
    const { edgeId, nodeId, now } = options;
    const seconds = options.seconds ?? EDGE_TOKEN_SECONDS;
    checkId("edgeId", edgeId);
    checkId("nodeId", nodeId);
    if (
      !Number.isInteger(seconds) || seconds < 1 ||
      seconds > MAX_EDGE_TOKEN_SECONDS
    ) {
      throw new RangeError(
        `Edge token lifetime must be 1 to ${MAX_EDGE_TOKEN_SECONDS} seconds`,
      );
    }
    const iat = Math.floor(now / 1000);
    return new jose.SignJWT({})
      .setProtectedHeader({ alg: ALG, typ: "JWT" })
      .setIssuer(ISSUER)
      .setSubject(edgeId)
      .setAudience(mediaNodeAudience(nodeId))
      .setIssuedAt(iat)
      .setExpirationTime(iat + seconds)
      .sign(this.#key);
  }

  /**
   * Checks a token presented to media node `nodeId` at `now`: the
   * signature (HS256 only), the audience, `exp` and `iat` (5 s leeway, as
   * for group JWTs) and a lifetime of at most 300 s.
   */
  async verify(
    token: string,
    options: { nodeId: string; now: number },
  ): Promise<EdgeTokenResult> {
    if (token.length > MAX_JWT_LENGTH) return refuse("Edge token is too long");
    let payload: jose.JWTPayload;
    try {
      ({ payload } = await jose.jwtVerify(token, this.#key, {
        algorithms: [ALG],
        issuer: ISSUER,
        audience: mediaNodeAudience(options.nodeId),
        clockTolerance: JWT_LEEWAY,
        currentDate: new Date(options.now),
        requiredClaims: ["exp", "iat", "sub"],
      }));
    } catch (error) {
      return refuse(reasonOf(error));
    }
    const { iat, exp, sub } = payload;
    if (iat === undefined || exp === undefined || typeof sub !== "string") {
      return refuse("Edge token lacks iat, exp or sub");
    }
    if (iat > Math.floor(options.now / 1000) + JWT_LEEWAY) {
      return refuse("Edge token was issued in the future");
    }
    if (exp - iat > MAX_EDGE_TOKEN_SECONDS) {
      return refuse("Edge token lives too long");
    }
    if (!ID.test(sub)) return refuse("Edge token subject is not an edge id");
    return { ok: true, edgeId: sub };
  }
}

function checkId(name: string, id: string): void {
  if (!ID.test(id)) {
    throw new TypeError(
      `Edge token ${name} must be 1 to 64 letters, digits, ".", "_" or "-"`,
    );
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof jose.errors.JWTExpired) return "Edge token has expired";
  if (error instanceof jose.errors.JWTClaimValidationFailed) {
    return error.claim === "aud"
      ? "Edge token is for another media node"
      : `Edge token refused: ${error.message}`;
  }
  if (error instanceof jose.errors.JWSSignatureVerificationFailed) {
    return "Edge token signature does not match the cluster secret";
  }
  if (error instanceof jose.errors.JOSEAlgNotAllowed) {
    return "Edge token algorithm is not HS256";
  }
  if (error instanceof jose.errors.JOSEError) {
    return "Edge token is malformed";
  }
  throw error;
}

function refuse(message: string): { ok: false; message: string } {
  return { ok: false, message };
}
