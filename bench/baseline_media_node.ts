/**
 * The baseline of the forwarding benchmark: a {@link MediaNode} that is a
 * plain werift forwarder and nothing of Nereid's media plane.
 *
 * Each received `RtpPacket` is cloned per subscriber with its header
 * extensions cleared (werift would otherwise copy the publisher's extensions
 * over its own, media-notes) and handed to the sender's `sendRtp`. werift's
 * SRTP, `node:dgram` sockets, NACK generator and responder all stay as
 * werift ships them: this process must not install the fast path.
 *
 * @module
 */

import {
  MediaStreamTrack,
  RTCPeerConnection,
  type RTCPeerConnectionConfig,
  RTCRtpCodecParameters,
  type RTCRtpSender,
  RtpHeader,
  RtpPacket,
} from "werift";
import {
  type ConnectionStats,
  type DownConnection,
  type DownOptions,
  type IceCandidate,
  MediaError,
  type MediaNode,
  type MediaRecording,
  type TrackRequest,
  type UpConnection,
  type UpOptions,
  type UpTrackInfo,
} from "../server/media/media_node.ts";
import { loopbackIce } from "../server/media/local/peer_config.ts";

/** Options of {@link BaselineMediaNode}. */
export interface BaselineMediaNodeOptions {
  log(message: string): void;
}

// Loopback only, as the benchmark runs on one machine (media-notes).
function config(video: boolean): RTCPeerConnectionConfig {
  return {
    ...loopbackIce(),
    bundlePolicy: "max-bundle",
    codecs: {
      audio: [],
      video: video
        ? [
          new RTCRtpCodecParameters({
            mimeType: "video/VP8",
            clockRate: 90000,
            payloadType: 96,
            rtcpFeedback: [{ type: "nack" }, {
              type: "nack",
              parameter: "pli",
            }],
          }),
        ]
        : [],
    },
  };
}

function toInit(candidate: IceCandidate) {
  return {
    candidate: candidate.candidate,
    ...(candidate.sdpMid != null ? { sdpMid: candidate.sdpMid } : {}),
    ...(candidate.sdpMLineIndex != null
      ? { sdpMLineIndex: candidate.sdpMLineIndex }
      : {}),
  };
}

function watch(
  pc: RTCPeerConnection,
  options: Pick<UpOptions, "onIceCandidate" | "onStateChange">,
): void {
  pc.onIceCandidate.subscribe((c) => {
    if (!c) return;
    const json = c.toJSON();
    options.onIceCandidate({
      candidate: json.candidate,
      sdpMid: json.sdpMid ?? null,
      sdpMLineIndex: json.sdpMLineIndex ?? null,
    });
  });
  pc.connectionStateChange.subscribe((s) =>
    options.onStateChange(s === "disconnected" ? "connecting" : s)
  );
}

class BaselineDown implements DownConnection {
  readonly id: string;
  readonly #pc = new RTCPeerConnection(config(true));
  readonly #up: BaselineUp;
  #sender: RTCRtpSender | null = null;
  #wantsVideo: boolean;
  #closed = false;

  constructor(options: DownOptions, up: BaselineUp) {
    this.id = options.id;
    this.#up = up;
    this.#wantsVideo = wantsVideo(options.request);
    watch(this.#pc, options);
    up.downs.add(this);
  }

  /** Clones the packet for this subscriber, extensions cleared, and sends it. */
  forward(packet: RtpPacket): void {
    const sender = this.#sender;
    if (sender === null || sender.dtlsTransport?.state !== "connected") return;
    const header = new RtpHeader({ ...packet.header });
    header.extensions = [];
    sender.sendRtp(new RtpPacket(header, packet.payload)).catch(() => {});
  }

  async negotiate(): Promise<string | null> {
    if (!this.#wantsVideo || !this.#up.hasVideo) return null;
    if (this.#sender === null) {
      const t = this.#pc.addTransceiver(
        new MediaStreamTrack({ kind: "video" }),
        { direction: "sendonly" },
      );
      this.#sender = t.sender;
    }
    await this.#pc.setLocalDescription(await this.#pc.createOffer());
    return this.#pc.localDescription?.sdp ?? null;
  }

  async answer(sdp: string): Promise<void> {
    await this.#pc.setRemoteDescription({ type: "answer", sdp });
  }

  async addIceCandidate(candidate: IceCandidate): Promise<void> {
    await this.#pc.addIceCandidate(toInit(candidate));
  }

  setRequest(request: readonly TrackRequest[]): Promise<boolean> {
    const before = this.#wantsVideo;
    this.#wantsVideo = wantsVideo(request);
    return Promise.resolve(before !== this.#wantsVideo);
  }

  /** Not part of the benchmark. */
  retarget(_upId: string): Promise<void> {
    return Promise.reject(
      new MediaError("refused", "The baseline node does not retarget"),
    );
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#up.downs.delete(this);
    this.#pc.close().catch(() => {});
  }
}

function wantsVideo(request: readonly TrackRequest[]): boolean {
  return request.includes("video") || request.includes("video-low");
}

class BaselineUp implements UpConnection {
  readonly id: string;
  readonly downs = new Set<BaselineDown>();
  readonly #pc = new RTCPeerConnection(config(true));
  #tracks: UpTrackInfo[] = [];
  #closed = false;

  constructor(options: UpOptions) {
    this.id = options.id;
    watch(this.#pc, options);
    this.#pc.onRemoteTransceiverAdded.subscribe((transceiver) => {
      transceiver.onTrack.subscribe((track) => {
        if (track.kind !== "video") return;
        let first = true;
        track.onReceiveRtp.subscribe((packet) => {
          if (first) {
            first = false;
            this.#tracks = [{
              id: track.id ?? "video",
              kind: "video",
              codec: "vp8",
            }];
            options.onTracks(this.#tracks);
          }
          for (const down of this.downs) down.forward(packet);
        });
      });
    });
  }

  get hasVideo(): boolean {
    return this.#tracks.length > 0;
  }

  async offer(sdp: string): Promise<string> {
    await this.#pc.setRemoteDescription({ type: "offer", sdp });
    await this.#pc.setLocalDescription(await this.#pc.createAnswer());
    return this.#pc.localDescription?.sdp ?? "";
  }

  async addIceCandidate(candidate: IceCandidate): Promise<void> {
    await this.#pc.addIceCandidate(toInit(candidate));
  }

  tracks(): readonly UpTrackInfo[] {
    return this.#tracks;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const down of [...this.downs]) down.close();
    this.#pc.close().catch(() => {});
  }
}

/** A plain werift forwarder behind Nereid's media interface. */
export class BaselineMediaNode implements MediaNode {
  readonly #ups = new Map<string, BaselineUp>();
  readonly #log: (message: string) => void;

  constructor(options: BaselineMediaNodeOptions) {
    this.#log = options.log;
  }

  openUp(options: UpOptions): Promise<UpConnection> {
    const up = new BaselineUp(options);
    this.#ups.set(options.id, up);
    this.#log(`baseline: up ${options.id}`);
    return Promise.resolve(up);
  }

  openDown(options: DownOptions): Promise<DownConnection> {
    const up = this.#ups.get(options.upId);
    if (!up) {
      return Promise.reject(
        new MediaError(
          "not-found",
          `Cannot open down connection "${options.id}": no up connection "${options.upId}"`,
        ),
      );
    }
    return Promise.resolve(new BaselineDown(options, up));
  }

  /** The baseline records nothing. */
  record(): Promise<MediaRecording> {
    return Promise.reject(
      new MediaError("refused", "the baseline node does not record"),
    );
  }

  stats(): Promise<ConnectionStats[]> {
    return Promise.resolve([]);
  }

  close(): Promise<void> {
    for (const up of this.#ups.values()) up.close();
    this.#ups.clear();
    return Promise.resolve();
  }
}
