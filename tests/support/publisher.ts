/**
 * A publisher made of a werift peer connection, driven over a test client's
 * WebSocket like a browser would: it offers audio and video, trickles ICE
 * and sends VP8 and Opus-like packets every 20 ms, or, when given, real
 * packets at their times (e.g. ffmpeg-encoded frames for a recording that
 * must decode).
 *
 * @module
 */

import { type RTCPeerConnection, RtpHeader, RtpPacket } from "werift";
import { Buffer } from "node:buffer";
import {
  addCandidate,
  audioPacket,
  loopbackPeer,
  sendTrack,
  vp8Packet,
} from "./werift_peers.ts";
import { randomId, type WsClient } from "./ws_client.ts";

/** A packet to send at `at` ms after the answer. */
export interface TimedRtp {
  kind: "audio" | "video";
  seq: number;
  timestamp: number;
  marker: boolean;
  payload: Uint8Array;
  at: number;
}

/** A werift publisher driven over the client's WebSocket. */
export class Publisher {
  readonly id = randomId();
  readonly pc: RTCPeerConnection = loopbackPeer();
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #packets: readonly TimedRtp[] | undefined;
  #sent = 0;

  /** `packets`: sent at their times, sorted by `at`, instead of test ones. */
  constructor(
    readonly client: WsClient,
    options: { packets?: readonly TimedRtp[] } = {},
  ) {
    this.#packets = options.packets;
  }

  /** How many of the given packets were sent. */
  get sent(): number {
    return this.#sent;
  }

  /** Offers audio and video; resolves with the server's first reply. */
  async offer(): Promise<Record<string, unknown>> {
    const video = sendTrack("video");
    const audio = sendTrack("audio");
    this.pc.addTransceiver(video, { direction: "sendonly" });
    this.pc.addTransceiver(audio, { direction: "sendonly" });
    this.pc.onIceCandidate.subscribe((c) => {
      if (!c) return;
      this.client.send({
        type: "ice",
        id: this.id,
        candidate: {
          candidate: c.candidate,
          sdpMid: c.sdpMid,
          sdpMLineIndex: c.sdpMLineIndex,
        },
      });
    });
    await this.pc.setLocalDescription(await this.pc.createOffer());
    this.client.send({
      type: "offer",
      id: this.id,
      label: "camera",
      source: this.client.id,
      username: this.client.username,
      sdp: this.pc.localDescription!.sdp,
    });
    const reply = await this.client.next((m) =>
      m["id"] === this.id &&
      (m["type"] === "answer" || m["type"] === "abort")
    );
    if (reply["type"] !== "answer") return reply;
    await this.pc.setRemoteDescription({
      type: "answer",
      sdp: reply["sdp"] as string,
    });
    // Server candidates keep coming; apply them as they arrive.
    void (async () => {
      try {
        for (;;) {
          const m = await this.client.next(
            { type: "ice", id: this.id },
            60_000,
          );
          await addCandidate(this.pc, m["candidate"] as never);
        }
      } catch {
        // The socket closed or the test ended.
      }
    })();
    const packets = this.#packets;
    if (packets !== undefined) {
      const start = performance.now();
      this.#timer = setInterval(() => {
        const now = performance.now() - start;
        while (this.#sent < packets.length && packets[this.#sent]!.at <= now) {
          const p = packets[this.#sent++]!;
          (p.kind === "video" ? video : audio).writeRtp(
            new RtpPacket(
              new RtpHeader({
                sequenceNumber: p.seq,
                timestamp: p.timestamp >>> 0,
                payloadType: p.kind === "video" ? 120 : 111,
                ssrc: p.kind === "video" ? 1234 : 5678,
                marker: p.marker,
              }),
              Buffer.from(p.payload),
            ),
          );
        }
      }, 10);
      return reply;
    }
    let seq = 0;
    this.#timer = setInterval(() => {
      seq++;
      video.writeRtp(
        vp8Packet({ seq, timestamp: seq * 3000, key: seq % 30 === 1 }),
      );
      audio.writeRtp(audioPacket(seq, seq * 960));
    }, 20);
    return reply;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.pc.close();
  }
}
