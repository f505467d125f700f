/**
 * A subscriber's connection for one stream on the in-process media node.
 *
 * @module
 */

import {
  GenericNack,
  MediaStream,
  MediaStreamTrack,
  RTCPeerConnection,
  type RtcpPacket,
  RtcpPayloadSpecificFeedback,
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
import { DownTrack } from "./down_track.ts";
import { mapState, toIceInit, toWeriftCandidate } from "./ice.ts";
import type { AttachedDown, LocalUpConnection } from "./local_up_connection.ts";
import type { PacketPipelines } from "./packet_pipeline.ts";
import { peerConfig, type TransportSettings } from "./peer_config.ts";
import type { UpTrack } from "./up_track.ts";
import { interceptSenderRtcp, senderFeedback } from "./werift_internals.ts";

/** What a down connection needs from its node. */
export interface DownContext {
  settings: TransportSettings;
  pipelines: PacketPipelines;
  log(message: string): void;
  onClosed(down: LocalDownConnection, teardown: Promise<void>): void;
}

// RTCP feedback message types (RFC 4585 §6.2, RFC 5104 §4.3.1, REMB draft).
const FMT_PLI = 1;
const FMT_FIR = 4;
const FMT_REMB = 15;

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
  #remb: number | undefined;
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
      // Every new subscriber starts with a keyframe (Galène does the same).
      if (state === "connected") {
        this.#video?.track.requestKeyframe(performance.now());
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
      this.#video.track.select(after.video.layer, performance.now());
    }
    return changed;
  }

  /** The subscriber's REMB in bits/s, if it sent one. */
  maxBitrate(): number | undefined {
    return this.#remb;
  }

  tick(now: number): void {
    this.#video?.track.tick(now);
  }

  stats(now: number): ConnectionStats {
    const tracks = [this.#audio, this.#video].flatMap((sent) => {
      if (!sent) return [];
      const feedback = senderFeedback(sent.track.sender);
      const stats: ConnectionStats["tracks"][number] = {
        bitrate: sent.track.bitrate(now),
        loss: feedback.loss ?? 0,
      };
      if (feedback.rtt !== undefined) stats.rtt = feedback.rtt;
      if (this.#remb !== undefined) stats.maxBitrate = this.#remb;
      return [stats];
    });
    return { id: this.id, direction: "down", tracks };
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

  /** The up tracks the current request selects. */
  #selection(): { audio?: UpTrack; video?: UpTrack } {
    const result: { audio?: UpTrack; video?: UpTrack } = {};
    const audio = this.#up.liveTracks("audio")[0];
    if (this.#request.includes("audio") && audio) result.audio = audio;
    const video = this.#up.liveTracks("video");
    if (this.#request.includes("video")) {
      const pick = video.find((t) => t.rid === "h") ?? video[0];
      if (pick) result.video = pick;
    } else if (this.#request.includes("video-low")) {
      const pick = video.find((t) => t.rid === "l") ?? video[video.length - 1];
      if (pick) result.video = pick;
    }
    return result;
  }

  #syncTracks(): void {
    const selection = this.#selection();
    this.#audio = this.#sync(this.#audio, selection.audio);
    this.#video = this.#sync(this.#video, selection.video);
  }

  #sync(sent: Sent | undefined, source: UpTrack | undefined): Sent | undefined {
    if (sent && !source) {
      sent.track.close();
      this.#pc.removeTrack(sent.transceiver.sender);
      return undefined;
    }
    if (!source || sent) return sent;
    const codec = source.codec!;
    // The down track offers exactly the upstream codec, with our fixed payload type.
    this.#pc.config.codecs[source.kind] = [weriftCodec(codec)];
    const transceiver = this.#pc.addTransceiver(
      new MediaStreamTrack({ kind: source.kind }),
      {
        direction: "sendonly",
        streams: [new MediaStream({ id: this.id })],
      },
    );
    const sender = transceiver.sender;
    // Layers with another codec cannot share this outgoing track.
    const sources = this.#up.liveTracks(source.kind).filter((t) =>
      t.codec === codec
    );
    const track = new DownTrack({
      sender,
      sources,
      layer: source.layer,
      pipeline: this.#context.pipelines.down({
        ssrc: sender.ssrc,
        payloadType: codec.payloadType,
        clockRate: codec.clockRate,
        layer: source.layer,
      }),
      log: this.#context.log,
    });
    interceptSenderRtcp(sender, (packet) => this.#onRtcp(track, packet));
    return { track, transceiver };
  }

  #onRtcp(track: DownTrack, packet: RtcpPacket): boolean {
    if (
      packet instanceof RtcpTransportLayerFeedback &&
      packet.feedback instanceof GenericNack
    ) {
      track.retransmit(packet.feedback.lost);
      return true; // instead of werift's responder
    }
    if (packet instanceof RtcpPayloadSpecificFeedback) {
      const count = packet.feedback.count;
      if (count === FMT_PLI || count === FMT_FIR) {
        track.requestKeyframe(performance.now());
      } else if (count === FMT_REMB && "bitrate" in packet.feedback) {
        this.#remb = Number(packet.feedback.bitrate);
      }
    }
    return false;
  }
}
