/**
 * A client's media signalling: the streams it publishes (up), the streams
 * it receives (down), and the `request` that decides what it receives. The
 * media itself is the media node's business; this only speaks the protocol.
 *
 * Every media-node operation is asynchronous and may fail (a remote node
 * can be gone): a stream the media node cannot open (no free UDP port, no
 * candidate, the node unavailable) or closes on its own (a fault of that
 * connection) ends for this client alone: an up stream with `abort` and an
 * error, a down stream with `close` and an error; the client's other
 * streams and its session carry on. A stream closed while its open is in
 * flight is closed on the node once the open completes. The tracks of an
 * up stream are the ones its last `onTracks` event reported.
 *
 * When the media node carrying a stream is lost (state `"lost"`: a node of
 * the cluster killed or unreachable), an up stream ends with `abort` whose
 * `error` is {@link MEDIA_LOST} and an error message (Galène's client shows
 * it, and its user publishes again; Nereid's client publishes again by
 * itself), and a down stream with `close` alone: its publisher's new stream
 * brings a new offer. An up stream the media plane cannot open because no
 * node is reachable (`"unavailable"`) is aborted the same way. A down
 * stream of another edge's member that its node closed, or no longer has,
 * is closed without an error: that edge is gone (killed) or its
 * `stream-close` is on the way, and its members' removal follows.
 *
 * A client that watches one stream only (a WHEP viewer, {@link
 * MediaSession.watchOnly}) may follow: when that stream ends, its down
 * connection stays open, sending nothing, and moves to the stream its
 * {@link Follow} picks among the others (now, or when one is published)
 * without a new offer (the media node's `retarget`: same SSRCs, numbers
 * continuing); the down stream is then known by the new stream's id. A
 * move the media node refuses (another codec) closes it with an error.
 *
 * A client has at most `maxUpStreams` up streams, and an up stream that is
 * not connected within the ICE timeout is closed (the client is told
 * `abort`). The first message about a down stream is its `offer`: server
 * candidates gathered while an offer is prepared are sent after it.
 *
 * @module
 */

import type { PublishedStream } from "../group/member.ts";
import {
  type ConnectionState,
  type DownConnection,
  type IceCandidate,
  MediaError,
  type TrackRequest,
  type UpConnection,
  type UpTrackInfo,
} from "../media/media_node.ts";
import type { ClientMessage } from "../protocol/message.ts";
import type { ClientSession } from "./client_session.ts";
import { UserError } from "./errors.ts";
import { ProtocolError } from "../protocol/message.ts";
import { MEDIA_LOST } from "../protocol/wire.ts";

type Msg<T extends ClientMessage["type"]> = Extract<ClientMessage, { type: T }>;

const TRACK_REQUESTS: readonly string[] = ["audio", "video", "video-low"];

/** What a publisher is told when its stream's media node is lost. */
function mediaLostText(id: string): string {
  return `the media server carrying stream ${id} was lost: publish it again`;
}

/** An error's message, for a `usermessage` to the client. */
function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const UNUSABLE_OFFER = "cannot use the offer for stream ";

/** The text for a client whose offer the media node could not use. */
function offerError(id: string, e: unknown): string {
  return e instanceof MediaError && e.reason === "invalid"
    ? `${UNUSABLE_OFFER}${id}: ${e.message}`
    : errorText(e);
}

/**
 * Whether an error sent after `abort` says the offer itself could not be
 * used (no codec of the group, an SDP werift refuses), rather than that
 * the server failed (for WHIP's status codes).
 */
export function isUnusableOfferError(text: string): boolean {
  return text.startsWith(UNUSABLE_OFFER);
}

/** Keeps the known request values; Galène ignores the others. */
function trackRequests(list: readonly string[]): TrackRequest[] {
  return list.filter((v): v is TrackRequest => TRACK_REQUESTS.includes(v));
}

/** A stream this client publishes. */
interface UpStream {
  readonly stream: PublishedStream & { tracks: readonly UpTrackInfo[] };
  /** The media node's connection, once open (rejected when it cannot be). */
  readonly opened: Promise<UpConnection>;
}

/**
 * How a client that watches one stream follows when it ends: which stream
 * to move to, and what to tell.
 */
export interface Follow {
  /** The stream to move to among those published (oldest first), if any. */
  pick(streams: readonly PublishedStream[]): PublishedStream | undefined;
  /** The stream watched ended and none was picked: the connection waits. */
  onWaiting(from: string): void;
  /** The down stream `from` is now `to` (its messages carry that id). */
  onMoved(from: string, to: string): void;
}

/** A stream this client receives. */
class DownStream {
  /** The stream forwarded (another one after a follower moved). */
  stream: PublishedStream;
  /** The media node's connection, once open (rejected when it cannot be). */
  readonly opened: Promise<DownConnection>;
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
  /** A follower whose stream ended, waiting for another. */
  waiting = false;
  /** A follower's move is under way. */
  moving = false;

  constructor(
    stream: PublishedStream,
    open: (down: DownStream) => Promise<DownConnection>,
  ) {
    this.stream = stream;
    this.opened = open(this);
    this.opened.catch(() => {}); // reported by the negotiation that awaits it
  }
}

/** A client's streams. */
export class MediaSession {
  readonly #session: ClientSession;
  #request: Record<string, TrackRequest[]> = {};
  #overrides = new Map<string, TrackRequest[]>();
  /**
   * Told each state of this client's down connections; a client with no
   * socket of its own (a WHEP viewer) knows from it whether it is alive.
   */
  onDownState: ((id: string, state: ConnectionState) => void) | null = null;
  /** Set by {@link watchOnly}: the one stream this client receives. */
  #only: { id: string; request: TrackRequest[]; follow?: Follow } | null = null;
  #ups = new Map<string, UpStream>();
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

  /**
   * Receives one stream only, whatever its label (a WHEP viewer), instead
   * of what `request` selects; null goes back to `request`. With `follow`,
   * its down connection moves to another stream when this one ends.
   */
  watchOnly(
    id: string | null,
    request: readonly TrackRequest[] = [],
    follow?: Follow,
  ): void {
    const group = this.#session.requireGroup();
    this.#only = id === null
      ? null
      : { id, request: [...request], ...(follow ? { follow } : {}) };
    for (const stream of group.streams()) {
      if (stream.owner !== this.#session) {
        this.#subscribe(stream, { tracksChanged: false });
      }
    }
  }

  #wanted(stream: PublishedStream): TrackRequest[] {
    if (this.#only !== null) {
      return stream.id === this.#only.id ? this.#only.request : [];
    }
    return this.#overrides.get(stream.id) ?? this.#request[stream.label] ??
      this.#request[""] ?? [];
  }

  /** Another member's stream appeared or its tracks changed. */
  streamPublished(stream: PublishedStream): void {
    const only = this.#only;
    const waiting = only?.follow && this.#downs.get(only.id);
    if (waiting && waiting.waiting) {
      this.#follow(waiting);
      return;
    }
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
    const group = this.#session.group;
    if (this.#session.closed || group === null) return;
    if (stream.tracks.length === 0) return;
    const wanted = this.#wanted(stream);
    const down = this.#downs.get(stream.id);
    if (wanted.length === 0) {
      if (down) this.#closeDown(down, { tell: true });
      return;
    }
    if (down) {
      down.opened.then((conn) => conn.setRequest(wanted)).then(
        (kindsChanged) => {
          if (this.#downs.get(stream.id) !== down) return;
          if (kindsChanged || options.tracksChanged) {
            this.#negotiate(down, false);
          }
        },
      ).catch((e) => this.#downFailed(down, "request", e));
      return;
    }
    const created = new DownStream(
      stream,
      (down) =>
        this.#session.deps.media.openDown({
          id: stream.id,
          group: group.name,
          subscriber: this.#session.id,
          upId: stream.upId,
          request: wanted,
          ...(this.#only?.follow && this.#only.id === stream.id
            ? { follows: true }
            : {}),
          ice: this.#session.deps.iceConfiguration(),
          onIceCandidate: (candidate) => this.#downCandidate(down, candidate),
          onStateChange: (state) => {
            // A follower's stream may have changed since it was opened.
            const current = down.stream;
            if (this.#downs.get(current.id) === down) {
              this.onDownState?.(current.id, state);
            }
            if (state === "failed") {
              this.#session.deps.log(
                `client ${this.#session.id}: down stream ${current.id} failed`,
              );
            }
            // Closed by the media node itself (else it is already forgotten).
            if (state === "closed" && this.#closeDown(down, { tell: true })) {
              // A member of another edge: its up closed with its edge gone,
              // or its stream-close is on the way; no error of ours.
              if (!current.owner.remote) {
                this.#session.notify(
                  "error",
                  `stream ${current.id} was closed by a media error on the server`,
                );
              }
            }
            // Its node is gone: the publisher's next stream comes as an offer.
            if (state === "lost") this.#closeDown(down, { tell: true });
          },
        }),
    );
    this.#downs.set(stream.id, created);
    this.#negotiate(created, false);
  }

  /** Another member's stream is gone. */
  streamClosed(stream: PublishedStream): void {
    const down = this.#downs.get(stream.id);
    if (down === undefined || down.stream !== stream) return;
    if (this.#only?.follow && this.#only.id === stream.id) this.#follow(down);
    else this.#closeDown(down, { tell: true });
  }

  /**
   * A follower's stream ended (or a stream appeared while it waits): moves
   * its down connection to the stream its {@link Follow} picks, or waits.
   */
  #follow(down: DownStream): void {
    const only = this.#only;
    const group = this.#session.group;
    const follow = only?.follow;
    if (!follow || group === null || down.moving) return;
    const from = down.stream;
    const next = follow.pick(
      [...group.streams()].filter((s) =>
        s.owner !== this.#session && s !== from && s.tracks.length > 0
      ),
    );
    if (next === undefined) {
      if (!down.waiting) {
        down.waiting = true;
        follow.onWaiting(from.id);
      }
      return;
    }
    down.moving = true;
    down.opened.then((conn) => conn.retarget(next.upId)).then(() => {
      down.moving = false;
      if (this.#downs.get(from.id) !== down || this.#only !== only) return;
      this.#downs.delete(from.id);
      down.stream = next;
      down.waiting = false;
      this.#downs.set(next.id, down);
      only.id = next.id;
      this.#session.deps.log(
        `client ${this.#session.id}: down stream ${
          from.id.slice(0, 64)
        } follows to ${next.id.slice(0, 64)}`,
      );
      follow.onMoved(from.id, next.id);
      // It ended while the move was under way.
      if (![...group.streams()].includes(next)) this.#follow(down);
    }).catch((e) => {
      down.moving = false;
      this.#downFailed(down, "follow", e);
    });
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
    down.opened.then((conn) => conn.negotiate({ iceRestart })).then((sdp) => {
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
    }).catch((e) => this.#downFailed(down, "offer", e));
  }

  /** A media operation on a down stream failed: the stream ends, with an error. */
  #downFailed(down: DownStream, what: string, e: unknown): void {
    this.#session.deps.log(
      `client ${this.#session.id}: stream ${
        down.stream.id.slice(0, 64)
      }: ${what} failed: ${e}`,
    );
    // A stream of another edge's member that its node no longer has: its
    // edge is gone, and its members' removal follows (group_replication).
    const gone = down.stream.owner.remote && e instanceof MediaError &&
      e.reason === "not-found";
    if (this.#closeDown(down, { tell: true }) && !gone) {
      this.#session.notify("error", errorText(e));
    }
  }

  /** Closes a down stream; false when it was closed already. */
  #closeDown(down: DownStream, options: { tell: boolean }): boolean {
    if (this.#downs.get(down.stream.id) !== down) return false;
    this.#downs.delete(down.stream.id);
    this.#overrides.delete(down.stream.id);
    down.opened.then((conn) => conn.close(), () => {});
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
      // A failed open was reported by the offer that opened it.
      const conn = await existing.opened.catch(() => null);
      if (conn === null) return;
      const sdp = await conn.offer(m.sdp).catch((e) => {
        throw new UserError(offerError(m.id, e));
      });
      if (this.#ups.get(m.id) === existing) {
        this.#session.send({ type: "answer", id: m.id, sdp });
      }
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
    const stream: UpStream["stream"] = {
      id: m.id,
      label: m.label,
      owner: this.#session,
      upId: m.id,
      tracks: [],
      ...(m.replace ? { replace: m.replace } : {}),
    };
    const current = () => this.#ups.get(m.id)?.stream === stream;
    const opened = this.#session.deps.media.openUp({
      id: m.id,
      group: group.name,
      codecs: group.description.codecs,
      ice: this.#session.deps.iceConfiguration(),
      onIceCandidate: (candidate) => {
        if (current()) this.#sendIce(m.id, candidate);
      },
      onTracks: (tracks) => {
        if (!current()) return;
        stream.tracks = [...tracks];
        group.publish(stream);
      },
      onStateChange: (state) => {
        if (!current()) return;
        if (state === "connected") this.#stopIceTimer(m.id);
        else if (state !== "closed" && state !== "lost") {
          this.#startIceTimer(m.id);
        }
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
        if (state === "lost") {
          this.#closeUp(m.id);
          this.#session.send({ type: "abort", id: m.id, error: MEDIA_LOST });
          this.#session.notify("error", mediaLostText(m.id));
        }
      },
    });
    const up: UpStream = { stream, opened };
    opened.catch(() => {}); // reported below
    this.#ups.set(m.id, up);
    this.#startIceTimer(m.id);
    let sdp: string;
    try {
      const conn = await opened;
      if (!current()) return; // closed meanwhile (and so on the node)
      sdp = await conn.offer(m.sdp);
    } catch (e) {
      if (!current()) return;
      this.#closeUp(m.id);
      const lost = e instanceof MediaError && e.reason === "unavailable";
      this.#session.send({
        type: "abort",
        id: m.id,
        ...(lost ? { error: MEDIA_LOST } : {}),
      });
      throw new UserError(offerError(m.id, e));
    }
    if (current()) this.#session.send({ type: "answer", id: m.id, sdp });
  }

  async handleAnswer(m: Msg<"answer">): Promise<void> {
    const down = this.#downs.get(m.id);
    // A late answer for a stream closed meanwhile is not the client's fault.
    if (down === undefined) return;
    try {
      const conn = await down.opened;
      await conn.answer(m.sdp);
    } catch (e) {
      if (this.#downs.get(m.id) !== down) return;
      this.#closeDown(down, { tell: true });
      throw new UserError(
        `cannot use the answer for stream ${m.id}: ${errorText(e)}`,
      );
    }
    down.awaitingAnswer = false;
    const pending = down.pending;
    down.pending = null;
    if (pending) this.#negotiate(down, pending.iceRestart);
  }

  async handleIce(m: Msg<"ice">): Promise<void> {
    if (m.candidate === null) throw new ProtocolError("null candidate");
    const opened = this.#ups.get(m.id)?.opened ??
      this.#downs.get(m.id)?.opened;
    if (opened === undefined) return; // a late candidate for a closed stream
    // A stream that could not be opened has been reported already.
    const conn: UpConnection | DownConnection | null = await opened.catch(
      () => null,
    );
    await conn?.addIceCandidate(m.candidate);
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
    const up = this.#ups.get(id);
    if (up === undefined) return false;
    this.#stopIceTimer(id);
    this.#ups.delete(id);
    this.#session.group?.unpublish(up.stream);
    up.opened.then((conn) => conn.close(), () => {});
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
    this.#only = null;
  }
}
