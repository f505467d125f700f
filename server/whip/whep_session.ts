/**
 * One WHEP viewer: an {@link HttpMember} that joins the group as `whep` (or
 * as its bearer token says; joining is all it needs, `observe` is enough)
 * and receives one stream, chosen when it is created:
 *
 * 1. `?stream=ID`: that stream;
 * 2. `?user=NAME`: the stream NAME published last;
 * 3. otherwise the stream published last in the group.
 *
 * It receives that stream through a down connection like any subscriber's,
 * whose offer is bridged with the player's (server/whip/whep_bridge.ts).
 *
 * When that stream ends, the viewer follows (2 and 3): the same rule picks
 * among the streams left (NAME's latest, or the group's latest), or, when
 * none is there, the next one published within the ICE timeout. The down
 * connection moves to it without a new offer (a WHEP player cannot be sent
 * one; the media node's `retarget`): the player's tracks go on with the
 * same SSRCs and continuing numbers, from the new stream's next keyframe.
 * A kind the new stream lacks stays silent. The session ends when no
 * stream comes within the ICE timeout, when the new stream sends a kind in
 * another codec than the one negotiated with the player, and, for 1, with
 * its stream. DELETE, a kick, the server's shutdown, and the ICE timeout
 * (not connected within it, or disconnected for as long) end it too.
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";
import type { PublishedStream } from "../group/member.ts";
import type { SessionDeps } from "../signalling/session_deps.ts";
import { type HttpIdentity, joinAsHttpClient, sentence } from "./http_join.ts";
import { HttpMember, MemberClosed, type Reply } from "./http_member.ts";
import type { HttpSession, PatchResult } from "./http_session.ts";
import { randomHex, resourceId } from "./random_id.ts";
import type { SdpFragment } from "./sdp_text.ts";
import { type Bridge, bridgeOffers } from "./whep_bridge.ts";
import type { Follow } from "../signalling/media_session.ts";

/** Time for the media node to make its offer (it gets 10 s per call). */
const OFFER_TIMEOUT_MS = 15_000;

/** Which stream a viewer asks for (the query of its POST). */
export interface StreamChoice {
  stream?: string;
  user?: string;
}

/** Options of {@link WhepSession.start}. */
export interface WhepStartOptions {
  deps: SessionDeps;
  identity: HttpIdentity;
  address: string;
  /** The player's offer, already checked by `summarizeSdp`. */
  offer: string;
  choice: StreamChoice;
  /** The session exists (its member is about to join). */
  onOpen(session: WhepSession): void;
  /** The session ended, for whatever reason (to forget it). */
  onClose(session: WhepSession): void;
}

/** The stream a viewer gets among `streams` (in publication order). */
export function chooseStream(
  streams: readonly PublishedStream[],
  choice: StreamChoice,
): PublishedStream | undefined {
  const live = streams.filter((s) => s.tracks.length > 0);
  if (choice.stream !== undefined) {
    return live.find((s) => s.id === choice.stream);
  }
  const candidates = choice.user !== undefined
    ? live.filter((s) => s.owner.username === choice.user)
    : live;
  return candidates[candidates.length - 1];
}

/** A live WHEP session. */
export class WhepSession implements HttpSession {
  readonly id = resourceId();
  readonly group: string;
  readonly token: string | undefined;
  readonly etag = `"${randomHex(8)}"`;
  readonly #member: HttpMember;
  readonly #offer: string;
  #streamId = "";
  #bridge: Bridge | undefined;
  #started = false;
  #iceTimer: ReturnType<typeof setTimeout> | undefined;
  /** Runs while a follower waits for a stream to move to. */
  #waitTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(options: WhepStartOptions) {
    this.group = options.identity.group;
    this.token = options.identity.token;
    this.#offer = options.offer;
    this.#member = new HttpMember({
      deps: options.deps,
      address: options.address,
      onMessage: (m) => this.#onMessage(m),
      onClose: () => {
        clearTimeout(this.#iceTimer);
        clearTimeout(this.#waitTimer);
        options.onClose(this);
      },
    });
    options.onOpen(this);
  }

  /**
   * Joins, subscribes to the chosen stream and resolves with the session
   * and the answer for the player.
   * @throws {HttpError} as `joinAsHttpClient`; 404 when no stream matches;
   * 400 or 422 when the offers cannot be bridged; 503 when the media node
   * fails
   */
  static async start(
    options: WhepStartOptions,
  ): Promise<{ session: WhepSession; answer: string }> {
    const session = new WhepSession(options);
    await joinAsHttpClient(session.#member, options.identity);
    const client = session.#member.session;
    const group = client.group;
    const stream = group === null ? undefined : chooseStream(
      [...group.streams()].filter((s) => s.owner !== client),
      options.choice,
    );
    if (stream === undefined) {
      session.close("");
      throw new HttpError(404, "No such stream in this group");
    }
    session.#streamId = stream.id;
    session.#watchIce(options.deps.timings.iceTimeout);
    // The one down stream's offer (it may have followed to another stream
    // meanwhile), or its end.
    const offered = session.#member.request(null, {
      match: (m) =>
        m["type"] === "offer" ||
        (m["type"] === "close" && m["id"] === session.#streamId) ||
        (m["type"] === "usermessage" && m["kind"] === "error"),
      timeoutMs: OFFER_TIMEOUT_MS,
    });
    const follow = options.choice.stream === undefined
      ? session.#follow(options.choice, options.deps.timings.iceTimeout)
      : undefined;
    client.media.watchOnly(stream.id, ["audio", "video"], follow);
    let reply: Reply;
    try {
      reply = await offered;
    } catch (e) {
      session.close("");
      if (e instanceof MemberClosed) {
        throw new HttpError(409, "The session ended", { cause: e });
      }
      throw new HttpError(503, "The media server did not answer in time");
    }
    if (reply["type"] !== "offer") {
      session.close("");
      const text = String(reply["value"] ?? "the stream ended");
      throw new HttpError(503, sentence(text));
    }
    session.#streamId = String(reply["id"]);
    const answer = session.#answer(String(reply["sdp"]));
    session.#started = true;
    return { session, answer };
  }

  get member(): HttpMember {
    return this.#member;
  }

  get closed(): boolean {
    return this.#member.closed;
  }

  patch(fragment: SdpFragment): Promise<PatchResult> {
    const bridge = this.#bridge;
    const offered = /^a=ice-ufrag:(.*)$/m.exec(this.#offer)?.[1];
    if (
      fragment.credentials !== undefined &&
      fragment.credentials.ufrag !== offered
    ) {
      return Promise.reject(
        new HttpError(422, "ICE restarts are not supported for WHEP sessions"),
      );
    }
    for (const c of fragment.candidates) {
      this.#member.send({
        type: "ice",
        id: this.#streamId,
        candidate: {
          candidate: c.candidate,
          ...(bridge ? { sdpMid: bridge.serverMid } : {}),
          sdpMLineIndex: bridge?.serverMLineIndex ?? 0,
        },
      });
    }
    return Promise.resolve({ kind: "candidates" });
  }

  close(reason = ""): void {
    clearTimeout(this.#iceTimer);
    clearTimeout(this.#waitTimer);
    this.#member.close(reason);
  }

  /**
   * How this viewer follows: the rule of its choice among the streams
   * left, waiting up to `timeout` for one.
   */
  #follow(choice: StreamChoice, timeout: number): Follow {
    const log = (text: string) =>
      this.#member.session.deps.log(
        `client ${this.#member.session.id}: WHEP viewer ${text}`,
      );
    return {
      pick: (streams) => chooseStream(streams, choice),
      onWaiting: () => {
        clearTimeout(this.#waitTimer);
        this.#waitTimer = setTimeout(() => {
          log(`found no stream to follow in ${timeout} ms`);
          this.close("stream ended");
        }, timeout);
      },
      onMoved: (_from, to) => {
        clearTimeout(this.#waitTimer);
        this.#waitTimer = undefined;
        this.#streamId = to;
      },
    };
  }

  /**
   * A viewer that is not connected within the ICE timeout (of its offer, or
   * of losing its connection) is gone: its session ends, as a publisher's
   * up stream does. Nothing else tells that a WHEP player went away.
   */
  #watchIce(timeout: number): void {
    const start = () => {
      if (this.#iceTimer !== undefined) return;
      this.#iceTimer = setTimeout(() => {
        this.#member.session.deps.log(
          `client ${this.#member.session.id}: WHEP viewer did not connect in ${timeout} ms`,
        );
        this.close("ICE timeout");
      }, timeout);
    };
    this.#member.session.media.onDownState = (id, state) => {
      if (id !== this.#streamId) return;
      if (state === "connected") {
        clearTimeout(this.#iceTimer);
        this.#iceTimer = undefined;
      } else if (state !== "closed") start();
    };
    start();
  }

  /**
   * Bridges the server's offer with the player's, answers the server, and
   * returns the player's answer.
   * @throws {HttpError} 400 or 422 when they cannot be bridged
   */
  #answer(serverOffer: string): string {
    let bridge: Bridge;
    try {
      bridge = bridgeOffers(this.#offer, serverOffer);
    } catch (e) {
      this.close("");
      const status = e instanceof SyntaxError ? 400 : 422;
      throw new HttpError(status, (e as Error).message);
    }
    this.#bridge = bridge;
    this.#member.send({
      type: "answer",
      id: this.#streamId,
      sdp: bridge.toServer,
    });
    return bridge.toPlayer;
  }

  #onMessage(m: Reply): void {
    if (!this.#started || m["id"] !== this.#streamId) return;
    if (m["type"] === "close") {
      queueMicrotask(() => this.close("stream ended"));
    } else if (m["type"] === "offer") {
      // The stream's tracks changed: the server side is answered as before;
      // the player keeps what it negotiated.
      try {
        this.#answer(String(m["sdp"]));
      } catch {
        // #answer closed the session.
      }
    }
  }
}
