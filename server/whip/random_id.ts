/**
 * Unguessable identifiers for HTTP-driven sessions.
 *
 * @module
 */

/** `bytes` random bytes as lower-case hex. */
export function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/** A session resource id: 128 random bits, URL-safe. */
export function resourceId(): string {
  return randomHex(16);
}
