/**
 * Settings shared by the benchmark's processes (main.ts, sfu_process.ts,
 * load_bots.ts), in a module that loads nothing else.
 *
 * @module
 */

/** The group every bot joins on the SFUs the benchmark starts. */
export const BENCH_GROUP = "bench";

/**
 * How long N subscribers may take to connect, all together: each may retry
 * (subscriber_bot.ts), and werift's ICE and DTLS handshakes are CPU-heavy on
 * both sides.
 */
export function connectTimeoutMs(subscribers: number): number {
  return 60_000 + 2_000 * subscribers;
}
