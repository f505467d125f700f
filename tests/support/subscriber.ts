/**
 * A subscriber made of werift peer connections, driven over a test client's
 * WebSocket like a browser would: it asks for every stream's audio and
 * video, answers each offer on a peer connection of its own, trickles ICE
 * both ways and counts the RTP packets each stream brings.
 *
 * It takes only `offer` and `ice` messages from the client: a test still
 * waits for `close` and `usermessage` itself.
 *
 * @module
 */

import type { RTCPeerConnection } from "werift";
import { addCandidate, loopbackPeer } from "./werift_peers.ts";
import type { Message, WsClient } from "./ws_client.ts";
import { waitFor } from "./wait_for.ts";

/** A werift subscriber driven over the client's WebSocket. */
export class Subscriber {
  readonly client: WsClient;
  readonly #pcs = new Map<string, RTCPeerConnection>();
  readonly #received = new Map<string, number>();
  // Candidates the server sent before its offer (it gathers first).
  readonly #early = new Map<string, Message[]>();
  readonly #errors: string[] = [];
  #stopped = false;

  constructor(client: WsClient) {
    this.client = client;
  }

  /** Asks for every stream, then answers offers until {@link close}. */
  start(): void {
    this.client.send({ type: "request", request: { "": ["audio", "video"] } });
    void (async () => {
      while (!this.#stopped) {
        let m: Message;
        try {
          m = await this.client.next(
            (m) => m["type"] === "offer" || m["type"] === "ice",
            60_000,
          );
        } catch {
          return; // The socket closed or the test ended.
        }
        try {
          if (m["type"] === "offer") await this.#answer(m);
          else await this.#ice(m);
        } catch (e) {
          // One stream's failure leaves the others served, and is told by
          // receives().
          this.#errors.push(`${m["type"]} for ${m["id"]}: ${e}`);
        }
      }
    })();
  }

  /** The ids of the streams offered so far. */
  get streams(): string[] {
    return [...this.#pcs.keys()];
  }

  /** RTP packets received so far on stream `id`. */
  received(id: string): number {
    return this.#received.get(id) ?? 0;
  }

  /** Resolves once `count` more packets of stream `id` have arrived. */
  async receives(id: string, count: number, timeoutMs = 10_000): Promise<void> {
    const target = this.received(id) + count;
    try {
      await waitFor(
        `${target} packets of stream ${id}`,
        () => this.received(id) >= target,
        { timeoutMs, intervalMs: 20 },
      );
    } catch {
      const pc = this.#pcs.get(id);
      const state = pc === undefined
        ? "no offer came"
        : `connection ${pc.connectionState}, ICE ${pc.iceConnectionState}`;
      const errors = this.#errors.length ? `; ${this.#errors.join("; ")}` : "";
      throw new Error(
        `Stream ${id} brought ${
          this.received(id)
        } packets, not ${target} (${state}${errors})`,
      );
    }
  }

  async close(): Promise<void> {
    this.#stopped = true;
    for (const pc of this.#pcs.values()) await pc.close();
  }

  async #answer(m: Message): Promise<void> {
    const id = String(m["id"]);
    let pc = this.#pcs.get(id);
    if (pc === undefined) {
      pc = loopbackPeer();
      this.#pcs.set(id, pc);
      pc.onIceCandidate.subscribe((c) => {
        if (!c) return;
        this.client.send({
          type: "ice",
          id,
          candidate: {
            candidate: c.candidate,
            sdpMid: c.sdpMid,
            sdpMLineIndex: c.sdpMLineIndex,
          },
        });
      });
      pc.onTrack.subscribe((track) => {
        track.onReceiveRtp.subscribe(() => {
          this.#received.set(id, this.received(id) + 1);
        });
      });
    }
    await pc.setRemoteDescription({ type: "offer", sdp: String(m["sdp"]) });
    for (const early of this.#early.get(id) ?? []) await this.#ice(early);
    this.#early.delete(id);
    await pc.setLocalDescription(await pc.createAnswer());
    this.client.send({
      type: "answer",
      id,
      sdp: pc.localDescription!.sdp,
    });
  }

  async #ice(m: Message): Promise<void> {
    const id = String(m["id"]);
    const pc = this.#pcs.get(id);
    if (pc === undefined) {
      this.#early.set(id, [...this.#early.get(id) ?? [], m]);
      return;
    }
    await addCandidate(pc, m["candidate"] as never);
  }
}
