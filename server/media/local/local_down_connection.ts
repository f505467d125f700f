/**
 * A subscriber's connection for one stream on the in-process media node.
 *
 * Every callback it installs, and every call its up connection's loops make
 * into it (a packet to forward, a tick), runs under its
 * {@link ConnectionGuard}: an exception there closes this connection only,
 * not the publisher's nor another subscriber's. A connection that gathers
 * no ICE candidate refuses to make an offer, with the reason.
 *
 * One opened with `follows` outlives its up connection: it then sends
 * nothing, keeps its tracks, and waits for {@link LocalDownConnection.retarget}
 * to give it another up connection, whose tracks its outgoing tracks then
 * forward (the same SSRCs, the numbers continuing: down_track.ts).
 *
 * @module
 */

import {
  GenericNack,
  MediaStream,
  MediaStreamTrack,
  ReceiverEstimatedMaxBitrate,
  type RTCIceCandidate,
  RTCPeerConnection,
  type RtcpPacket,
  RtcpPayloadSpecificFeedback,
  RtcpRrPacket,
  RtcpSrPacket,
  RtcpTransportLayerFeedback,
  type RTCRtpTransceiver,
} from "werift";
import {
  type ConnectionStats,
  type DownOptions,
  type IceCandidate,
  MediaError,
  type TrackRequest,
} from "../media_node.ts";
import { weriftCodec } from "./codecs.ts";
import { DownTrack } from "./down_track.ts";
import type { TestFaults } from "./test_faults.ts";
import {
  mapState,
  toIceInit,
  toWeriftCandidate,
  type WeriftState,
} from "./ice.ts";
import type { AttachedDown, LocalUpConnection } from "./local_up_connection.ts";
import type { PacketPipelines } from "./packet_pipeline.ts";
import { peerConfig, type TransportSettings } from "./peer_config.ts";
import type { UpTrack } from "./up_track.ts";
import { interceptSenderRtcp } from "../werift_patches.ts";
import { duplicateHandshakes } from "./dtls_retransmission.ts";
import { ConnectionGuard } from "./connection_guard.ts";
import { gatheringFailure } from "./gathering.ts";
import { reportBindFailures } from "../fast/werift_seam.ts";

/** What a down connection needs from its node. */
export interface DownContext {
  settings: TransportSettings;
  pipelines: PacketPipelines;
  testFaults: TestFaults;
  log(message: string): void;
  onClosed(down: LocalDownConnection, teardown: Promise<void>): void;
}

// RTCP feedback message types (RFC 4585 §6.2, RFC 5104 §4.3.1).
const FMT_PLI = 1;
const FMT_FIR = 4;
// Simulcast rids by rank; others rank by order of arrival, above these.
const RID_RANK: Record<string, number> = { q: 0, l: 1, m: 2, f: 3, h: 4 };
/** `maxSpatial` for "any SVC spatial layer". */
const ANY_SPATIAL = 7;

/** The up tracks a request selects for one kind, and the layers allowed. */
interface VideoSelection {
  /** Lowest layer first. */
  sources: UpTrack[];
  /** Highest simulcast layer. */
  maxLayer: number;
  /** Highest SVC spatial layer. */
  maxSpatial: number;
}

interface Sent {
  track: DownTrack;
  transceiver: RTCRtpTransceiver;
  /** The codec negotiated for it: another cannot be sent on it. */
  codec: string;
}

type Selection = {
  audio?: UpTrack;
  video?: VideoSelection;
};

/** A subscriber's connection: the node offers, the client answers. */
export class LocalDownConnection implements AttachedDown {
  /** The up connection's id: another one after {@link retarget}. */
  id: string;
  readonly subscriber: string;
  readonly #options: DownOptions;
  readonly #context: DownContext;
  /** Null while a follower waits for another up connection. */
  #up: LocalUpConnection | null;
  readonly #pc: RTCPeerConnection;
  readonly #guard: ConnectionGuard;
  #request: readonly TrackRequest[];
  #audio: Sent | undefined;
  #video: Sent | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #candidates = 0;
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
    const guard = new ConnectionGuard(
      `down ${options.id} to ${options.subscriber}`,
      {
        testFaults: context.testFaults,
        log: context.log,
        close: () => this.close(),
      },
    );
    this.#guard = guard;
    this.tick = guard.wrap("tick", undefined, (now: number) => {
      this.#audio?.track.tick(now);
      this.#video?.track.tick(now);
    });
    this.adjust = guard.wrap("tick", undefined, (now: number) => {
      this.#video?.track.adjust(now);
    });
    this.available = guard.wrap("tick", null, (now: number) => {
      if (this.#video === undefined) return null;
      return this.#video.track.available(now) ?? Infinity;
    });
    const taken = guard.wrap(
      "tick",
      undefined,
      (_: void) => this.#video?.track.source,
    );
    this.taken = () => taken();
    this.#pc = new RTCPeerConnection(
      peerConfig(context.settings, { audio: [], video: [] }),
    );
    this.#pc.onIceCandidate.subscribe(
      guard.wrap("ice", undefined, (candidate: RTCIceCandidate | undefined) => {
        if (candidate && !this.#closed) {
          this.#candidates++;
          options.onIceCandidate(toIceInit(candidate));
        }
      }),
    );
    this.#pc.connectionStateChange.subscribe(
      guard.wrap("state", undefined, (state: WeriftState) => {
        if (this.#closed) return;
        context.log(`${guard.name}: ${state}`);
        // Every new subscriber starts with a keyframe: replayed from the
        // cache when recent, else asked for (Galène does the same).
        if (state === "connected") {
          const now = performance.now();
          this.#audio?.track.start(now);
          this.#video?.track.start(now);
        }
        options.onStateChange(mapState(state));
      }),
    );
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
      const failures: Error[] = [];
      await reportBindFailures(
        (e) => failures.push(e),
        () => this.#pc.setLocalDescription(offer),
      );
      const failure = gatheringFailure(this.#candidates, failures);
      if (failure.fatal) {
        throw new Error(
          `Cannot send stream "${this.id}" to "${this.subscriber}": ${failure.reason}`,
        );
      }
      if (failure.reason) {
        this.#context.log(`${this.#guard.name}: ${failure.reason}`);
      }
      if (this.#context.testFaults.duplicateHandshakes) {
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

  /**
   * Forwards `up` instead (see the contract's `retarget`).
   * @throws {MediaError} `"refused"` when a kind sent comes in another
   * codec, or `up` has none of the kinds sent; `"closed"`
   */
  retarget(up: LocalUpConnection): void {
    if (this.#closed) {
      throw new MediaError(
        "closed",
        `Cannot retarget down connection "${this.id}": it is closed`,
      );
    }
    const selection = this.#selection(up);
    const pairs = [
      { sent: this.#audio, sources: selection.audio && [selection.audio] },
      { sent: this.#video, sources: selection.video?.sources },
    ];
    for (const { sent, sources } of pairs) {
      const codec = sources?.[0]?.codec?.name;
      if (sent && codec !== undefined && codec !== sent.codec) {
        throw new MediaError(
          "refused",
          `Cannot move down connection "${this.id}" to "${up.id}": it sends ${sent.codec}, that stream ${codec}`,
        );
      }
    }
    if (!pairs.some((p) => p.sent && p.sources)) {
      throw new MediaError(
        "refused",
        `Cannot move down connection "${this.id}" to "${up.id}": no kind in common`,
      );
    }
    this.#up?.detach(this);
    this.#up = up;
    this.id = up.id;
    up.attach(this);
    const now = performance.now();
    this.#audio?.track.retarget(pairs[0]!.sources ?? [], 0, now);
    this.#video?.track.retarget(
      pairs[1]!.sources ?? [],
      selection.video?.maxLayer ?? 0,
      now,
    );
    this.#context.log(`${this.#guard.name}: now forwards up ${up.id}`);
  }

  /**
   * Its up connection closed: it closes too, or, when it follows, waits
   * silent for {@link retarget}.
   */
  upClosed(): void {
    if (!this.#options.follows) {
      this.close();
      return;
    }
    this.#up = null;
    if (this.#closed) return;
    const now = performance.now();
    this.#audio?.track.retarget([], 0, now);
    this.#video?.track.retarget([], 0, now);
    this.#context.log(`${this.#guard.name}: its up closed; waiting`);
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
      const now = performance.now();
      this.#video.track.setMaxLayer(after.video.maxLayer, now);
      this.#video.track.setMaxSpatial(after.video.maxSpatial, now);
    }
    return changed;
  }

  // Called by the up connection's timer, and guarded as this connection's:
  // a throw closes this subscriber, not the publisher.
  readonly available: (now: number) => number | null;
  readonly taken: () => UpTrack | undefined;
  readonly tick: (now: number) => void;
  readonly adjust: (now: number) => void;

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
      const svc = sent === this.#video ? track.svc : null;
      if (svc !== null && track.layer >= 0) {
        // As Galène's statistics: the layers forwarded, and the highest seen.
        stats.sid = Math.min(svc.current.sid, svc.highest.sid);
        stats.maxSid = svc.highest.sid;
        stats.tid = Math.min(svc.current.tid, svc.highest.tid);
        stats.maxTid = svc.highest.tid;
      }
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
    this.#up?.detach(this);
    const teardown = this.#pc.close().catch((e: unknown) => {
      this.#context.log(`${this.#guard.name}: close failed: ${e}`);
    });
    this.#context.onClosed(this, teardown);
    this.#options.onStateChange("closed");
  }

  /**
   * The tracks of `up` (by default the one forwarded) the current request
   * selects; video as its layers, lowest first.
   */
  #selection(up = this.#up): Selection {
    const result: Selection = {};
    if (up === null) return result;
    const audio = up.liveTracks("audio")[0];
    if (this.#request.includes("audio") && audio) result.audio = audio;
    const all = up.liveTracks("video");
    const first = all[0];
    const wants = this.#request.includes("video") ||
      this.#request.includes("video-low");
    if (first && wants) {
      // Layers with another codec cannot share this outgoing track.
      const sources = all.filter((t) => t.codec === first.codec);
      const rank = (t: UpTrack) => RID_RANK[t.rid ?? ""] ?? 10;
      sources.sort((a, b) => rank(a) - rank(b));
      const high = this.#request.includes("video");
      const maxLayer = high ? sources.length - 1 : 0;
      // Galène: video-low pins the lowest spatial layer of a single track;
      // with simulcast, low is the lowest simulcast layer, all its layers.
      const maxSpatial = high || sources.length > 1 ? ANY_SPATIAL : 0;
      result.video = { sources, maxLayer, maxSpatial };
    }
    return result;
  }

  #syncTracks(): void {
    // A follower keeps what it negotiated while it waits.
    if (this.#up === null) return;
    const selection = this.#selection();
    this.#audio = this.#sync(
      this.#audio,
      selection.audio &&
        { sources: [selection.audio], maxLayer: 0, maxSpatial: 0 },
    );
    this.#video = this.#sync(this.#video, selection.video);
  }

  #sync(
    sent: Sent | undefined,
    source: VideoSelection | undefined,
  ): Sent | undefined {
    if (sent && !source && this.#options.follows) {
      // A follower's subscriber cannot be sent a new offer later: the
      // track stays, silent, for a stream that has the kind.
      sent.track.retarget([], 0, performance.now());
      return sent;
    }
    if (sent && source && sent.track.sourceCount === 0) {
      // A follower's silent track, and the stream now has the kind.
      const codec = source.sources[0]!.codec!.name;
      if (codec !== sent.codec) {
        throw new MediaError(
          "refused",
          `Cannot send ${codec} on down connection "${this.id}": it sends ${sent.codec}`,
        );
      }
      sent.track.retarget(source.sources, source.maxLayer, performance.now());
      return sent;
    }
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
      maxSpatial: source.maxSpatial,
      subscriber: this.subscriber,
      clockRate: codec.clockRate,
      testFaults: this.#context.testFaults,
      guard: this.#guard,
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
      this.#guard.wrap(
        "rtcp",
        true, // dropped, not handed to werift
        (packet: RtcpPacket) => this.#onRtcp(track, sender.ssrc, packet),
      ),
    );
    return { track, transceiver, codec: codec.name };
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
