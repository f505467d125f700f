/**
 * One track sent to a subscriber: the outgoing side of a fan-out, with its
 * simulcast layer choice, its SVC layer choice inside that layer (VP8, VP9;
 * the pipeline switches, this class re-aims and logs), retransmissions and
 * sender reports.
 *
 * @module
 */

import type { RTCDtlsTransport } from "werift";
import { sendRawRtcp, sendRawRtp } from "../fast/raw_rtp.ts";
import type { DownPipeline, SvcLayers } from "./packet_pipeline.ts";
import type { SlotSink, UpTrack } from "./up_track.ts";
import type { ConnectionGuard } from "./connection_guard.ts";
import type { TestFaults } from "./test_faults.ts";

/** Options of {@link DownTrack}. */
export interface DownTrackOptions {
  /** The DTLS transport of the sender, once known. */
  transport(): RTCDtlsTransport | undefined;
  pipeline: DownPipeline;
  /** The up tracks this track may forward, lowest layer first. */
  sources: readonly UpTrack[];
  /** The highest layer the subscriber asked for. */
  maxLayer: number;
  /** The highest SVC spatial layer allowed (0 pins the lowest; 7 any). */
  maxSpatial: number;
  /** The subscribing client's id. */
  subscriber: string;
  clockRate: number;
  /** The node's test-only faults (server/media/local/test_faults.ts). */
  testFaults: TestFaults;
  /** The down connection's guard: a packet that throws fails that connection only. */
  guard: ConnectionGuard;
  /** Names this track in log lines. */
  name: string;
  log(message: string): void;
}

// Galène replays a cached keyframe when it is within the last 40 packets; a
// 720p keyframe alone can take 30, so we allow a little more.
const REPLAY_PACKETS = 96;

/** Forwards the selected layer of an up stream on one sendonly transceiver. */
export class DownTrack implements SlotSink {
  readonly #options: DownTrackOptions;
  readonly #pipeline: DownPipeline;
  #sources: readonly UpTrack[];
  readonly #drop: number;
  #maxLayer: number;
  #maxSpatial: number;
  #svcLogged = "";
  #lastSr: { compact: number; at: number } | undefined;
  #rtt: number | undefined;
  #loss = 0;
  #jitter: number | undefined;
  #remb: number | undefined;
  #retransmitted = 0;
  #started = false;
  /** Moved to other sources whose keyframe has not been forwarded yet. */
  #moving = false;
  #closed = false;

  constructor(options: DownTrackOptions) {
    this.#options = options;
    this.#pipeline = options.pipeline;
    this.#sources = options.sources;
    this.#maxLayer = Math.min(options.maxLayer, options.sources.length - 1);
    this.#maxSpatial = options.maxSpatial;
    this.#drop = options.testFaults.dropForwarded ?? 0;
    for (const source of this.#sources) source.attachSlots(this);
  }

  /** The layer forwarded, -1 before the first keyframe. */
  get layer(): number {
    return this.#pipeline.current;
  }

  /** The up track forwarded, undefined before the first keyframe. */
  get source(): UpTrack | undefined {
    const l = this.#pipeline.current;
    return l < 0 ? undefined : this.#sources[l];
  }

  /** Name of the layer forwarded (its rid, or its index). */
  get layerName(): string | undefined {
    const l = this.#pipeline.current;
    if (l < 0) return undefined;
    return this.#sources[l]?.rid ?? String(l);
  }

  /** The SVC layers forwarded and aimed at; null without SVC. */
  get svc(): SvcLayers | null {
    return this.#pipeline.svcLayers();
  }

  /** Packets served to NACKs so far. */
  get retransmitted(): number {
    return this.#retransmitted;
  }

  /** Subscriber's figures: loss (0…1), rtt and jitter (s), REMB (bit/s). */
  figures(): { loss: number; rtt?: number; jitter?: number; remb?: number } {
    const f: { loss: number; rtt?: number; jitter?: number; remb?: number } = {
      loss: this.#loss,
    };
    if (this.#rtt !== undefined) f.rtt = this.#rtt;
    if (this.#jitter !== undefined) f.jitter = this.#jitter;
    if (this.#remb !== undefined) f.remb = this.#remb;
    return f;
  }

  bitrate(now: number): number {
    return this.#pipeline.bitrate(now);
  }

  /** Bandwidth towards the subscriber, undefined when nothing bounds it. */
  available(now: number): number | undefined {
    const a = this.#pipeline.available(now);
    return a >= 1e9 ? undefined : a;
  }

  /**
   * Forwards one cached packet. Runs in the up connection's receive loop, so
   * it catches what it throws: its own connection fails, the loop goes on.
   */
  deliver(source: UpTrack, slot: number, now: number): void {
    try {
      this.#options.guard.inject("rtp");
      this.#forward(source, slot, now);
    } catch (error) {
      this.#options.guard.fail("rtp", error);
    }
  }

  #forward(source: UpTrack, slot: number, now: number): void {
    const transport = this.#options.transport();
    if (transport === undefined || transport.state !== "connected") return;
    const up = source.pipeline;
    if (up === undefined) return;
    const out = this.#pipeline.forward(
      up,
      slot,
      this.#sources.indexOf(source),
      now,
    );
    if (out === null) return;
    if (this.#drop > 0 && Math.random() < this.#drop) return;
    sendRawRtp(transport, out);
  }

  /**
   * Starts a new subscriber once it is connected: replays the cached
   * keyframe when recent, else asks for one.
   */
  start(now: number): void {
    this.#started = true;
    // The cached keyframe goes out with the layers already chosen.
    this.#adjustSvc(now);
    const source = this.#sources[this.#pipeline.target];
    const run = source?.pipeline?.keyframeRun(REPLAY_PACKETS);
    if (source && run) {
      for (const slot of run) this.deliver(source, slot, now);
      this.#options.log(
        `${this.#options.name}: replayed ${run.length} packets from the cached keyframe`,
      );
    }
    if (this.#pipeline.wantsKeyframe() >= 0 || this.#awaitingMove()) {
      this.requestKeyframe(now);
    }
  }

  /** Changes the highest layer allowed and re-aims at once. */
  setMaxLayer(layer: number, now: number): void {
    this.#maxLayer = Math.min(layer, this.#sources.length - 1);
    this.adjust(now);
  }

  /** Changes the highest SVC spatial layer allowed and re-aims at once. */
  setMaxSpatial(sid: number, now: number): void {
    this.#maxSpatial = sid;
    this.adjust(now);
  }

  /**
   * Takes the simulcast layers that went live after this track was made,
   * given all of them lowest first, and the highest one allowed. A late
   * layer is added only when it ranks above every layer forwarded so far:
   * one in between would renumber the layers the pipeline switches
   * between. Chromium starts its layers from the lowest one up, so the late
   * ones are the higher ones. Returns how many layers were added.
   */
  addLayers(
    sources: readonly UpTrack[],
    maxLayer: number,
    now: number,
  ): number {
    if (this.#closed) return 0;
    const highest = Math.max(...this.#sources.map((s) => sources.indexOf(s)));
    const added = sources.slice(highest + 1).filter((s) =>
      !this.#sources.includes(s)
    );
    if (added.length === 0) return 0;
    this.#sources = [...this.#sources, ...added];
    for (const source of added) source.attachSlots(this);
    this.#options.log(
      `${this.#options.name}: ${added.length} late layer(s) added, ${this.#sources.length} in all`,
    );
    const cap = sources[Math.min(maxLayer, sources.length - 1)];
    const capIndex = cap === undefined ? -1 : this.#sources.indexOf(cap);
    this.setMaxLayer(capIndex < 0 ? this.#maxLayer : capIndex, now);
    return added.length;
  }

  /** Number of up tracks this track may forward (0: silent). */
  get sourceCount(): number {
    return this.#sources.length;
  }

  /**
   * Forwards other up tracks (another stream's layers, lowest first; none
   * leaves it silent) on this same outgoing track. The pipeline re-anchors
   * at their first keyframe, so that the subscriber's sequence numbers and
   * timestamps continue; that keyframe is replayed from the cache when
   * recent, and asked for until it comes.
   */
  retarget(sources: readonly UpTrack[], maxLayer: number, now: number): void {
    if (this.#closed) return;
    for (const source of this.#sources) source.detachSlots(this);
    this.#sources = sources;
    for (const source of sources) source.attachSlots(this);
    this.#maxLayer = Math.max(0, Math.min(maxLayer, sources.length - 1));
    this.#pipeline.setTarget(this.#maxLayer);
    this.#moving = sources.length > 0;
    this.#options.log(
      `${this.#options.name}: moved to ${sources.length} other source(s)`,
    );
    if (this.#started && this.#moving) this.start(now);
  }

  /** Whether a move waits for the new sources' keyframe (cleared once one is forwarded). */
  #awaitingMove(): boolean {
    if (!this.#moving) return false;
    const current = this.#pipeline.source();
    if (this.#sources.some((s) => s.pipeline === current)) {
      this.#moving = false;
    }
    return this.#moving;
  }

  /** Re-aims from the layers' rates and the subscriber's estimate; asks for the keyframe a switch needs. */
  adjust(now: number): void {
    if (this.#closed) return;
    // The SVC re-aim sets the test's cap on the estimate the simulcast
    // choice reads too.
    this.#adjustSvc(now);
    if (this.#sources.length >= 2) this.#adjustSimulcast(now);
    if (this.#pipeline.wantsKeyframe() >= 0) this.requestKeyframe(now);
  }

  #adjustSimulcast(now: number): void {
    const rates = this.#sources.map((s) => s.layerRate(now));
    const before = this.#pipeline.target;
    const reason = this.#pipeline.adjust(rates, this.#maxLayer, now);
    const after = this.#pipeline.target;
    if (after !== before) {
      this.#options.log(
        `${this.#options.name}: target layer ${before} → ${after} (${reason}; available ${
          this.#pipeline.available(now)
        } bit/s, rates ${rates.join("/")})`,
      );
    }
  }

  #adjustSvc(now: number): void {
    const before = this.#pipeline.svcLayers();
    const cap = this.#options.testFaults.bandwidthCap?.get(
      this.#options.subscriber,
    );
    const r = this.#pipeline.svcAdjust(
      { maxSpatial: this.#maxSpatial, capBps: cap ?? 0 },
      now,
    );
    if (r === null || before === null) return;
    if (r.sid !== before.target.sid || r.tid !== before.target.tid) {
      this.#options.log(
        `${this.#options.name}: SVC target ${layerText(before.target)} → ${
          layerText(r)
        } (${r.reason}; available ${this.#pipeline.available(now)} bit/s)`,
      );
    }
  }

  /** Logs a change of the SVC layers forwarded, with the pipeline's reason. */
  #logSvc(): void {
    const svc = this.#pipeline.svcLayers();
    if (svc === null) return;
    const text = layerText(svc.current);
    if (text === this.#svcLogged) return;
    // The first settling from "every layer" (S*T*) is not a switch.
    if (this.#svcLogged !== "" && !this.#svcLogged.includes("*")) {
      this.#options.log(
        `${this.#options.name}: SVC layers ${this.#svcLogged} → ${text} (${svc.reason})`,
      );
    }
    this.#svcLogged = text;
  }

  /**
   * Asks the publisher of the awaited layer (or the current one) for a
   * keyframe. Nothing is asked before {@link start}: until the subscriber is
   * connected nothing is sent to it, and `start` replays the cached keyframe
   * rather than asking when it can.
   */
  requestKeyframe(now: number): void {
    if (!this.#started) return;
    const wanted = this.#pipeline.wantsKeyframe();
    const layer = wanted >= 0
      ? wanted
      : this.#awaitingMove()
      ? this.#pipeline.target
      : Math.max(0, this.#pipeline.current);
    this.#sources[layer]?.requestKeyframe(now);
  }

  /** Every 500 ms: re-asks for a keyframe while one is awaited, and sends a Sender Report. */
  tick(now: number): void {
    if (this.#closed) return;
    if (this.#pipeline.wantsKeyframe() >= 0 || this.#awaitingMove()) {
      this.requestKeyframe(now);
    }
    this.#logSvc();
    this.#senderReport(now);
  }

  /** Resends the packets a subscriber's NACK lists, from the up track's cache. */
  retransmit(lost: readonly number[]): void {
    const transport = this.#options.transport();
    if (transport === undefined || transport.state !== "connected") return;
    for (const seq of lost) {
      const out = this.#pipeline.retransmit(seq);
      if (out !== null && sendRawRtp(transport, out)) this.#retransmitted++;
    }
  }

  /** A receiver report block about this track. */
  onReport(
    report: { fractionLost: number; jitter: number; lsr: number; dlsr: number },
    now: number,
  ): void {
    this.#pipeline.onLoss(report.fractionLost, now);
    this.#loss = report.fractionLost / 256;
    this.#jitter = report.jitter / this.#options.clockRate;
    // RFC 3550 §6.4.1: RTT = now − LSR − DLSR, in 1/65536 s.
    const sr = this.#lastSr;
    if (sr !== undefined && report.lsr === sr.compact && report.lsr !== 0) {
      const rtt = (now - sr.at) / 1000 - report.dlsr / 65536;
      if (rtt >= 0) {
        this.#rtt = this.#rtt === undefined
          ? rtt
          : 0.75 * this.#rtt + 0.25 * rtt;
      }
    }
  }

  /** The subscriber's REMB. */
  onRemb(bps: number, now: number): void {
    this.#remb = bps;
    this.#pipeline.onRemb(bps, now);
  }

  /** Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const source of this.#sources) source.detachSlots(this);
    this.#pipeline.close();
  }

  // Galène: every 500 ms, with the source's SR mapping extrapolated to now,
  // once the source has sent one (reference 5.7).
  #senderReport(now: number): void {
    const transport = this.#options.transport();
    if (transport === undefined || transport.state !== "connected") return;
    const source = this.#pipeline.source();
    const clock = source?.clockAt(now);
    if (!clock) return;
    const packet = this.#pipeline.senderReport(clock);
    this.#lastSr = {
      compact: Number((clock.ntp >> 16n) & 0xffffffffn),
      at: now,
    };
    sendRawRtcp(transport, packet);
  }
}

/** `S1T2`, or `S*` / `T*` for "every layer" (7). */
function layerText(l: { sid: number; tid: number }): string {
  const n = (v: number) => (v >= 7 ? "*" : String(v));
  return `S${n(l.sid)}T${n(l.tid)}`;
}
