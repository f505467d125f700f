/**
 * A WHIP publisher made of a werift peer connection, for the WHIP tests: it
 * POSTs its offer (candidates included, or trickled later with PATCH),
 * applies the answer, sends VP8 and Opus-like packets every 20 ms, and
 * DELETEs its resource.
 *
 * @module
 */

import type { RTCPeerConnection } from "werift";
import {
  audioPacket,
  loopbackPeer,
  sendTrack,
  stripCandidates,
  vp8Packet,
} from "./werift_peers.ts";

/** A werift WHIP client. */
export class WhipClient {
  readonly pc: RTCPeerConnection;
  /** The session's URL, once created. */
  resource = "";
  etag = "";
  #timer: ReturnType<typeof setInterval> | undefined;
  #video = sendTrack("video");
  #audio = sendTrack("audio");

  /** `video` is the codec it offers (its packets are VP8's bytes). */
  constructor(
    readonly endpoint: string,
    readonly token?: string,
    options: { video?: "VP8" | "VP9" } = {},
  ) {
    this.pc = loopbackPeer(options);
    this.pc.addTransceiver(this.#video, { direction: "sendonly" });
    this.pc.addTransceiver(this.#audio, { direction: "sendonly" });
  }

  /** The offer, gathered (werift gathers in setLocalDescription). */
  async offer(options: { trickle?: boolean } = {}): Promise<string> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    const sdp = this.pc.localDescription!.sdp;
    return options.trickle ? stripCandidates(sdp) : sdp;
  }

  /** Headers with the bearer token, if any. */
  headers(extra: Record<string, string> = {}): Headers {
    const h = new Headers(extra);
    if (this.token !== undefined) {
      h.set("Authorization", `Bearer ${this.token}`);
    }
    return h;
  }

  /** POSTs `sdp` (the offer by default); returns the response, body read. */
  async post(sdp?: string): Promise<{ response: Response; body: string }> {
    const response = await fetch(this.endpoint, {
      method: "POST",
      headers: this.headers({ "Content-Type": "application/sdp" }),
      body: sdp ?? await this.offer(),
    });
    const body = await response.text();
    if (response.status === 201) {
      this.resource = new URL(
        response.headers.get("Location")!,
        this.endpoint,
      ).href;
      this.etag = response.headers.get("ETag") ?? "";
    }
    return { response, body };
  }

  /**
   * Publishes: POST, answer applied, packets flowing.
   * @throws {Error} when the POST is not answered 201
   */
  async publish(options: { trickle?: boolean } = {}): Promise<void> {
    const { response, body } = await this.post(await this.offer(options));
    if (response.status !== 201) {
      throw new Error(`WHIP POST answered ${response.status}: ${body}`);
    }
    await this.pc.setRemoteDescription({ type: "answer", sdp: body });
    let seq = 0;
    this.#timer = setInterval(() => {
      seq++;
      this.#video.writeRtp(
        vp8Packet({ seq, timestamp: seq * 3000, key: seq % 30 === 1 }),
      );
      this.#audio.writeRtp(audioPacket(seq, seq * 960));
    }, 20);
  }

  /** PATCHes a fragment to the resource; returns the response, body read. */
  async patch(
    fragment: string,
    headers: Record<string, string> = {},
  ): Promise<{ response: Response; body: string }> {
    const response = await fetch(this.resource, {
      method: "PATCH",
      headers: this.headers({
        "Content-Type": "application/trickle-ice-sdpfrag",
        ...headers,
      }),
      body: fragment,
    });
    return { response, body: await response.text() };
  }

  /** DELETEs the resource; returns the status. */
  async delete(headers: Record<string, string> = {}): Promise<number> {
    const response = await fetch(this.resource, {
      method: "DELETE",
      headers: this.headers(headers),
    });
    await response.body?.cancel();
    return response.status;
  }

  /** Stops sending and closes the peer connection. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.pc.close();
  }
}
