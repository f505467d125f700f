/**
 * A publisher's connection on the in-process media node.
 *
 * Every callback it installs runs under its {@link ConnectionGuard}: an
 * exception in one (a werift event, the per-packet interceptor, a WebAssembly trap in
 * the pipeline, a tick) closes this connection, and its subscribers with
 * it (but those that follow, which wait for another), and nothing else. A connection that gathers no ICE candidate (every
 * port of the UDP range in use, no address to offer) refuses the offer with
 * the reason.
 *
 * @module
 */

import {
  type MediaStreamTrack,
  type RTCDtlsTransport,
  type RTCIceCandidate,
  RTCPeerConnection,
  type RtcpPacket,
  RtcpSrPacket,
  type RTCRtpTransceiver,
} from "werift";
import type { Buffer } from "node:buffer";
import { sendRawRtcp, setRtpInterceptor } from "../fast/raw_rtp.ts";
import { reportBindFailures } from "../fast/werift_seam.ts";
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
import {
  DEPENDENCY_DESCRIPTOR_URI,
  peerConfig,
  type TransportSettings,
} from "./peer_config.ts";
import type { TestFaults } from "./test_faults.ts";
import { duplicateHandshakes } from "./dtls_retransmission.ts";
import { TrackReport } from "./track_report.ts";
import { UpFeedback } from "./up_feedback.ts";
import { UpTrack } from "./up_track.ts";
import type { LocalTap, TapHost } from "./local_tap.ts";
import {
  disableNackGenerator,
  disableReceiverReports,
} from "../werift_patches.ts";
import {
  mapState,
  toIceInit,
  toWeriftCandidate,
  type WeriftState,
} from "./ice.ts";
import { ConnectionGuard } from "./connection_guard.ts";
import type { Ticker } from "./ticker.ts";
import { gatheringFailure } from "./gathering.ts";

/** What an up connection needs from its node. */
export interface UpContext {
  settings: TransportSettings;
  pipelines: PacketPipelines;
  testFaults: TestFaults;
  /** The node's 500 ms timer ({@link TICK_MS}), shared by its up connections. */
  ticker: Ticker;
  log(message: string): void;
  /** Called once when the connection closes, with the promise of werift's teardown. */
  onClosed(up: LocalUpConnection, teardown: Promise<void>): void;
}

/** A down connection as its up connection sees it. */
export interface AttachedDown {
  /**
   * Bandwidth towards the subscriber's video in bit/s: Infinity when nothing
   * bounds it, null when it takes no video.
   */
  available(now: number): number | null;
  /** The publisher's track its video forwards now, if any. */
  taken(): UpTrack | undefined;
  /** Called every 500 ms by the node's timer, through the up connection. */
  tick(now: number): void;
  /** Called every second, after the subscriber's feedback had time to arrive. */
  adjust(now: number): void;
  /** This up connection closed: the down closes too, unless it follows. */
  upClosed(): void;
  close(): void;
}

/** The period of the node's {@link Ticker}: an up connection's tick. */
export const TICK_MS = 500;
/** A publisher's connection: the client offers, the node answers. */
export class LocalUpConnection implements UpConnection, TapHost {
  readonly id: string;
  readonly #options: UpOptions;
  readonly #context: UpContext;
  readonly #pc: RTCPeerConnection;
  readonly #allowed: CodecEntry[];
  readonly #formats = new Map<string, Map<number, CodecEntry>>();
  readonly #tracks: UpTrack[] = [];
  readonly #bySsrc = new Map<number, UpTrack>();
  readonly #downs = new Set<AttachedDown>();
  readonly #taps = new Set<LocalTap>();
  // Our SSRC as the sender of RTCP to the publisher.
  readonly #rtcpSsrc = (Math.random() * 0xffffffff) >>> 1;
  readonly #feedback: UpFeedback;
  readonly #report: TrackReport;
  readonly #guard: ConnectionGuard;
  #transport: RTCDtlsTransport | undefined;
  readonly #stopTicking: () => void;
  #chain: Promise<unknown> = Promise.resolve();
  #ticks = 0;
  #candidates = 0;
  #closed = false;

  constructor(options: UpOptions, context: UpContext) {
    this.id = options.id;
    this.#options = options;
    this.#context = context;
    const guard = new ConnectionGuard(`up ${options.id}`, {
      testFaults: context.testFaults,
      log: context.log,
      close: () => this.close(),
    });
    this.#guard = guard;
    this.#allowed = codecEntries(options.codecs);
    this.#feedback = new UpFeedback(
      context.pipelines,
      this.#rtcpSsrc,
      this.#sendRtcp,
    );
    this.#report = new TrackReport(
      () => this.tracks(),
      guard.wrap("track", undefined, options.onTracks),
    );
    this.#interceptor = guard.wrap("rtp", true, this.#receive);
    this.#onRtcp = guard.wrap("rtcp", undefined, this.#senderReport);
    this.#pc = new RTCPeerConnection(peerConfig(context.settings, {
      audio: this.#allowed.filter((e) => e.kind === "audio").map(weriftCodec),
      video: this.#allowed.filter((e) => e.kind === "video").map(weriftCodec),
    }));
    this.#pc.onRemoteTransceiverAdded.subscribe(
      guard.wrap("track", undefined, (transceiver: RTCRtpTransceiver) => {
        disableNackGenerator(transceiver.receiver);
        disableReceiverReports(transceiver.receiver);
        transceiver.onTrack.subscribe(
          guard.wrap(
            "track",
            undefined,
            (track: MediaStreamTrack) => this.#addTrack(track, transceiver),
          ),
        );
      }),
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
        context.log(`up ${this.id}: ${state}`);
        if (state === "connected") {
          this.#useTransport();
          this.#sendRemb(performance.now());
        }
        options.onStateChange(mapState(state));
      }),
    );
    const tick = guard.wrap("tick", undefined, () => this.#tick());
    this.#stopTicking = context.ticker.add(() => tick(undefined));
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
      this.#report.announce(filtered.sdp);
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
      if (this.#context.testFaults.duplicateHandshakes) {
        duplicateHandshakes(this.#pc.dtlsTransports);
      }
      const answer = await this.#pc.createAnswer();
      const failures: Error[] = [];
      await reportBindFailures(
        (e) => failures.push(e),
        () => this.#pc.setLocalDescription(answer),
      );
      const failure = gatheringFailure(this.#candidates, failures);
      if (failure.fatal) {
        throw new Error(
          `Cannot publish stream "${this.id}": ${failure.reason}`,
        );
      }
      if (failure.reason) this.#context.log(`up ${this.id}: ${failure.reason}`);
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

  /** Registers a subscriber; it is told when this connection closes. */
  attach(down: AttachedDown): void {
    if (this.#closed) {
      down.close();
      return;
    }
    this.#downs.add(down);
  }

  /** Registers a tap: it gets every live track now and every later one. */
  attachTap(tap: LocalTap): void {
    if (this.#closed) {
      tap.upClosed();
      return;
    }
    this.#taps.add(tap);
    for (const track of this.#tracks) {
      if (track.codec !== undefined) tap.addTrack(track);
    }
  }

  /** Forgets a tap (it closed). */
  detachTap(tap: LocalTap): void {
    this.#taps.delete(tap);
  }

  /** Forgets a subscriber (it closed). */
  detach(down: AttachedDown): void {
    this.#downs.delete(down);
  }

  stats(now: number): ConnectionStats {
    const tracks = this.#tracks.flatMap((track) => {
      if (track.pipeline === undefined) return [];
      const stats: ConnectionStats["tracks"][number] = {
        bitrate: track.bitrate(now),
        loss: track.figures?.loss ?? 0,
      };
      if (track.figures) stats.jitter = track.figures.jitter;
      if (track.rid !== undefined) stats.layer = track.rid;
      return [stats];
    });
    return { id: this.id, direction: "up", tracks };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTicking();
    this.#report.close();
    for (const down of [...this.#downs]) down.upClosed();
    this.#downs.clear();
    for (const tap of [...this.#taps]) tap.upClosed();
    this.#taps.clear();
    for (const track of this.#tracks) track.close();
    this.#bySsrc.clear();
    if (this.#transport) setRtpInterceptor(this.#transport, undefined);
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
      index: this.#tracks.length,
      // werift may set the mid after the track event: look it up late.
      codecOf: (pt) => this.#formats.get(transceiver.mid ?? "")?.get(pt),
      av1Descriptor: () =>
        transceiver.headerExtensions.find((e) =>
          e.uri === DEPENDENCY_DESCRIPTOR_URI
        )?.id,
      pipelines: this.#context.pipelines,
      guard: this.#guard,
      rtcpSsrc: this.#rtcpSsrc,
      sendRtcp: this.#sendRtcp,
      onFirstPacket: (t) => {
        this.#bySsrc.set(t.ssrc, t);
        this.#useTransport();
        if (t.kind === "video") this.#sendRemb(performance.now());
        for (const tap of this.#taps) tap.addTrack(t);
        this.#report.trackStarted();
      },
      log: this.#context.log,
    });
    this.#tracks.push(up);
  }

  #tick(): void {
    const now = performance.now();
    for (const track of this.#tracks) track.tick(now);
    for (const down of this.#downs) down.tick(now);
    if (++this.#ticks % 2 !== 0) return;
    for (const down of this.#downs) down.adjust(now);
    this.#sendRemb(now);
    this.#feedback.receiverReport(this.#tracks, now);
  }

  /** Takes raw RTP from the transport once werift has told us a track's SSRC. */
  #useTransport(): void {
    const transport = this.#pc.dtlsTransports[0];
    if (transport === undefined || transport === this.#transport) return;
    this.#transport = transport;
    setRtpInterceptor(transport, this.#interceptor);
    transport.onRtcp.subscribe(this.#onRtcp);
  }

  // The per-packet interceptor, guarded: a throw drops the packet and fails the connection.
  readonly #interceptor: (packet: Buffer) => boolean;
  readonly #onRtcp: (packet: RtcpPacket) => void;

  readonly #receive = (packet: Buffer): boolean => {
    const ssrc = packet.length >= 12 ? packet.readUInt32BE(8) : 0;
    const track = this.#bySsrc.get(ssrc);
    if (track === undefined) return false;
    track.receive(packet, performance.now());
    return true;
  };

  readonly #senderReport = (packet: RtcpPacket): void => {
    if (this.#closed || !(packet instanceof RtcpSrPacket)) return;
    const info = packet.senderInfo;
    this.#bySsrc.get(packet.ssrc)?.noteSenderReport({
      ntp: info.ntpTimestamp,
      rtpTimestamp: info.rtpTimestamp,
    }, performance.now());
  };

  readonly #sendRtcp = (packet: Uint8Array): void => {
    const transport = this.#transport;
    if (transport !== undefined && !this.#closed) {
      sendRawRtcp(transport, packet);
    }
  };

  #sendRemb(now: number): void {
    const downs = [...this.#downs];
    this.#feedback.remb(
      this.liveTracks("video"),
      downs.map((d) => d.available(now)),
      downs.map((d) => d.taken()),
      now,
    );
  }
}
