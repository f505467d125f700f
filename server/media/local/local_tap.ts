/**
 * A tap on an up connection of the in-process media node: the recorder's
 * way to see every packet without a werift transport.
 *
 * @module
 */

import type { MediaTap, TapOptions, TapPacket } from "../media_node.ts";
import type { PacketSink, UpTrack } from "./up_track.ts";
import { rtpHeaderLength, rtpPayloadEnd } from "../rtp_header.ts";

/** What a tap needs of its up connection. */
export interface TapHost {
  detachTap(tap: LocalTap): void;
}

/** Receives every track of one up connection. */
export class LocalTap implements MediaTap, PacketSink {
  readonly #options: TapOptions;
  readonly #host: TapHost;
  readonly #tracks = new Map<number, UpTrack>();
  readonly #unsubscribe: (() => void)[] = [];
  // One object for every packet: no allocation per packet.
  readonly #packet: TapPacket = {
    kind: "audio",
    codec: "",
    track: 0,
    rid: undefined,
    ssrc: 0,
    seq: 0,
    timestamp: 0,
    marker: false,
    payload: new Uint8Array(0),
    arrival: 0,
  };
  #closed = false;

  constructor(options: TapOptions, host: TapHost) {
    this.#options = options;
    this.#host = host;
  }

  /** Starts receiving `track` (called for existing and later tracks). */
  addTrack(track: UpTrack): void {
    if (this.#closed || this.#tracks.has(track.layer)) return;
    this.#tracks.set(track.layer, track);
    track.attach(this);
    this.#unsubscribe.push(track.onSenderReport((sr) => {
      if (this.#closed) return;
      this.#options.onSenderReport({
        kind: track.kind,
        track: track.layer,
        ntp: sr.ntp,
        rtpTimestamp: sr.rtpTimestamp,
        arrival: performance.now(),
      });
    }));
  }

  deliver(
    packet: Uint8Array,
    layer: number,
    _flags: number,
    now: number,
  ): void {
    const track = this.#tracks.get(layer);
    if (this.#closed || track === undefined) return;
    const start = rtpHeaderLength(packet, packet.length);
    const end = start < 0 ? -1 : rtpPayloadEnd(packet, start);
    if (end < 0) return; // the cache took it, so this does not happen
    const b = packet;
    const p = this.#packet;
    p.kind = track.kind;
    p.codec = track.codec?.name ?? "";
    p.track = layer;
    p.rid = track.rid;
    p.ssrc = ((b[8]! << 24) | (b[9]! << 16) | (b[10]! << 8) | b[11]!) >>> 0;
    p.seq = (b[2]! << 8) | b[3]!;
    p.timestamp = ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>>
      0;
    p.marker = (b[1]! & 0x80) !== 0;
    p.payload = b.subarray(start, end);
    p.arrival = now;
    this.#options.onPacket(p);
  }

  requestKeyframe(): void {
    const now = performance.now();
    for (const track of this.#tracks.values()) {
      if (track.kind === "video") track.requestKeyframe(now);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const track of this.#tracks.values()) track.detach(this);
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#host.detachTap(this);
  }

  /** The up connection closed: close and tell the owner. */
  upClosed(): void {
    if (this.#closed) return;
    this.close();
    this.#options.onClose();
  }
}
