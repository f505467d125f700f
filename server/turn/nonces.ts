/**
 * Stateless STUN nonces (RFC 8489 §9.2): the issue time and a MAC over it and
 * the client's IP address under a per-process key, so the server keeps
 * nothing per client and a nonce is good only from the address it was given
 * to, for a limited time (then 438 Stale Nonce).
 *
 * @module
 */

import { createHmac } from "node:crypto";

/** Issues and checks nonces. */
export class Nonces {
  readonly #key = crypto.getRandomValues(new Uint8Array(32));
  readonly #lifetimeMs: number;

  /** @throws RangeError when `lifetimeMs` is not positive */
  constructor(options: { lifetimeMs: number }) {
    if (!(options.lifetimeMs > 0)) {
      throw new RangeError("A nonce lifetime must be positive");
    }
    this.#lifetimeMs = options.lifetimeMs;
  }

  /** A nonce for `ip` at `now` (ms): 20 characters, base64url. */
  issue(ip: string, now: number): string {
    const seconds = Math.floor(now / 1000);
    const stamp = seconds.toString(36).padStart(7, "0").slice(-7);
    return stamp + this.#mac(stamp, ip);
  }

  /** "valid", or "stale" (expired, or not one of ours for this address). */
  check(nonce: string, ip: string, now: number): "valid" | "stale" {
    if (nonce.length !== 20) return "stale";
    const stamp = nonce.slice(0, 7);
    if (this.#mac(stamp, ip) !== nonce.slice(7)) return "stale";
    const issued = parseInt(stamp, 36) * 1000;
    const age = now - issued;
    return age >= -1000 && age < this.#lifetimeMs ? "valid" : "stale";
  }

  #mac(stamp: string, ip: string): string {
    return createHmac("sha256", this.#key).update(`${stamp}|${ip}`)
      .digest("base64url").slice(0, 13);
  }
}
