/**
 * The subscriber bot: a real protocol client that asks for video and
 * answers the SFU's offer with a werift peer. Once connected it takes RTP
 * off its sockets (the fast path's, `server/media/fast/werift_seam.ts`) as
 * they hand SRTP on (their media sink), and counts it from the clear header
 * (RFC 3711 §3.1: the header is not encrypted); one packet in
 * {@link SAMPLE_STRIDE} is decrypted with the fast path's SRTP context, to
 * read the publisher's send-time stamp.
 *
 * @module
 */

import type { RTCPeerConnection } from "werift";
import type { Buffer } from "node:buffer";
import {
  COPYING_SEND,
  MEDIA_SINK,
  type MediaSink,
  SRTP_STATE,
  type SrtpState,
} from "../server/media/fast/raw_rtp.ts";
import { disableNackGenerator } from "../server/media/werift_patches.ts";
import { botPeer, connected, iceOf, toInit } from "./bot_peer.ts";
import { GaleneClient } from "./galene_client.ts";
import type { LatencyRecorder } from "./latency_recorder.ts";
import { readStamp } from "./vp8_source.ts";

/** Connection attempts a subscriber makes after the first fails. */
const MAX_RETRIES = 3;

/** One packet in this many (by sequence number) is decrypted for latency. */
export const SAMPLE_STRIDE = 16;

/** The fast path's socket, as werift's ICE sees it (werift_seam.ts). */
interface SocketLike {
  [COPYING_SEND]?: boolean;
  [MEDIA_SINK]?: MediaSink;
}

interface TransportInternals {
  [SRTP_STATE]?: SrtpState;
  iceTransport: {
    connection: { protocols: { transport?: SocketLike }[] };
  };
}

/** A subscriber: receives the stream and counts its packets. */
export class SubscriberBot {
  /** RTP packets received since the last {@link reset}. */
  received = 0;
  readonly #client: GaleneClient;
  readonly #recorder: LatencyRecorder;
  #pc: RTCPeerConnection | null = null;
  // Packets werift itself delivered (before the interceptor, or around it).
  #weriftPackets = 0;
  #stage = "waiting for an offer";
  #retries = 0;
  // The stream this bot receives: the first one offered.
  #stream: string | null = null;
  // Offers and candidates of the stream, applied in order.
  #chain: Promise<void> = Promise.resolve();
  #iceErrors = 0;
  readonly #counting = Promise.withResolvers<void>();

  private constructor(client: GaleneClient, recorder: LatencyRecorder) {
    this.#client = client;
    this.#recorder = recorder;
    // Awaited later, with the others; not an unhandled rejection before that.
    this.#counting.promise.catch(() => {});
  }

  /** Joins and asks for video; {@link ready} resolves at the first packet. */
  static async start(
    url: string,
    options: { group: string; index: number; recorder: LatencyRecorder },
  ): Promise<SubscriberBot> {
    const client = await GaleneClient.join(url, {
      group: options.group,
      username: `sub${options.index}`,
    });
    const bot = new SubscriberBot(client, options.recorder);
    const name = `sub${options.index}`;
    client.handle({
      onOffer: (id, sdp) => bot.#onOffer(id, sdp, name),
      onIce: (id, c) => {
        if (id !== bot.#stream || bot.#pc === null) return;
        const pc = bot.#pc;
        // After the offer being applied: a candidate may name a media
        // section that only the renegotiated offer has.
        bot.#chain = bot.#chain.then(() =>
          pc.addIceCandidate(toInit(c)).catch((e) => {
            if (bot.#iceErrors++ === 0) {
              console.error(`[bot ${name}] candidate refused: ${e}`);
            }
          })
        );
      },
    });
    client.send({ type: "request", request: { "": ["video"] } });
    return bot;
  }

  /** What the subscriber got so far, for error messages. */
  status(): string {
    const pc = this.#pc;
    return pc === null
      ? "no offer"
      : `${pc.connectionState}, ${this.received} counted, ${this.#weriftPackets} via werift, ${this.#stage}`;
  }

  /** Resolves when the subscriber is connected and has counted a packet. */
  get ready(): Promise<void> {
    return this.#counting.promise;
  }

  reset(): void {
    this.received = 0;
  }

  async close(): Promise<void> {
    this.#client.close();
    await this.#pc?.close();
  }

  #onOffer(id: string, sdp: string, name: string): void {
    if (this.#stream === null) this.#stream = id;
    if (id !== this.#stream) {
      // Another stream of the group: the bot measures one.
      this.#client.send({ type: "abort", id });
      return;
    }
    this.#chain = this.#chain.then(() =>
      this.#answer(id, sdp).catch((e) =>
        console.error(`[bot ${name}] cannot answer: ${e}`)
      )
    );
  }

  // The first offer makes the peer; later ones (renegotiations, ICE
  // restarts, with any number of media sections) are applied to it.
  async #answer(id: string, sdp: string): Promise<void> {
    let pc = this.#pc;
    if (pc === null) {
      pc = botPeer();
      this.#pc = pc;
      // The bot never asks for retransmissions: a lost packet stays lost.
      pc.onRemoteTransceiverAdded.subscribe((t) => {
        disableNackGenerator(t.receiver);
        t.onTrack.subscribe((track) =>
          track.onReceiveRtp.subscribe(() => this.#weriftPackets++)
        );
      });
      iceOf(pc, (c) => this.#client.sendIce(id, c));
      this.#stage = "connecting";
      const current = pc;
      connected(pc, "subscriber").then(() => this.#intercept(current)).catch((
        e,
      ) => this.#retry(id, current, e));
    }
    await pc.setRemoteDescription({ type: "offer", sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    this.#client.send({ type: "answer", id, sdp: pc.localDescription!.sdp });
  }

  // werift's ICE or DTLS sometimes gives up on a busy machine: drop the
  // stream and ask for it again (`abort`, then `request` again).
  #retry(id: string, pc: RTCPeerConnection, error: unknown): void {
    if (this.#pc !== pc) return;
    this.#pc = null;
    this.#stream = null;
    pc.close().catch(() => {});
    if (++this.#retries > MAX_RETRIES) {
      this.#counting.reject(error);
      return;
    }
    this.#stage = `retry ${this.#retries} after: ${error}`;
    this.#client.send({ type: "abort", id });
    setTimeout(() => {
      this.#client.send({ type: "request", request: { "": ["video"] } });
    }, 500);
  }

  // Puts the count in front of each socket's handler: RTP is counted here,
  // everything else (STUN, DTLS, RTCP) goes on to werift as before.
  async #intercept(pc: RTCPeerConnection): Promise<void> {
    this.#stage = "waiting for SRTP keys";
    const transport = pc.dtlsTransports[0] as unknown as
      | TransportInternals
      | undefined;
    let state = transport?.[SRTP_STATE];
    for (let i = 0; state === undefined && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 20));
      state = transport?.[SRTP_STATE];
    }
    // Every local socket: the pair the SFU sends on need not be the one
    // this side calls nominated (werift gathers 127.0.0.1 more than once).
    const sockets = (transport?.iceTransport.connection.protocols ?? [])
      .flatMap((p) => p.transport ? [p.transport] : []);
    if (state === undefined || sockets.length === 0) {
      throw new Error("Cannot intercept a subscriber: no fast-path SRTP state");
    }
    for (const socket of sockets) this.#interceptSocket(socket, state);
    this.#stage = `intercepting ${sockets.length} socket(s)`;
  }

  #interceptSocket(socket: SocketLike, srtp: SrtpState): void {
    if (socket[COPYING_SEND] !== true) {
      throw new Error(
        "Cannot intercept a subscriber: werift's socket is not the fast path's",
      );
    }
    const recorder = this.#recorder;
    const deliver = socket[MEDIA_SINK];
    const count = (data: Buffer): boolean => {
      const b0 = data[0]!;
      const b1 = data[1]! & 0x7f;
      // RFC 7983 §7: 128–191 is RTP/RTCP; RFC 5761 §4: PT 64–95 is RTCP.
      if (b0 < 128 || b0 > 191 || (b1 >= 64 && b1 <= 95)) return false;
      if (this.received++ === 0) this.#counting.resolve();
      if ((data[3]! & (SAMPLE_STRIDE - 1)) !== 0 || srtp.closed) return true;
      const n = srtp.remote.unprotectRtp(data, data.length);
      if (n > 0) {
        const stamp = readStamp(data, n);
        if (stamp === stamp) recorder.add(performance.now() - stamp);
      }
      return true;
    };
    // The socket reads its sink at every datagram; RTCP goes on to it.
    socket[MEDIA_SINK] = (data) => {
      if (!count(data)) deliver?.(data);
    };
  }
}
