/**
 * TURN credentials in coturn's time-limited "REST API" scheme
 * (`use-auth-secret`): the username is `EXPIRY:NAME` (EXPIRY in Unix
 * seconds), the password base64(HMAC-SHA1(secret, username)). Anyone holding
 * the secret can issue them; the TURN server needs no user list.
 *
 * The secret is read from `data/turn-secret` when that file exists (so that
 * an external coturn with `static-auth-secret`, or several Nereid processes,
 * can share it), else generated at random at each start and kept in memory
 * only: a restart invalidates the credentials handed out before, which is
 * harmless because clients rejoin and receive new ones.
 *
 * @module
 */

import { createHmac } from "node:crypto";
import { join } from "node:path";

/** A username and password for a TURN server. */
export interface TurnCredentials {
  username: string;
  credential: string;
}

/** Longest username accepted (RFC 8489 §14.3: under 509 bytes). */
export const MAX_USERNAME_BYTES = 508;

/** The REST-scheme password of `username`. */
export function restPassword(secret: string, username: string): string {
  return createHmac("sha1", secret).update(username).digest("base64");
}

/** Fresh credentials for `name`, valid `validitySeconds` from `now` (ms). */
export function issueCredentials(
  secret: string,
  options: { name: string; now: number; validitySeconds: number },
): TurnCredentials {
  const expiry = Math.floor(options.now / 1000) + options.validitySeconds;
  const username = `${expiry}:${options.name}`;
  return { username, credential: restPassword(secret, username) };
}

/**
 * The expiry (Unix seconds) a REST username carries, or null when it has
 * none (`EXPIRY` or `EXPIRY:NAME`, EXPIRY all digits).
 */
export function usernameExpiry(username: string): number | null {
  const m = /^(\d{1,12})(?::|$)/.exec(username);
  return m ? Number(m[1]) : null;
}

/**
 * The secret: `DATA/turn-secret` (its first line, trimmed) when present, else
 * a random one.
 * @throws Error when the file exists but cannot be read, or is empty
 */
export async function loadTurnSecret(
  dataDir: string,
): Promise<{ secret: string; source: "file" | "generated" }> {
  const file = join(dataDir, "turn-secret");
  try {
    const text = (await Deno.readTextFile(file)).split("\n")[0]!.trim();
    if (text === "") throw new Error(`${file} is empty`);
    return { secret: text, source: "file" };
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return { secret: btoa(String.fromCharCode(...bytes)), source: "generated" };
}
