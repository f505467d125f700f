/**
 * A client's media signalling: the streams it publishes (up), the streams
 * it receives (down), and the `request` that decides what it receives. The
 * media itself is the media node's business; this only speaks the protocol.
 *
 * A stream the media node cannot open (no free UDP port, no candidate) or
 * closes on its own (a fault of that connection) ends for this client alone:
 * an up stream with `abort` and an error, a down stream with `close` and an
 * error; the client's other streams and its session carry on.
 *
 * A client has at most `maxUpStreams` up streams, and an up stream that is
 * not connected within the ICE timeout is closed (the client is told
 * `abort`). The first message about a down stream is its `offer`: server
 * candidates gathered while an offer is prepared are sent after it.
 *
 * @module
 */

import type { PublishedStream } from "../group/member.ts";
import type {
  DownConnection,
  IceCandidate,
  TrackRequest,
  UpConnection,
} from "../media/media_node.ts";
import type { ClientMessage } from "../protocol/message.ts";
import type { ClientSession } from "./client_session.ts";
import { ProtocolError, UserError } from "./errors.ts";

type Msg<T extends ClientMessage["type"]> = Extract<ClientMessage, { type: T }>;

const TRACK_REQUESTS: readonly string[] = ["audio", "video", "video-low"];

/** An error's message, for a `usermessage` to the client. */
function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Keeps the known request values; Galène ignores the others. */
function trackRequests(list: readonly string[]): TrackRequest[] {
  return list.filter((v): v is TrackRequest => TRACK_REQUESTS.includes(v));
}

/** A stream this client receives. */
class DownStream {
  readonly stream: PublishedStream;
  readonly conn: DownConnection;
  /** An offer is out and its answer has not come back. */
  awaitingAnswer = false;
  /** Another negotiation was asked for while one was out. */
  pending: { iceRestart: boolean } | null = null;
  /**
   * Candidates gathered while an offer is being prepared, sent right after
   * it: the client knows a stream (and an ICE restart's credentials) only
   * from its offer. Null when no offer is being prepared. The server's own
   * gatherer fills it, with a handful of candidates per offer.
   */
  held: IceCandidate[] | null = [];

  constructor(
    stream: PublishedStream,
    open: (down: DownStream) => DownConnection,
  ) {
    this.stream = stream;
    this.conn = open(this);
  }
}

/** A client's streams. */
export class MediaSession {
  readonly #session: ClientSession;
  #request: Record<string, TrackRequest[]> = {};
  #overrides = new Map<string, TrackRequest[]>();
  #ups = new Map<string, PublishedStream>();
  /** Up streams that are not connected, with the timer that will close them. */
  #unconnected = new Map<string, ReturnType<typeof setTimeout>>();
  #downs = new Map<string, DownStream>();

  constructor(session: ClientSession) {
    this.#session = session;
  }

  /** Number of up and down streams (for tests and statistics). */
  get counts(): { up: number; down: number } {
    return { up: this.#ups.size, down: this.#downs.size };
  }

  /** The client just joined: nothing to do until it sends `request`. */
  joined(): void {}

  handleRequest(m: Msg<"request">): void {
    const group = this.#session.requireGroup();
    const request: Record<string, TrackRequest[]> = {};
    for (const [label, list] of Object.entries(m.request)) {
      request[label] = trackRequests(list);
    }
    this.#request = request;
    for (const stream of group.streams()) {
      if (stream.owner !== this.#session) {
        this.#subscribe(stream, { tracksChanged: false });
      }
    }
  }

  handleRequestStream(m: Msg<"requestStream">): void {
    const down = this.#downs.get(m.id);
    // The stream may have closed while the request was on its way.
    if (down === undefined) return;
    if (m.request === null) this.#overrides.delete(m.id);
    else this.#overrides.set(m.id, trackRequests(m.request));
    this.#subscribe(down.stream, { tracksChanged: false });
  }

  #wanted(stream: PublishedStream): TrackRequest[] {
    return this.#overrides.get(stream.id) ?? this.#request[stream.label] ??
      this.#request[""] ?? [];
  }

  /** Another member's stream appeared or its tracks changed. */
  streamPublished(stream: PublishedStream): void {
    this.#subscribe(stream, { tracksChanged: true });
  }

  /**
   * Subscribes to a stream as the request says: opens, renegotiates (when
   * the tracks or the wanted kinds changed) or closes the down connection.
   */
  #subscribe(
    stream: PublishedStream,
    options: { tracksChanged: boolean },
  ): void {
    if (this.#session.closed || this.#session.group === null) return;
    if (stream.up.tracks().length === 0) return;
    const wanted = this.#wanted(stream);
    const down = this.#downs.get(stream.id);
    if (wanted.length === 0) {
      if (down) this.#closeDown(down, { tell: true });
      return;
    }
    if (down) {
      const kindsChanged = down.conn.setRequest(wanted);
      if (kindsChanged || options.tracksChanged) this.#negotiate(down, false);
      return;
    }
    const created = new DownStream(
      stream,
      (down) =>
        this.#session.deps.media.openDown({
          id: stream.id,
          subscriber: this.#session.id,
          upId: stream.up.id,
          request: wanted,
          onIceCandidate: (candidate) => this.#downCandidate(down, candidate),
          onStateChange: (state) => {
            if (state === "failed") {
              this.#session.deps.log(
                `client ${this.#session.id}: down stream ${stream.id} failed`,
              );
            }
            // Closed by the media node itself (else it is already forgotten;
            // "closed" never comes before openDown has returned).
            if (state === "closed" && this.#downs.get(stream.id) === down) {
              this.#closeDown(down, { tell: true });
              this.#session.notify(
                "error",
                `stream ${stream.id} was closed by a media error on the server`,
              );
            }
          },
        }),
    );
    this.#downs.set(stream.id, created);
    this.#negotiate(created, false);
  }

  /** Another member's stream is gone. */
  streamClosed(stream: PublishedStream): void {
    const down = this.#downs.get(stream.id);
    if (down && down.stream === stream) this.#closeDown(down, { tell: true });
  }

  #negotiate(down: DownStream, iceRestart: boolean): void {
    if (down.awaitingAnswer) {
      down.pending = {
        iceRestart: iceRestart || (down.pending?.iceRestart ?? false),
      };
      return;
    }
    down.awaitingAnswer = true;
    down.held ??= [];
    down.conn.negotiate({ iceRestart }).then((sdp) => {
      if (this.#downs.get(down.stream.id) !== down) return;
      if (sdp === null) {
        this.#closeDown(down, { tell: true });
        return;
      }
      const s = down.stream;
      this.#session.send({
        type: "offer",
        id: s.id,
        label: s.label,
        ...(s.replace ? { replace: s.replace } : {}),
        source: s.owner.id,
        username: s.owner.username,
        sdp,
      });
      const held = down.held ?? [];
      down.held = null;
      for (const candidate of held) this.#sendIce(s.id, candidate);
    }).catch((e) => {
      this.#session.deps.log(
        `client ${this.#session.id}: stream ${down.stream.id}: offer failed: ${e}`,
      );
      if (this.#closeDown(down, { tell: true })) {
        this.#session.notify("error", errorText(e));
      }
    });
  }

  /** Closes a down stream; false when it was closed already. */
  #closeDown(down: DownStream, options: { tell: boolean }): boolean {
    if (this.#downs.get(down.stream.id) !== down) return false;
    this.#downs.delete(down.stream.id);
    this.#overrides.delete(down.stream.id);
    down.conn.close();
    if (options.tell) this.#session.send({ type: "close", id: down.stream.id });
    return true;
  }

  #downCandidate(down: DownStream, candidate: IceCandidate): void {
    if (down.held !== null) down.held.push(candidate);
    else if (this.#downs.get(down.stream.id) === down) {
      this.#sendIce(down.stream.id, candidate);
    }
  }

  #sendIce(id: string, candidate: IceCandidate): void {
    this.#session.send({
      type: "ice",
      id,
      candidate: {
        candidate: candidate.candidate,
        ...(candidate.sdpMid != null ? { sdpMid: candidate.sdpMid } : {}),
        ...(candidate.sdpMLineIndex != null
          ? { sdpMLineIndex: candidate.sdpMLineIndex }
          : {}),
      },
    });
  }

  async handleOffer(m: Msg<"offer">): Promise<void> {
    const group = this.#session.requireGroup();
    if (!this.#session.can("present")) {
      if (m.replace) this.#closeUp(m.replace);
      this.#session.send({ type: "abort", id: m.id });
      throw new UserError("not authorised");
    }
    const existing = this.#ups.get(m.id);
    if (existing) {
      const sdp = await existing.up.offer(m.sdp);
      this.#session.send({ type: "answer", id: m.id, sdp });
      return;
    }
    const max = this.#session.deps.maxUpStreams;
    const replaced = m.replace !== undefined && this.#ups.has(m.replace);
    if (this.#ups.size - (replaced ? 1 : 0) >= max) {
      this.#session.send({ type: "abort", id: m.id });
      throw new UserError(`too many streams (at most ${max} per client)`);
    }
    // Subscribers are told `close` for the replaced stream and get the new
    // one's offer carrying `replace`: a client may swap them either way.
    if (m.replace) this.#closeUp(m.replace);
    let stream: PublishedStream | null = null;
    const up: UpConnection = this.#session.deps.media.openUp({
      id: m.id,
      codecs: group.description.codecs,
      onIceCandidate: (candidate) => this.#sendIce(m.id, candidate),
      onTracks: () => {
        if (stream && this.#ups.get(m.id) === stream) group.publish(stream);
      },
      onStateChange: (state) => {
        if (stream === null || this.#ups.get(m.id) !== stream) return;
        if (state === "connected") this.#stopIceTimer(m.id);
        else if (state !== "closed") this.#startIceTimer(m.id);
        if (state === "failed") {
          this.#session.send({ type: "renegotiate", id: m.id });
        }
        // Closed by the media node itself (else it is already forgotten).
        if (state === "closed") {
          this.#closeUp(m.id);
          this.#session.send({ type: "abort", id: m.id });
          this.#session.notify(
            "error",
            `stream ${m.id} was closed by a media error on the server`,
          );
        }
      },
    });
    stream = {
      id: m.id,
      label: m.label,
      owner: this.#session,
      up,
      ...(m.replace ? { replace: m.replace } : {}),
    };
    this.#ups.set(m.id, stream);
    this.#startIceTimer(m.id);
    let sdp: string;
    try {
      sdp = await up.offer(m.sdp);
    } catch (e) {
      if (this.#closeUp(m.id)) this.#session.send({ type: "abort", id: m.id });
      throw new UserError(
        e instanceof SyntaxError
          ? `cannot use the offer for stream ${m.id}: ${e}`
          : errorText(e),
      );
    }
    this.#session.send({ type: "answer", id: m.id, sdp });
  }

  async handleAnswer(m: Msg<"answer">): Promise<void> {
    const down = this.#downs.get(m.id);
    // A late answer for a stream closed meanwhile is not the client's fault.
    if (down === undefined) return;
    try {
      await down.conn.answer(m.sdp);
    } catch (e) {
      this.#closeDown(down, { tell: true });
      throw new UserError(`cannot use the answer for stream ${m.id}: ${e}`);
    }
    down.awaitingAnswer = false;
    const pending = down.pending;
    down.pending = null;
    if (pending) this.#negotiate(down, pending.iceRestart);
  }

  async handleIce(m: Msg<"ice">): Promise<void> {
    if (m.candidate === null) throw new ProtocolError("null candidate");
    const conn = this.#ups.get(m.id)?.up ?? this.#downs.get(m.id)?.conn;
    if (conn === undefined) return; // a late candidate for a closed stream
    await conn.addIceCandidate(m.candidate);
  }

  handleRenegotiate(m: Msg<"renegotiate">): void {
    const down = this.#downs.get(m.id);
    if (down) this.#negotiate(down, true);
  }

  handleClose(m: Msg<"close">): void {
    this.#closeUp(m.id);
  }

  handleAbort(m: Msg<"abort">): void {
    const down = this.#downs.get(m.id);
    if (down) this.#closeDown(down, { tell: true });
  }

  /**
   * An up stream is not connected (yet, or any more): unless it connects
   * within the ICE timeout, it is closed and its client told `abort`, as
   * Galène does when a permission is taken away. Its sockets are released
   * at once; the stream is gone for the client when it sends `close`.
   */
  #startIceTimer(id: string): void {
    if (this.#unconnected.has(id)) return;
    const timeout = this.#session.deps.timings.iceTimeout;
    this.#unconnected.set(
      id,
      setTimeout(() => {
        this.#unconnected.delete(id);
        if (!this.#ups.has(id)) return;
        this.#session.deps.log(
          `client ${this.#session.id}: up stream ${
            id.slice(0, 64)
          } did not connect in ${timeout} ms`,
        );
        this.#closeUp(id);
        this.#session.send({ type: "abort", id });
        this.#session.notify("error", "stream did not connect (ICE failed)");
      }, timeout),
    );
  }

  #stopIceTimer(id: string): void {
    clearTimeout(this.#unconnected.get(id));
    this.#unconnected.delete(id);
  }

  /** Closes an up stream; false when there was none by that id. */
  #closeUp(id: string): boolean {
    const stream = this.#ups.get(id);
    if (stream === undefined) return false;
    this.#stopIceTimer(id);
    this.#ups.delete(id);
    this.#session.group?.unpublish(stream);
    stream.up.close();
    return true;
  }

  /** Asks the client to stop publishing (e.g. `present` was taken away). */
  abortAllUp(reason: string): void {
    for (const id of this.#ups.keys()) {
      this.#session.send({ type: "abort", id });
    }
    if (this.#ups.size > 0) this.#session.notify("error", reason);
  }

  /** Closes every stream (leaving the group, or disconnecting). */
  closeAll(): void {
    for (const id of [...this.#ups.keys()]) this.#closeUp(id);
    for (const down of [...this.#downs.values()]) {
      this.#closeDown(down, { tell: false });
    }
    this.#request = {};
    this.#overrides.clear();
  }
}
