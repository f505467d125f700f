/**
 * The RTCP an up connection sends its publisher about what it receives:
 * REMB (the publisher's budget, from what the subscribers can take, and
 * never less than what keeps alive the layers subscribers are taking) and
 * receiver reports (reference 5.6 and 5.7).
 *
 * @module
 */

import type { PacketPipelines } from "./packet_pipeline.ts";
import type { UpTrack } from "./up_track.ts";

// Upstream REMB budgets (bits/s). Galène: 100 kbit/s for each lower
// simulcast layer, 200 kbit/s floor. When no subscriber bounds the top
// layer we announce 6 Mbit/s: more than Chromium's 2.5 Mbit/s ceiling for
// 720p, so only its own loss estimate limits it. It matters from the very
// first REMB: Chromium adopts a REMB as its target outright only in its
// first 2 s (start phase), and after that grows by 8 % a second.
const LOW_LAYER_BITRATE = 100_000;
const MIN_BITRATE = 200_000;
const UNBOUNDED_BITRATE = 6_000_000;
// The budget covers the layers subscribers take with this much headroom
// (in quarters): 5/4 of what they send now.
const KEPT_HEADROOM_QUARTERS = 5;
// RFC 3550 §6.4.2: a report carries at most 31 blocks.
const MAX_REPORT_BLOCKS = 31;

/**
 * The publisher's budget in bit/s (reference 5.6, changed as bandwidth.rs
 * explains): lower simulcast layers get 100 kbit/s each; the top (or only)
 * layer gets what the subscribers can take — with simulcast the best
 * subscriber's bandwidth (layer selection protects the weaker ones),
 * without it the weakest's, as Galène does, since every subscriber gets the
 * same encoding — and 6 Mbit/s when no subscriber bounds it. It is never
 * below 5/4 of `kept`: one subscriber's lower estimate must not make the
 * publisher stop a layer another subscriber (or that one, until it has
 * switched down) is taking; Firefox stops encoding its top layer for a
 * second or more when its budget dips under it.
 *
 * @param videoLayers live video tracks of the connection
 * @param available each subscriber's bandwidth towards its video (Infinity
 *   when unbounded, null when it takes no video)
 * @param kept bit/s of the layers up to the highest one a subscriber takes
 */
export function publisherBudget(
  videoLayers: number,
  available: Iterable<number | null>,
  kept = 0,
): number {
  let budget = Infinity;
  let bounded = false;
  for (const a of available) {
    if (a === null) continue;
    if (videoLayers > 1) budget = bounded ? Math.max(budget, a) : a;
    else budget = Math.min(budget, a);
    bounded = true;
  }
  const top = Number.isFinite(budget)
    ? Math.max(MIN_BITRATE, budget)
    : UNBOUNDED_BITRATE;
  const all = top + LOW_LAYER_BITRATE * Math.max(0, videoLayers - 1);
  return Math.max(all, kept * KEPT_HEADROOM_QUARTERS / 4);
}

/**
 * Bit/s of the layers a subscriber's choice keeps alive: every layer no
 * faster than the fastest one taken.
 *
 * @param rates each live video layer's rate (bit/s)
 * @param taken the rate of the layer each subscriber takes
 */
export function keptRate(
  rates: readonly number[],
  taken: Iterable<number>,
): number {
  const top = Math.max(0, ...taken);
  return rates.filter((r) => r <= top).reduce((a, b) => a + b, 0);
}

/** Writes an up connection's REMB and receiver reports. */
export class UpFeedback {
  readonly #pipelines: PacketPipelines;
  readonly #senderSsrc: number;
  readonly #send: (packet: Uint8Array) => void;

  /**
   * @param senderSsrc our SSRC as the sender of this RTCP
   * @param send sends RTCP bytes to the publisher
   */
  constructor(
    pipelines: PacketPipelines,
    senderSsrc: number,
    send: (packet: Uint8Array) => void,
  ) {
    this.#pipelines = pipelines;
    this.#senderSsrc = senderSsrc;
    this.#send = send;
  }

  /**
   * Sends a REMB for the live `video` tracks, budgeted by
   * {@link publisherBudget} with `taken`, the tracks subscribers forward.
   */
  remb(
    video: readonly UpTrack[],
    available: Iterable<number | null>,
    taken: readonly (UpTrack | undefined)[],
    now: number,
  ): void {
    const rate = (t: UpTrack) => t.bitrate(now);
    const kept = keptRate(
      video.map(rate),
      taken.flatMap((t) => t && video.includes(t) ? [rate(t)] : []),
    );
    const bps = publisherBudget(video.length, available, kept);
    this.#send(this.#pipelines.remb(this.#senderSsrc, {
      bps: Math.min(bps, 0xffffffff),
      ssrcs: video.map((t) => t.ssrc).filter((s) => s !== 0),
    }));
  }

  /**
   * Sends one receiver report for the tracks that have received packets
   * (up to 31) and leaves each track's figures on it.
   */
  receiverReport(tracks: readonly UpTrack[], now: number): void {
    const live = tracks.filter((t) => t.pipeline !== undefined)
      .slice(0, MAX_REPORT_BLOCKS);
    if (live.length === 0) return;
    const { packet, figures } = this.#pipelines.receiverReport(
      live.map((t) => t.pipeline!),
      {
        senderSsrc: this.#senderSsrc,
        clockRates: live.map((t) => t.codec!.clockRate),
        now,
      },
    );
    for (const f of figures) {
      const track = live.find((t) => t.ssrc === f.ssrc);
      if (track) track.figures = f;
    }
    this.#send(packet);
  }
}
