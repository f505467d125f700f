/**
 * The publisher bot: a real protocol client that publishes one VP8 stream
 * and then sends prebuilt RTP bytes through `sendRawRtp` (Nereid's fast path
 * in this process: OpenSSL SRTP, no werift objects per packet), paced on
 * 1 ms ticks.
 *
 * @module
 */

import {
  MediaStreamTrack,
  type RTCDtlsTransport,
  type RTCPeerConnection,
} from "werift";
import { hasRawPath, sendRawRtp } from "../server/media/fast/raw_rtp.ts";
import { botPeer, connected, iceOf, toInit } from "./bot_peer.ts";
import { GaleneClient } from "./galene_client.ts";
import { Vp8Source } from "./vp8_source.ts";

/** Result of {@link PublisherBot.run}. */
export interface RunResult {
  sent: number;
  /** Longest gap between two pacing ticks, ms (1 ms when the bot keeps up). */
  maxGapMs: number;
  /** Packets that left more than {@link LATE_MS} after they were due. */
  late: number;
}

/** A packet sent later than this after its due time counts as late. */
export const LATE_MS = 5;

/** The publisher: sends paced VP8 packets through the SFU. */
export class PublisherBot {
  readonly #client: GaleneClient;
  readonly #pc: RTCPeerConnection;
  readonly #transport: RTCDtlsTransport;
  readonly #source: Vp8Source;
  readonly #failed: Promise<never>;
  #stopRun: (() => void) | null = null;

  private constructor(
    parts: {
      client: GaleneClient;
      pc: RTCPeerConnection;
      transport: RTCDtlsTransport;
      source: Vp8Source;
      failed: Promise<never>;
    },
  ) {
    this.#failed = parts.failed;
    this.#client = parts.client;
    this.#pc = parts.pc;
    this.#transport = parts.transport;
    this.#source = parts.source;
  }

  /**
   * Joins, publishes one video stream and waits until it is connected.
   * @throws Error when the raw send path is missing (no fast path)
   */
  static async start(url: string, group: string): Promise<PublisherBot> {
    const client = await GaleneClient.join(url, { group, username: "pub" });
    const pc = botPeer();
    const streamId = crypto.randomUUID().replaceAll("-", "");
    const transceiver = pc.addTransceiver(
      new MediaStreamTrack({ kind: "video" }),
      { direction: "sendonly" },
    );
    iceOf(pc, (c) => client.sendIce(streamId, c));
    const failed = Promise.withResolvers<never>();
    failed.promise.catch(() => {});
    client.handle({
      onRenegotiate: () =>
        failed.reject(
          new Error(
            "The SFU lost the publisher's connection (it asked for an ICE restart)",
          ),
        ),
      onAnswer: (_id, sdp) => {
        pc.setRemoteDescription({ type: "answer", sdp }).catch((e) =>
          console.error(`[bot pub] bad answer: ${e}`)
        );
      },
      onIce: (_id, c) => {
        pc.addIceCandidate(toInit(c)).catch(() => {});
      },
    });
    await pc.setLocalDescription(await pc.createOffer());
    client.send({
      type: "offer",
      id: streamId,
      label: "camera",
      source: client.id,
      username: client.username,
      sdp: pc.localDescription!.sdp,
    });
    await connected(pc, "publisher");
    const transport = transceiver.sender.dtlsTransport;
    const codec = transceiver.sender.codec;
    if (!hasRawPath(transport) || codec === undefined) {
      throw new Error("Cannot send raw RTP: the fast path is not installed");
    }
    const source = new Vp8Source({
      ssrc: transceiver.sender.ssrc,
      payloadType: codec.payloadType,
      rate: 100,
    });
    return new PublisherBot({
      client,
      pc,
      transport,
      source,
      failed: failed.promise,
    });
  }

  /**
   * Sends `rate` packets per second for `seconds` (Infinity: until
   * {@link stop}), paced on 1 ms ticks: each tick sends what is due by then.
   */
  run(rate: number, seconds: number): Promise<RunResult> {
    this.#source.setRate(rate);
    const total = Math.round(rate * seconds);
    const t0 = performance.now();
    let sent = 0;
    let last = t0;
    let maxGapMs = 0;
    let late = 0;
    return new Promise((resolve) => {
      const finish = () => {
        clearInterval(timer);
        this.#stopRun = null;
        resolve({ sent, maxGapMs, late });
      };
      const timer = setInterval(() => {
        const now = performance.now();
        maxGapMs = Math.max(maxGapMs, now - last);
        last = now;
        const due = Math.min(total, Math.floor((now - t0) * rate / 1000));
        const dueEarly = Math.floor((now - LATE_MS - t0) * rate / 1000);
        late += Math.max(0, Math.min(due, dueEarly) - sent);
        for (; sent < due; sent++) {
          sendRawRtp(this.#transport, this.#source.next(now));
        }
        if (sent >= total) finish();
      }, 1);
      this.#stopRun = finish;
    });
  }

  /** Rejects when the SFU reports the publisher's connection failed. */
  get failed(): Promise<never> {
    return this.#failed;
  }

  /** Ends a running {@link run} early. */
  stop(): void {
    this.#stopRun?.();
  }

  async close(): Promise<void> {
    this.stop();
    this.#client.close();
    await this.#pc.close();
  }
}
