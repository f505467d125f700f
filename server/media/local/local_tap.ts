/**
 * A tap on an up connection of the in-process media node: the recorder's
 * way to see every packet without a werift transport.
 *
 * The tap's callbacks run inside the up connection's receive loop, under the
 * tap's own {@link ConnectionGuard}: a recorder that throws ends its tap (its
 * owner is told through `onClose`), and the publisher and its subscribers
 * carry on.
 *
 * @module
 */

import type { MediaTap, TapOptions, TapPacket } from "../media_tap.ts";
import type { SenderReportInfo, TrackTap, UpTrack } from "./up_track.ts";
import { rtpHeaderLength, rtpPayloadEnd } from "../rtp_header.ts";
import { ConnectionGuard } from "./connection_guard.ts";
import type { TestFaults } from "./test_faults.ts";

/** What a tap needs of its up connection. */
export interface TapHost {
  readonly id: string;
  detachTap(tap: LocalTap): void;
}

/** What a tap needs from its node. */
export interface TapContext {
  host: TapHost;
  testFaults: TestFaults;
  log(message: string): void;
}

/** Receives every track of one up connection. */
export class LocalTap implements MediaTap, TrackTap {
  readonly #options: TapOptions;
  readonly #host: TapHost;
  readonly #guard: ConnectionGuard;
  readonly #onPacket: (packet: TapPacket) => void;
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

  constructor(options: TapOptions, context: TapContext) {
    this.#options = options;
    this.#host = context.host;
    this.#guard = new ConnectionGuard(`tap on up ${context.host.id}`, {
      testFaults: context.testFaults,
      log: context.log,
      close: () => this.upClosed(),
    });
    this.#onPacket = this.#guard.wrap("rtp", undefined, options.onPacket);
  }

  /** Starts receiving `track` (called for existing and later tracks). */
  addTrack(track: UpTrack): void {
    if (this.#closed || this.#tracks.has(track.index)) return;
    this.#tracks.set(track.index, track);
    track.attach(this);
    this.#unsubscribe.push(track.onSenderReport(
      this.#guard.wrap("rtcp", undefined, (sr: SenderReportInfo) => {
        if (this.#closed) return;
        this.#options.onSenderReport({
          kind: track.kind,
          track: track.index,
          ntp: sr.ntp,
          rtpTimestamp: sr.rtpTimestamp,
          arrival: performance.now(),
        });
      }),
    ));
  }

  deliver(
    packet: Uint8Array,
    trackIndex: number,
    _flags: number,
    now: number,
  ): void {
    const track = this.#tracks.get(trackIndex);
    if (this.#closed || track === undefined) return;
    const start = rtpHeaderLength(packet, packet.length);
    const end = start < 0 ? -1 : rtpPayloadEnd(packet, start);
    if (end < 0) return; // the cache took it, so this does not happen
    const b = packet;
    const p = this.#packet;
    p.kind = track.kind;
    p.codec = track.codec?.name ?? "";
    p.track = trackIndex;
    p.rid = track.rid;
    p.ssrc = ((b[8]! << 24) | (b[9]! << 16) | (b[10]! << 8) | b[11]!) >>> 0;
    p.seq = (b[2]! << 8) | b[3]!;
    p.timestamp = ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>>
      0;
    p.marker = (b[1]! & 0x80) !== 0;
    p.payload = b.subarray(start, end);
    p.arrival = now;
    this.#onPacket(p);
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
