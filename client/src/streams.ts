/**
 * Media streams over one RTCPeerConnection each, as the protocol wants:
 * up streams we publish (we offer), down streams the server pushes (it
 * offers). Trickle ICE both ways with buffering until the remote
 * description is set. When ICE fails, an up stream offers again with an ICE
 * restart and a down stream asks the server to (`renegotiate`): one
 * negotiation at a time per stream, spaced out by renegotiator.ts. An up
 * stream the server aborts because its media server was lost
 * (`media-lost`) is closed with its tracks kept, and `upLost` hands it to
 * whoever publishes it again (publisher.ts). A
 * `joined` `change` with fresh ICE servers (renewed TURN credentials)
 * reaches the open connections too; new ones follow the user's "relay only"
 * choice.
 *
 * @module
 */

import { Emitter } from "./emitter.ts";
import { MEDIA_LOST } from "./messages.ts";
import {
  type OfferMessage,
  randomId,
  type ServerConnection,
} from "./protocol.ts";
import { Renegotiator } from "./renegotiator.ts";

/** How a stream is published. */
export interface PublishOptions {
  /** `camera`, `screenshare` or `video` (a local file). */
  label: string;
  /** Send rids `h` and `l` (Galène's simulcast). */
  simulcast: boolean;
  /** Bits per second for the video, or null for no limit. */
  maxBitrate: number | null;
  /** The video's SVC `scalabilityMode` (e.g. `L1T3`), or null for none. */
  scalabilityMode: string | null;
  /** Id of an up stream this one replaces (subscribers swap seamlessly). */
  replace?: string;
}

/** The low simulcast layer: half resolution at about 100 kbit/s. */
export const LOW_LAYER: RTCRtpEncodingParameters = {
  rid: "l",
  scaleResolutionDownBy: 2,
  maxBitrate: 100_000,
};

/** An encoding with its SVC mode (not yet in TypeScript's DOM types). */
export type VideoEncoding = RTCRtpEncodingParameters & {
  scalabilityMode?: string;
};

/** Encodings of a video sender for the given options. */
export function videoEncodings(
  options: Pick<PublishOptions, "simulcast" | "maxBitrate" | "scalabilityMode">,
): VideoEncoding[] {
  const high: RTCRtpEncodingParameters = options.maxBitrate === null
    ? {}
    : { maxBitrate: options.maxBitrate };
  // Galène expects high first: the server forwards the first video track
  // for `video` and the last one for `video-low`.
  const encodings = options.simulcast
    ? [{ ...high, rid: "h" }, { ...LOW_LAYER }]
    : [high];
  const mode = options.scalabilityMode;
  return mode === null
    ? encodings
    : encodings.map((e) => ({ ...e, scalabilityMode: mode }));
}

/** What carries a stream. */
interface StreamMedia {
  pc: RTCPeerConnection;
  stream: MediaStream;
  negotiation: Renegotiator;
}

/** Common state of an up or down stream. */
abstract class Stream {
  readonly id: string;
  readonly label: string;
  readonly pc: RTCPeerConnection;
  readonly stream: MediaStream;
  /** Its offers and answers, one at a time. */
  readonly negotiation: Renegotiator;
  #ice: RTCIceCandidateInit[] = [];
  #closed = false;

  constructor(
    id: string,
    label: string,
    media: StreamMedia,
  ) {
    this.id = id;
    this.label = label;
    this.pc = media.pc;
    this.stream = media.stream;
    this.negotiation = media.negotiation;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Applies a remote candidate now, or once the remote description is set. */
  async addIce(candidate: RTCIceCandidateInit): Promise<void> {
    if (this.pc.remoteDescription) await this.pc.addIceCandidate(candidate);
    else this.#ice.push(candidate);
  }

  /** Applies the candidates that arrived before the remote description. */
  async flushIce(): Promise<void> {
    const pending = this.#ice;
    this.#ice = [];
    for (const c of pending) {
      try {
        await this.pc.addIceCandidate(c);
      } catch (e) {
        console.warn(`Stream ${this.id}: bad ICE candidate:`, e);
      }
    }
  }

  /** Closes the peer connection; idempotent. Returns false if already closed. */
  close(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    this.negotiation.close();
    this.pc.close();
    return true;
  }
}

/** A stream we publish. */
export class UpStream extends Stream {
  options: PublishOptions;

  constructor(
    id: string,
    media: StreamMedia,
    options: PublishOptions,
  ) {
    super(id, options.label, media);
    this.options = options;
  }

  /** Stops our local tracks too. */
  stopTracks(): void {
    for (const t of this.stream.getTracks()) t.stop();
  }
}

/** A stream the server pushes to us. */
export class DownStream extends Stream {
  readonly source: string;
  readonly username: string;
  /** Our `requestStream` override, or null for the default request. */
  request: string[] | null = null;

  constructor(
    m: OfferMessage,
    media: Omit<StreamMedia, "stream">,
  ) {
    super(m.id, m.label, { ...media, stream: new MediaStream() });
    this.source = m.source;
    this.username = m.username;
  }

  /** Makes `stream` hold exactly the tracks being received. */
  syncTracks(): boolean {
    const live = new Set<MediaStreamTrack>();
    for (const t of this.pc.getTransceivers()) {
      const dir = t.currentDirection;
      if (dir === "recvonly" || dir === "sendrecv") live.add(t.receiver.track);
    }
    let changed = false;
    for (const t of this.stream.getTracks()) {
      if (!live.has(t)) {
        this.stream.removeTrack(t);
        changed = true;
      }
    }
    const have = new Set(this.stream.getTracks());
    for (const t of live) {
      if (!have.has(t)) {
        this.stream.addTrack(t);
        changed = true;
      }
    }
    return changed;
  }
}

/** Events of a {@link StreamManager}. */
export interface StreamEvents {
  /** A down stream appeared or its tracks changed. */
  down: DownStream;
  downClosed: DownStream;
  up: UpStream;
  upClosed: UpStream;
  /**
   * The server lost the media server carrying this up stream: it is closed
   * (`upClosed` follows) but its tracks still run, to be published again.
   */
  upLost: UpStream;
  /** Connection state changes, for the UI's indicators. */
  state: { stream: UpStream | DownStream; state: RTCPeerConnectionState };
  error: string;
}

/** All up and down streams of one connection. */
export class StreamManager extends Emitter<StreamEvents> {
  readonly #conn: ServerConnection;
  readonly #ups = new Map<string, UpStream>();
  readonly #downs = new Map<string, DownStream>();
  readonly #offs: (() => void)[];

  /** Listens to the connection's signalling events. */
  constructor(conn: ServerConnection) {
    super();
    this.#conn = conn;
    this.#offs = [
      conn.on("offer", (m) => this.#guard(this.#onOffer(m))),
      conn.on("answer", (m) => this.#guard(this.#onAnswer(m.id, m.sdp))),
      conn.on("ice", (m) => {
        const s = this.#ups.get(m.id) ?? this.#downs.get(m.id);
        if (s) this.#guard(s.addIce(m.candidate));
      }),
      // The server's ICE failed: as if ours had.
      conn.on("renegotiate", (m) => this.#ups.get(m.id)?.negotiation.failed()),
      conn.on("close", (m) => this.#closeDown(m.id)),
      conn.on(
        "abort",
        (m) => m.error === MEDIA_LOST ? this.#lost(m.id) : this.unpublish(m.id),
      ),
      // Renewed TURN credentials: open connections take them too, for
      // their next ICE restart (new ones read conn.peerConfiguration).
      conn.on("joined", (m) => {
        if (m.kind === "change" && m.rtcConfiguration) this.reconfigure();
      }),
    ];
  }

  /**
   * Hands the connection's ICE servers to every open peer connection; they
   * apply from the next ICE restart.
   */
  reconfigure(): void {
    const servers = this.#conn.peerConfiguration.iceServers ?? [];
    for (const s of [...this.#ups.values(), ...this.#downs.values()]) {
      try {
        s.pc.setConfiguration({
          ...s.pc.getConfiguration(),
          iceServers: servers,
        });
      } catch (e) {
        this.emit("error", `cannot take the new ICE servers: ${e}`);
      }
    }
  }

  /** Our published streams by id. */
  get ups(): ReadonlyMap<string, UpStream> {
    return this.#ups;
  }
  /** Streams we receive by id. */
  get downs(): ReadonlyMap<string, DownStream> {
    return this.#downs;
  }

  /**
   * Publishes `stream`: one sendonly transceiver per track.
   *
   * @throws {Error} When the offer cannot be made.
   */
  async publish(
    stream: MediaStream,
    options: PublishOptions,
  ): Promise<UpStream> {
    const pc = new RTCPeerConnection(this.#conn.peerConfiguration);
    let self: UpStream | null = null;
    const negotiation = this.#renegotiator(() =>
      self ? this.#offer(self) : Promise.resolve()
    );
    const up = new UpStream(randomId(), { pc, stream, negotiation }, options);
    self = up;
    for (const track of stream.getTracks()) {
      pc.addTransceiver(track, {
        direction: "sendonly",
        streams: [stream],
        ...(track.kind === "video"
          ? { sendEncodings: videoEncodings(options) }
          : {}),
      });
    }
    this.#watch(up);
    this.#ups.set(up.id, up);
    for (const track of stream.getTracks()) {
      // A screen share stopped from the browser's own bar ends the track.
      track.addEventListener("ended", () => {
        if (stream.getTracks().every((t) => t.readyState === "ended")) {
          this.unpublish(up.id);
        }
      });
    }
    await negotiation.negotiate();
    this.emit("up", up);
    return up;
  }

  /**
   * Publishes the same media again with new options, replacing `id`: the
   * server drops the old stream silently and subscribers swap (used when
   * simulcast is switched).
   */
  async republish(
    id: string,
    options: Omit<PublishOptions, "replace" | "label">,
  ): Promise<UpStream | null> {
    const old = this.#ups.get(id);
    if (!old) return null;
    const up = await this.publish(old.stream, {
      ...options,
      label: old.label,
      replace: old.id,
    });
    this.#ups.delete(old.id);
    if (old.close()) this.emit("upClosed", old);
    return up;
  }

  /** Closes an up stream and tells the server; idempotent. */
  unpublish(id: string): void {
    const up = this.#ups.get(id);
    if (!up) return;
    this.#ups.delete(id);
    up.stopTracks();
    if (up.close()) {
      if (this.#conn.connected) this.#conn.signal({ type: "close", id });
      this.emit("upClosed", up);
    }
  }

  /** Closes an up stream whose media server was lost, keeping its tracks. */
  #lost(id: string): void {
    const up = this.#ups.get(id);
    if (!up) return;
    this.#ups.delete(id);
    this.emit("upLost", up);
    if (up.close()) {
      // The server forgot it already; Galène's protocol still wants this.
      if (this.#conn.connected) this.#conn.signal({ type: "close", id });
      this.emit("upClosed", up);
    }
  }

  /** Changes the video bitrate limit of an up stream without renegotiating. */
  async setMaxBitrate(id: string, maxBitrate: number | null): Promise<void> {
    const up = this.#ups.get(id);
    if (!up) return;
    up.options = { ...up.options, maxBitrate };
    for (const sender of up.pc.getSenders()) {
      if (sender.track?.kind !== "video") continue;
      const p = sender.getParameters();
      for (const e of p.encodings) {
        if (e.rid === "l") continue;
        if (maxBitrate === null) delete e.maxBitrate;
        else e.maxBitrate = maxBitrate;
      }
      await sender.setParameters(p);
    }
  }

  /** Asks for a different selection of one down stream (`null` = default). */
  requestStream(id: string, request: string[] | null): void {
    const down = this.#downs.get(id);
    if (!down || sameRequest(down.request, request)) return;
    down.request = request;
    this.#conn.requestStream(id, request);
  }

  /** Restarts ICE everywhere (`/renegotiate`). */
  renegotiateAll(): void {
    for (const s of [...this.#ups.values(), ...this.#downs.values()]) {
      this.#guard(s.negotiation.negotiate());
    }
  }

  /** Audio level (0…1) per stream id, ours included, from getStats(). */
  async audioLevels(): Promise<Map<string, number>> {
    const levels = new Map<string, number>();
    const all: Stream[] = [...this.#ups.values(), ...this.#downs.values()];
    await Promise.all(all.map(async (s) => {
      try {
        const stats = await s.pc.getStats();
        stats.forEach((r: Record<string, unknown>) => {
          const kind = r["kind"];
          const level = r["audioLevel"];
          if (
            kind === "audio" && typeof level === "number" &&
            (r["type"] === "inbound-rtp" || r["type"] === "media-source")
          ) {
            levels.set(s.id, Math.max(levels.get(s.id) ?? 0, level));
          }
        });
      } catch {
        // A stream closed while we asked: it has no level.
      }
    }));
    return levels;
  }

  /** Closes every stream without telling the server (the socket is gone). */
  closeAll(): void {
    for (const up of [...this.#ups.values()]) {
      this.#ups.delete(up.id);
      up.stopTracks();
      if (up.close()) this.emit("upClosed", up);
    }
    for (const id of [...this.#downs.keys()]) this.#closeDown(id);
  }

  /** Stops listening to the connection and closes everything. */
  dispose(): void {
    for (const off of this.#offs) off();
    this.closeAll();
    this.clear();
  }

  /** A stream's negotiations; `start` begins one (done() ends it). */
  #renegotiator(start: () => Promise<void>): Renegotiator {
    return new Renegotiator({
      start,
      onError: (e) =>
        this.emit("error", e instanceof Error ? e.message : String(e)),
    });
  }

  /** Offers, with an ICE restart once an answer was applied. */
  async #offer(up: UpStream): Promise<void> {
    if (up.closed) return;
    const offer = await up.pc.createOffer(
      up.pc.remoteDescription ? { iceRestart: true } : {},
    );
    await up.pc.setLocalDescription(offer);
    const replace = up.options.replace;
    this.#conn.signal({
      type: "offer",
      id: up.id,
      label: up.label,
      sdp: up.pc.localDescription?.sdp ?? offer.sdp ?? "",
      ...(replace ? { replace } : {}),
    });
    // `replace` only means something on the first offer.
    delete up.options.replace;
  }

  async #onAnswer(id: string, sdp: string): Promise<void> {
    const up = this.#ups.get(id);
    if (!up || up.closed) return;
    // Only one offer is out at a time: an answer in another state is late
    // (its offer given up), and applying it would fail.
    if (up.pc.signalingState !== "have-local-offer") {
      console.warn(`Stream ${id}: ignored an answer to no offer`);
      return;
    }
    try {
      await up.pc.setRemoteDescription({ type: "answer", sdp });
      await up.flushIce();
    } finally {
      up.negotiation.done();
    }
  }

  async #onOffer(m: OfferMessage): Promise<void> {
    let down = this.#downs.get(m.id);
    if (!down) {
      const pc = new RTCPeerConnection(this.#conn.peerConfiguration);
      // Asking is all we do: the server's next offer ends the negotiation.
      const negotiation = this.#renegotiator(() => {
        if (this.#conn.connected) {
          this.#conn.signal({ type: "renegotiate", id: m.id });
        }
        return Promise.resolve();
      });
      const d = new DownStream(m, { pc, negotiation });
      down = d;
      this.#downs.set(m.id, d);
      pc.ontrack = () => {
        if (d.syncTracks()) this.emit("down", d);
      };
      this.#watch(d);
    }
    try {
      await down.pc.setRemoteDescription({ type: "offer", sdp: m.sdp });
      await down.flushIce();
      const answer = await down.pc.createAnswer();
      await down.pc.setLocalDescription(answer);
      this.#conn.signal({
        type: "answer",
        id: m.id,
        sdp: down.pc.localDescription?.sdp ?? answer.sdp ?? "",
      });
    } catch (e) {
      this.#conn.signal({ type: "abort", id: m.id });
      this.#closeDown(m.id);
      throw e;
    }
    down.negotiation.done();
    down.syncTracks();
    this.emit("down", down);
    if (m.replace) this.#closeDown(m.replace);
  }

  #closeDown(id: string): void {
    const down = this.#downs.get(id);
    if (!down) return;
    this.#downs.delete(id);
    if (down.close()) this.emit("downClosed", down);
  }

  #watch(s: UpStream | DownStream): void {
    s.pc.onicecandidate = (e) => {
      if (e.candidate && this.#conn.connected) {
        this.#conn.signal({
          type: "ice",
          id: s.id,
          candidate: e.candidate.toJSON(),
        });
      }
    };
    // Chromium reports a transport whose every pair was refused as
    // connectionState "failed" while iceConnectionState says
    // "disconnected"; Firefox says "failed" in both. Either is a failure
    // (the renegotiator counts one restart for the two).
    const check = (state: string) => {
      if (state === "connected" || state === "completed") {
        s.negotiation.connected();
      } else if (state === "failed" && !s.closed) {
        s.negotiation.failed();
      }
    };
    s.pc.onconnectionstatechange = () => {
      this.emit("state", { stream: s, state: s.pc.connectionState });
      check(s.pc.connectionState);
    };
    s.pc.oniceconnectionstatechange = () => check(s.pc.iceConnectionState);
  }

  #guard(p: Promise<unknown>): void {
    p.catch((e) =>
      this.emit("error", e instanceof Error ? e.message : String(e))
    );
  }
}

function sameRequest(a: string[] | null, b: string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
