/**
 * A publisher made of a werift peer connection, driven over a test client's
 * WebSocket like a browser would: it offers audio and video, trickles ICE
 * and sends VP8 and Opus-like packets every 20 ms.
 *
 * @module
 */

import type { RTCPeerConnection } from "werift";
import {
  addCandidate,
  audioPacket,
  loopbackPeer,
  sendTrack,
  vp8Packet,
} from "./werift_peers.ts";
import { randomId, type WsClient } from "./ws_client.ts";

/** A werift publisher driven over the client's WebSocket. */
export class Publisher {
  readonly id = randomId();
  readonly pc: RTCPeerConnection = loopbackPeer();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(readonly client: WsClient) {}

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
