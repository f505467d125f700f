/**
 * Long-term credential checks of TURN requests (RFC 8489 §9.2.4, in its
 * order): no MESSAGE-INTEGRITY → 401 with a nonce; missing USERNAME, REALM
 * or NONCE → 400; a stale nonce → 438; an unknown or expired username or a
 * wrong MAC → 401. Usernames are coturn's REST ones (`turn_credentials.ts`).
 *
 * Expiry is checked when the credentials are presented for a new
 * allocation: an allocation keeps being refreshed with the credentials that
 * created it (the key is kept), so a call outlives its credentials' expiry.
 *
 * @module
 */

import type { Nonces } from "./nonces.ts";
import { Attr, type ErrorCode } from "./stun_constants.ts";
import { longTermKey } from "./stun_integrity.ts";
import type { StunMessage } from "./stun_message.ts";
import {
  MAX_USERNAME_BYTES,
  restPassword,
  usernameExpiry,
} from "./turn_credentials.ts";

/** The outcome of {@link authenticate}. */
export type AuthResult =
  | { ok: true; username: string; key: Uint8Array }
  | { ok: false; error: ErrorCode; challenge: boolean };

/** What {@link authenticate} needs. */
export interface AuthContext {
  realm: string;
  secret: string;
  nonces: Nonces;
  /** The client's IP (nonces are bound to it). */
  ip: string;
  now: number;
  /** The key of the allocation on this 5-tuple, when its username is this one. */
  known?: (username: string) => Uint8Array | undefined;
}

/** Checks a request's credentials; never throws. */
export function authenticate(
  message: StunMessage,
  context: AuthContext,
): AuthResult {
  if (!message.hasIntegrity) {
    return { ok: false, error: 401, challenge: true };
  }
  const user = message.get(Attr.username);
  const realm = message.text(Attr.realm);
  const nonce = message.text(Attr.nonce);
  if (
    user === undefined || realm === undefined || nonce === undefined ||
    user.length > MAX_USERNAME_BYTES
  ) {
    return { ok: false, error: 400, challenge: false };
  }
  if (context.nonces.check(nonce, context.ip, context.now) !== "valid") {
    return { ok: false, error: 438, challenge: true };
  }
  const username = message.text(Attr.username)!;
  let key = context.known?.(username);
  if (key === undefined) {
    const expiry = usernameExpiry(username);
    if (expiry === null || expiry * 1000 <= context.now) {
      return { ok: false, error: 401, challenge: true };
    }
    key = longTermKey(
      username,
      context.realm,
      restPassword(context.secret, username),
    );
  }
  if (realm !== context.realm || !message.verifyIntegrity(key)) {
    return { ok: false, error: 401, challenge: true };
  }
  return { ok: true, username, key };
}
