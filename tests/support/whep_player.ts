/**
 * A WHEP player made of a werift peer connection, for the WHEP tests: it
 * offers to receive audio and video (VP8 and Opus under the payload types
 * the server sends, as Chromium offers them, unless told otherwise), POSTs
 * the offer, applies the answer and counts the RTP packets it receives.
 *
 * @module
 */

import type { RTCPeerConnection } from "werift";
import { loopbackPeer } from "./werift_peers.ts";

/** What a player notes of each RTP packet it receives. */
export interface ReceivedRtp {
  ssrc: number;
  seq: number;
  timestamp: number;
}

/** A werift WHEP player. */
export class WhepPlayer {
  readonly pc: RTCPeerConnection;
  resource = "";
  /** The headers of the packets received, by kind, in arrival order. */
  readonly received = {
    audio: [] as ReceivedRtp[],
    video: [] as ReceivedRtp[],
  };
  #packets = 0;

  /** `videoPayloadType` other than 96 makes an offer the server cannot serve. */
  constructor(
    readonly endpoint: string,
    options: { videoPayloadType?: number; token?: string } = {},
  ) {
    this.token = options.token;
    this.pc = loopbackPeer({
      audioPayloadType: 111,
      videoPayloadType: options.videoPayloadType ?? 96,
      remb: false,
      extensions: "mid",
    });
    this.pc.addTransceiver("video", { direction: "recvonly" });
    this.pc.addTransceiver("audio", { direction: "recvonly" });
    this.pc.onTrack.subscribe((track) => {
      const list = this.received[track.kind === "audio" ? "audio" : "video"];
      track.onReceiveRtp.subscribe((p) => {
        this.#packets++;
        const h = p.header;
        list.push({
          ssrc: h.ssrc,
          seq: h.sequenceNumber,
          timestamp: h.timestamp,
        });
      });
    });
  }

  readonly token: string | undefined;

  /** RTP packets received so far. */
  get packets(): number {
    return this.#packets;
  }

  /** POSTs the gathered offer; applies a 201's answer. */
  async play(query = ""): Promise<{ status: number; body: string }> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    const headers = new Headers({ "Content-Type": "application/sdp" });
    if (this.token) headers.set("Authorization", `Bearer ${this.token}`);
    const response = await fetch(this.endpoint + query, {
      method: "POST",
      headers,
      body: this.pc.localDescription!.sdp,
    });
    const body = await response.text();
    if (response.status === 201) {
      this.resource = new URL(
        response.headers.get("Location")!,
        this.endpoint,
      ).href;
      await this.pc.setRemoteDescription({ type: "answer", sdp: body });
    }
    return { status: response.status, body };
  }

  /** DELETEs the resource; returns the status. */
  async delete(): Promise<number> {
    const response = await fetch(this.resource, { method: "DELETE" });
    await response.body?.cancel();
    return response.status;
  }

  async close(): Promise<void> {
    await this.pc.close();
  }
}
