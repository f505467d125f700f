/**
 * Renewing the time-limited ICE credentials that joined clients hold (the
 * built-in TURN server's, and `hmac-sha1` entries of
 * `data/ice-servers.json`, both valid 24 hours) without a rejoin: every
 * {@link RENEW_EVERY_MS}, while any such credentials are handed out, each
 * joined client is sent `joined` `change` with a fresh `rtcConfiguration`.
 * A client thus always holds credentials with at least 12 hours left, for
 * the peer connections and ICE restarts it starts later (Galène's client
 * and ours keep the `rtcConfiguration` of the latest `joined`).
 *
 * Driven by the server's periodic refresh and its clock, so tests move the
 * clock instead of waiting.
 *
 * @module
 */

/** How often clients get fresh credentials: half their 24 h validity. */
export const RENEW_EVERY_MS = 12 * 3600 * 1000;

/** Options of {@link CredentialRenewal}. */
export interface CredentialRenewalOptions {
  /** The clock at start (ms). */
  now: number;
  /** True while the configuration handed out has time-limited credentials. */
  expiring: () => boolean;
  /** Sends every joined client a fresh `rtcConfiguration`; returns how many. */
  renew: () => number;
  log: (message: string) => void;
}

/** The renewal schedule. */
export class CredentialRenewal {
  readonly #options: CredentialRenewalOptions;
  #next: number;

  constructor(options: CredentialRenewalOptions) {
    this.#options = options;
    this.#next = options.now + RENEW_EVERY_MS;
  }

  /** Renews when the time has come (call it periodically). */
  check(now: number): void {
    if (now < this.#next) return;
    this.#next = now + RENEW_EVERY_MS;
    if (!this.#options.expiring()) return;
    const n = this.#options.renew();
    this.#options.log(`ICE credentials renewed for ${n} client(s)`);
  }
}
