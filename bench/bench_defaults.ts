/**
 * Settings shared by the benchmark's processes (main.ts, sfu_process.ts,
 * load_bots.ts), in a module that loads nothing else.
 *
 * @module
 */

/**
 * The V8 flags the SFU processes run with: those of `deno task start`
 * (deno.json), so that the benchmark measures the server as it is run. A
 * young generation of 2 MiB semi-spaces instead of V8's 16 MiB: the media
 * path's garbage is short-lived, and the server keeps ~26 MiB less resident.
 */
export const SERVER_V8_FLAGS = "--v8-flags=--max-semi-space-size=2";

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
