/**
 * A subscriber's connection for one stream on the in-process media node.
 *
 * @module
 */

import {
  GenericNack,
  MediaStream,
  MediaStreamTrack,
  ReceiverEstimatedMaxBitrate,
  RTCPeerConnection,
  type RtcpPacket,
  RtcpPayloadSpecificFeedback,
  RtcpRrPacket,
  RtcpSrPacket,
  RtcpTransportLayerFeedback,
  type RTCRtpTransceiver,
} from "werift";
import type {
  ConnectionStats,
  DownConnection,
  DownOptions,
  IceCandidate,
  TrackRequest,
} from "../media_node.ts";
import { weriftCodec } from "./codecs.ts";
import { DownTrack, type Faults } from "./down_track.ts";
import { mapState, toIceInit, toWeriftCandidate } from "./ice.ts";
import type { AttachedDown, LocalUpConnection } from "./local_up_connection.ts";
import type { PacketPipelines } from "./packet_pipeline.ts";
import { peerConfig, type TransportSettings } from "./peer_config.ts";
import type { UpTrack } from "./up_track.ts";
import { interceptSenderRtcp } from "./werift_internals.ts";
import { duplicateHandshakes } from "./dtls_retransmission.ts";

/** What a down connection needs from its node. */
export interface DownContext {
  settings: TransportSettings;
  pipelines: PacketPipelines;
  faults: Faults;
  log(message: string): void;
  onClosed(down: LocalDownConnection, teardown: Promise<void>): void;
}

// RTCP feedback message types (RFC 4585 §6.2, RFC 5104 §4.3.1).
const FMT_PLI = 1;
const FMT_FIR = 4;
// Simulcast rids by rank; others rank by order of arrival, above these.
const RID_RANK: Record<string, number> = { q: 0, l: 1, m: 2, f: 3, h: 4 };

interface Sent {
  track: DownTrack;
  transceiver: RTCRtpTransceiver;
}

/** A subscriber's connection: the node offers, the client answers. */
export class LocalDownConnection implements DownConnection, AttachedDown {
  readonly id: string;
  readonly subscriber: string;
  readonly #options: DownOptions;
  readonly #context: DownContext;
  readonly #up: LocalUpConnection;
  readonly #pc: RTCPeerConnection;
  #request: readonly TrackRequest[];
  #audio: Sent | undefined;
  #video: Sent | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(
    options: DownOptions,
    context: { up: LocalUpConnection } & DownContext,
  ) {
    this.id = options.id;
    this.subscriber = options.subscriber;
    this.#options = options;
    this.#context = context;
    this.#up = context.up;
    this.#request = [...options.request];
    this.#pc = new RTCPeerConnection(
      peerConfig(context.settings, { audio: [], video: [] }),
    );
    this.#pc.onIceCandidate.subscribe((candidate) => {
      if (candidate && !this.#closed) {
        options.onIceCandidate(toIceInit(candidate));
      }
    });
    this.#pc.connectionStateChange.subscribe((state) => {
      if (this.#closed) return;
      context.log(`down ${this.id} to ${this.subscriber}: ${state}`);
      // Every new subscriber starts with a keyframe: replayed from the
      // cache when recent, else asked for (Galène does the same).
      if (state === "connected") {
        const now = performance.now();
        this.#audio?.track.start(now);
        this.#video?.track.start(now);
      }
      options.onStateChange(mapState(state));
    });
    this.#up.attach(this);
  }

  negotiate(options?: { iceRestart?: boolean }): Promise<string | null> {
    const run = async (): Promise<string | null> => {
      if (this.#closed) {
        throw new Error(
          `Cannot negotiate down connection "${this.id}": it is closed`,
        );
      }
      this.#syncTracks();
      if (!this.#audio && !this.#video) return null;
      const offer = await this.#pc.createOffer(
        options?.iceRestart ? { iceRestart: true } : {},
      );
      await this.#pc.setLocalDescription(offer);
      if (this.#context.faults.duplicateHandshakes) {
        duplicateHandshakes(this.#pc.dtlsTransports);
      }
      return this.#pc.localDescription?.sdp ?? null;
    };
    const result = this.#chain.then(run, run);
    this.#chain = result.catch(() => {});
    return result;
  }

  answer(sdp: string): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.#closed) return;
      try {
        await this.#pc.setRemoteDescription({ type: "answer", sdp });
      } catch (e) {
        throw new SyntaxError(
          `Cannot apply answer of down connection "${this.id}": ${e}`,
        );
      }
    };
    const result = this.#chain.then(run, run);
    this.#chain = result.catch(() => {});
    return result;
  }

  async addIceCandidate(candidate: IceCandidate): Promise<void> {
    if (this.#closed) return;
    await this.#pc.addIceCandidate(toWeriftCandidate(candidate));
  }

  setRequest(request: readonly TrackRequest[]): boolean {
    const before = this.#selection();
    this.#request = [...request];
    const after = this.#selection();
    const changed =
      (before.audio === undefined) !== (after.audio === undefined) ||
      (before.video === undefined) !== (after.video === undefined);
    if (!changed && after.video && this.#video) {
      // A layer switch: same outgoing track, the pipeline splices at a keyframe.
      this.#video.track.setMaxLayer(after.video.maxLayer, performance.now());
    }
    return changed;
  }

  available(now: number): number | null {
    if (this.#video === undefined) return null;
    return this.#video.track.available(now) ?? Infinity;
  }

  tick(now: number): void {
    this.#audio?.track.tick(now);
    this.#video?.track.tick(now);
  }

  adjust(now: number): void {
    this.#video?.track.adjust(now);
  }

  /** The video track sent, for tests and statistics. */
  get videoTrack(): DownTrack | undefined {
    return this.#video?.track;
  }

  stats(now: number): ConnectionStats {
    const tracks = [this.#audio, this.#video].flatMap((sent) => {
      if (!sent) return [];
      const track = sent.track;
      const f = track.figures();
      const stats: ConnectionStats["tracks"][number] = {
        bitrate: track.bitrate(now),
        loss: f.loss,
      };
      if (f.rtt !== undefined) stats.rtt = f.rtt;
      if (f.jitter !== undefined) stats.jitter = f.jitter;
      const max = track.available(now);
      if (max !== undefined) stats.maxBitrate = max;
      const layer = track.layerName;
      if (sent === this.#video && layer !== undefined) stats.layer = layer;
      return [stats];
    });
    return {
      id: this.id,
      direction: "down",
      subscriber: this.subscriber,
      tracks,
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#audio?.track.close();
    this.#video?.track.close();
    this.#up.detach(this);
    const teardown = this.#pc.close().catch((e: unknown) => {
      this.#context.log(
        `down ${this.id} to ${this.subscriber}: close failed: ${e}`,
      );
    });
    this.#context.onClosed(this, teardown);
    this.#options.onStateChange("closed");
  }

  /** The up tracks the current request selects; video as its layers, lowest first. */
  #selection(): {
    audio?: UpTrack;
    video?: { sources: UpTrack[]; maxLayer: number };
  } {
    const result: {
      audio?: UpTrack;
      video?: { sources: UpTrack[]; maxLayer: number };
    } = {};
    const audio = this.#up.liveTracks("audio")[0];
    if (this.#request.includes("audio") && audio) result.audio = audio;
    const all = this.#up.liveTracks("video");
    const first = all[0];
    const wants = this.#request.includes("video") ||
      this.#request.includes("video-low");
    if (first && wants) {
      // Layers with another codec cannot share this outgoing track.
      const sources = all.filter((t) => t.codec === first.codec);
      const rank = (t: UpTrack) => RID_RANK[t.rid ?? ""] ?? 10;
      sources.sort((a, b) => rank(a) - rank(b));
      const maxLayer = this.#request.includes("video") ? sources.length - 1 : 0;
      result.video = { sources, maxLayer };
    }
    return result;
  }

  #syncTracks(): void {
    const selection = this.#selection();
    this.#audio = this.#sync(
      this.#audio,
      selection.audio && { sources: [selection.audio], maxLayer: 0 },
    );
    this.#video = this.#sync(this.#video, selection.video);
  }

  #sync(
    sent: Sent | undefined,
    source: { sources: UpTrack[]; maxLayer: number } | undefined,
  ): Sent | undefined {
    if (sent && !source) {
      sent.track.close();
      this.#pc.removeTrack(sent.transceiver.sender);
      return undefined;
    }
    if (sent && source && source.sources.length > 1) {
      sent.track.addLayers(source.sources, source.maxLayer, performance.now());
    }
    if (!source || sent) return sent;
    const top = source.sources[source.sources.length - 1]!;
    const codec = top.codec!;
    // The down track offers exactly the upstream codec, with our fixed payload type.
    this.#pc.config.codecs[top.kind] = [weriftCodec(codec)];
    const transceiver = this.#pc.addTransceiver(
      new MediaStreamTrack({ kind: top.kind }),
      {
        direction: "sendonly",
        streams: [new MediaStream({ id: this.id })],
      },
    );
    const sender = transceiver.sender;
    const track = new DownTrack({
      transport: () => sender.transport ?? undefined,
      sources: source.sources,
      maxLayer: source.maxLayer,
      clockRate: codec.clockRate,
      faults: this.#context.faults,
      pipeline: this.#context.pipelines.down({
        ssrc: sender.ssrc,
        payloadType: codec.payloadType,
        codec: codec.name,
        clockRate: codec.clockRate,
        layer: source.maxLayer,
      }),
      name: `down ${this.id} to ${this.subscriber} ${top.kind}`,
      log: this.#context.log,
    });
    interceptSenderRtcp(
      sender,
      (packet) => this.#onRtcp(track, sender.ssrc, packet),
    );
    return { track, transceiver };
  }

  #onRtcp(track: DownTrack, ssrc: number, packet: RtcpPacket): boolean {
    const now = performance.now();
    if (packet instanceof RtcpRrPacket || packet instanceof RtcpSrPacket) {
      for (const report of packet.reports) {
        if (report.ssrc === ssrc) track.onReport(report, now);
      }
      return true; // werift's sender computes nothing useful from them now
    }
    if (
      packet instanceof RtcpTransportLayerFeedback &&
      packet.feedback instanceof GenericNack
    ) {
      track.retransmit(packet.feedback.lost);
      return true; // instead of werift's responder
    }
    if (packet instanceof RtcpPayloadSpecificFeedback) {
      const feedback = packet.feedback;
      if (feedback instanceof ReceiverEstimatedMaxBitrate) {
        track.onRemb(Number(feedback.bitrate), now);
      } else if (feedback.count === FMT_PLI || feedback.count === FMT_FIR) {
        track.requestKeyframe(now);
      }
    }
    return false;
  }
}
