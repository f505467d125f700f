/**
 * A publisher's connection on the in-process media node.
 *
 * @module
 */

import {
  type MediaStreamTrack,
  RTCPeerConnection,
  type RTCRtpTransceiver,
} from "werift";
import type {
  ConnectionState,
  ConnectionStats,
  IceCandidate,
  UpConnection,
  UpOptions,
  UpTrackInfo,
} from "../media_node.ts";
import { codecEntries, type CodecEntry, weriftCodec } from "./codecs.ts";
import { filterOffer } from "./offer_filter.ts";
import type { PacketPipelines } from "./packet_pipeline.ts";
import { peerConfig, type TransportSettings } from "./peer_config.ts";
import { buildRemb } from "./remb.ts";
import { UpTrack } from "./up_track.ts";
import { disableNackGenerator } from "./werift_internals.ts";
import { mapState, toIceInit, toWeriftCandidate } from "./ice.ts";

/** What an up connection needs from its node. */
export interface UpContext {
  settings: TransportSettings;
  pipelines: PacketPipelines;
  log(message: string): void;
  /** Called once when the connection closes, with the promise of werift's teardown. */
  onClosed(up: LocalUpConnection, teardown: Promise<void>): void;
}

/** A down connection as its up connection sees it. */
export interface AttachedDown {
  /** The subscriber's REMB in bits/s, if it sent one. */
  maxBitrate(): number | undefined;
  /** Called every 500 ms by the up connection's timer. */
  tick(now: number): void;
  close(): void;
}

// Debounce of onTracks: lets every track of an offer arrive first.
const TRACKS_DEBOUNCE_MS = 200;
const TICK_MS = 500;
// Upstream REMB budgets (bits/s). Galène: 100 kbit/s for the low layer,
// 200 kbit/s floor; with no subscriber we announce enough for 720p.
const LOW_LAYER_BITRATE = 100_000;
const MIN_BITRATE = 200_000;
const DEFAULT_BITRATE = 2_500_000;

/** A publisher's connection: the client offers, the node answers. */
export class LocalUpConnection implements UpConnection {
  readonly id: string;
  readonly #options: UpOptions;
  readonly #context: UpContext;
  readonly #pc: RTCPeerConnection;
  readonly #allowed: CodecEntry[];
  readonly #formats = new Map<string, Map<number, CodecEntry>>();
  readonly #tracks: UpTrack[] = [];
  readonly #downs = new Set<AttachedDown>();
  readonly #ticker: ReturnType<typeof setInterval>;
  #tracksTimer: ReturnType<typeof setTimeout> | undefined;
  #reported: string | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #ticks = 0;
  #closed = false;

  constructor(options: UpOptions, context: UpContext) {
    this.id = options.id;
    this.#options = options;
    this.#context = context;
    this.#allowed = codecEntries(options.codecs);
    this.#pc = new RTCPeerConnection(peerConfig(context.settings, {
      audio: this.#allowed.filter((e) => e.kind === "audio").map(weriftCodec),
      video: this.#allowed.filter((e) => e.kind === "video").map(weriftCodec),
    }));
    this.#pc.onRemoteTransceiverAdded.subscribe((transceiver) => {
      disableNackGenerator(transceiver.receiver);
      transceiver.onTrack.subscribe((track) =>
        this.#addTrack(track, transceiver)
      );
    });
    this.#pc.onIceCandidate.subscribe((candidate) => {
      if (candidate && !this.#closed) {
        options.onIceCandidate(toIceInit(candidate));
      }
    });
    this.#pc.connectionStateChange.subscribe((state) => {
      if (!this.#closed) {
        context.log(`up ${this.id}: ${state}`);
        options.onStateChange(mapState(state));
      }
    });
    this.#ticker = setInterval(() => this.#tick(), TICK_MS);
  }

  /** Number of subscribers attached. */
  get downCount(): number {
    return this.#downs.size;
  }

  offer(sdp: string): Promise<string> {
    const run = async (): Promise<string> => {
      if (this.#closed) {
        throw new Error(
          `Cannot apply offer: up connection "${this.id}" is closed`,
        );
      }
      const filtered = filterOffer(sdp, this.#allowed);
      for (const section of filtered.sections) {
        if (section.mid !== undefined) {
          this.#formats.set(section.mid, section.formats);
        }
      }
      try {
        await this.#pc.setRemoteDescription({
          type: "offer",
          sdp: filtered.sdp,
        });
      } catch (e) {
        throw new SyntaxError(
          `Cannot apply offer of up connection "${this.id}": ${e}`,
        );
      }
      await this.#pc.setLocalDescription(await this.#pc.createAnswer());
      const local = this.#pc.localDescription;
      if (!local) {
        throw new Error(
          `Cannot answer up connection "${this.id}": no local description`,
        );
      }
      return local.sdp;
    };
    const result = this.#chain.then(run, run);
    this.#chain = result.catch(() => {});
    return result;
  }

  async addIceCandidate(candidate: IceCandidate): Promise<void> {
    if (this.#closed) return;
    // werift buffers candidates that arrive before the remote description.
    await this.#pc.addIceCandidate(toWeriftCandidate(candidate));
  }

  tracks(): readonly UpTrackInfo[] {
    const infos: UpTrackInfo[] = [];
    for (const track of this.#tracks) {
      const codec = track.codec;
      if (!codec) continue;
      const info: UpTrackInfo = {
        id: track.id,
        kind: track.kind,
        codec: codec.name,
      };
      if (track.rid !== undefined) info.rid = track.rid;
      infos.push(info);
    }
    return infos;
  }

  /** Tracks that have received a packet, in arrival order. */
  liveTracks(kind: "audio" | "video"): UpTrack[] {
    return this.#tracks.filter((t) => t.kind === kind && t.codec !== undefined);
  }

  /** Registers a subscriber; it is closed with this connection. */
  attach(down: AttachedDown): void {
    if (this.#closed) {
      down.close();
      return;
    }
    this.#downs.add(down);
  }

  /** Forgets a subscriber (it closed). */
  detach(down: AttachedDown): void {
    this.#downs.delete(down);
  }

  stats(now: number): ConnectionStats {
    return {
      id: this.id,
      direction: "up",
      tracks: this.#tracks.flatMap((track) => {
        const figures = track.figures(now);
        if (!figures) return [];
        const stats = {
          bitrate: figures.bitrate,
          loss: figures.loss,
          jitter: figures.jitter,
        };
        return track.rid !== undefined
          ? [{ ...stats, layer: track.rid }]
          : [stats];
      }),
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#ticker);
    clearTimeout(this.#tracksTimer);
    for (const down of [...this.#downs]) down.close();
    this.#downs.clear();
    for (const track of this.#tracks) track.close();
    const teardown = this.#pc.close().catch((e: unknown) => {
      this.#context.log(`up ${this.id}: close failed: ${e}`);
    });
    this.#context.onClosed(this, teardown);
    this.#options.onStateChange("closed" satisfies ConnectionState);
  }

  #addTrack(track: MediaStreamTrack, transceiver: RTCRtpTransceiver): void {
    if (this.#closed) return;
    const up = new UpTrack({
      track,
      receiver: transceiver.receiver,
      layer: this.#tracks.length,
      // werift may set the mid after the track event: look it up late.
      codecOf: (pt) => this.#formats.get(transceiver.mid ?? "")?.get(pt),
      pipelines: this.#context.pipelines,
      onFirstPacket: () => this.#scheduleTracks(),
      log: this.#context.log,
    });
    this.#tracks.push(up);
  }

  #scheduleTracks(): void {
    clearTimeout(this.#tracksTimer);
    this.#tracksTimer = setTimeout(() => {
      this.#tracksTimer = undefined;
      const tracks = this.tracks();
      const key = JSON.stringify(tracks);
      if (this.#closed || key === this.#reported) return;
      this.#reported = key;
      this.#options.onTracks(tracks);
    }, TRACKS_DEBOUNCE_MS);
  }

  #tick(): void {
    const now = performance.now();
    for (const track of this.#tracks) track.tick(now);
    for (const down of this.#downs) down.tick(now);
    if (++this.#ticks % 2 === 0) this.#sendRemb();
  }

  #sendRemb(): void {
    const transport = this.#pc.dtlsTransports[0];
    if (!transport || transport.state !== "connected") return;
    const video = this.liveTracks("video");
    if (video.length === 0) return;
    let limit: number | undefined;
    for (const down of this.#downs) {
      const b = down.maxBitrate();
      if (b !== undefined) limit = limit === undefined ? b : Math.min(limit, b);
    }
    let total = 0;
    for (const track of video) {
      if (track.rid === "l" && video.length > 1) total += LOW_LAYER_BITRATE;
      else total += Math.max(MIN_BITRATE, limit ?? DEFAULT_BITRATE);
    }
    const packet = buildRemb(video[0]!.ssrc, {
      ssrcs: video.map((t) => t.ssrc),
      bitrate: total,
    });
    transport.sendRtcp([packet]).catch((e: unknown) => {
      this.#context.log(`up ${this.id}: cannot send REMB: ${e}`);
    });
  }
}
