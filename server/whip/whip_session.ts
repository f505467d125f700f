/**
 * One WHIP publisher (RFC 9725, as Galène serves it): an {@link HttpMember}
 * that joins the group as `whip` (or as its token says) and publishes one
 * stream labelled `""`. Its offer is answered once the server's candidates
 * are gathered (they are in the answer: no trickle is needed from us); PATCH
 * fragments trickle the client's candidates or restart ICE; DELETE, a kick,
 * the loss of `present` or an ICE timeout (the stream's, as for any
 * publisher) end it.
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";
import { isUnusableOfferError } from "../signalling/media_session.ts";
import type { SessionDeps } from "../signalling/session_deps.ts";
import { type HttpIdentity, joinAsHttpClient, sentence } from "./http_join.ts";
import { HttpMember, MemberClosed, type Reply } from "./http_member.ts";
import type { HttpSession, PatchResult } from "./http_session.ts";
import { randomHex, resourceId } from "./random_id.ts";
import {
  answerFragment,
  type IceCredentials,
  type SdpFragment,
  summarizeSdp,
  withCredentials,
} from "./sdp_text.ts";

/** Time for the media node to answer an offer (it gets 10 s per call). */
const OFFER_TIMEOUT_MS = 15_000;

/** Options of {@link WhipSession.start}. */
export interface WhipStartOptions {
  deps: SessionDeps;
  identity: HttpIdentity;
  address: string;
  /** The client's offer, already checked by {@link summarizeSdp}. */
  offer: string;
  /** The session exists (its member is about to join). */
  onOpen(session: WhipSession): void;
  /** The session ended, for whatever reason (to forget it). */
  onClose(session: WhipSession): void;
}

/** A live WHIP session. */
export class WhipSession implements HttpSession {
  /** The resource id in `Location`: unguessable. */
  readonly id = resourceId();
  readonly group: string;
  /** The bearer token it was created with; later requests must bring it. */
  readonly token: string | undefined;
  readonly #member: HttpMember;
  readonly #streamId = randomHex(16);
  #offer: string;
  #credentials: IceCredentials | undefined;
  #etag = newEtag();
  /** An offer is out: its abort is its answer, not the end of the session. */
  #publishing = false;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(options: WhipStartOptions) {
    this.group = options.identity.group;
    this.token = options.identity.token;
    this.#offer = options.offer;
    this.#credentials = summarizeSdp(options.offer).credentials;
    this.#member = new HttpMember({
      deps: options.deps,
      address: options.address,
      onMessage: (m) => this.#onMessage(m),
      onClose: () => options.onClose(this),
    });
    options.onOpen(this);
  }

  /**
   * Joins, publishes the offer and resolves with the session and its answer.
   * @throws {HttpError} as {@link joinAsHttpClient}; 403 without `present`;
   * 422 when the media node cannot use the offer (no codec of the group);
   * 503 when it fails otherwise
   */
  static async start(
    options: WhipStartOptions,
  ): Promise<{ session: WhipSession; answer: string }> {
    const session = new WhipSession(options);
    const joined = await joinAsHttpClient(session.#member, options.identity);
    if (!joined.permissions.includes("present")) {
      session.close("not authorised");
      throw new HttpError(403, "Not authorised to publish in this group");
    }
    const answer = await session.#publish(options.offer);
    return { session, answer };
  }

  /** The member's session, for the server's set of sessions. */
  get member(): HttpMember {
    return this.#member;
  }

  /** The current entity tag (quoted); it changes with each ICE restart. */
  get etag(): string {
    return this.#etag;
  }

  get closed(): boolean {
    return this.#member.closed;
  }

  /** Applies a trickle-ICE fragment: candidates, or an ICE restart. */
  patch(fragment: SdpFragment): Promise<PatchResult> {
    const run = async (): Promise<PatchResult> => {
      const credentials = fragment.credentials;
      const restart = credentials !== undefined &&
        (credentials.ufrag !== this.#credentials?.ufrag ||
          credentials.pwd !== this.#credentials?.pwd);
      let result: PatchResult = { kind: "candidates" };
      if (restart) {
        const offer = withCredentials(this.#offer, credentials);
        const answer = await this.#publish(offer);
        this.#offer = offer;
        this.#credentials = credentials;
        this.#etag = newEtag();
        result = { kind: "restart", fragment: answerFragment(answer) };
      }
      for (const c of fragment.candidates) {
        this.#member.send({
          type: "ice",
          id: this.#streamId,
          candidate: {
            candidate: c.candidate,
            ...(c.sdpMid !== undefined ? { sdpMid: c.sdpMid } : {}),
            sdpMLineIndex: c.sdpMLineIndex,
          },
        });
      }
      return result;
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => {});
    return result;
  }

  /** Ends the session: the stream closes and the member leaves. */
  close(reason = ""): void {
    this.#member.close(reason);
  }

  async #publish(sdp: string): Promise<string> {
    const id = this.#streamId;
    let reply: Reply;
    this.#publishing = true;
    try {
      reply = await this.#member.request(
        { type: "offer", id, label: "", sdp },
        {
          // A renegotiation's refusal is an error alone.
          match: (m) =>
            isError(m) ||
            (m["id"] === id &&
              (m["type"] === "answer" || m["type"] === "abort")),
          timeoutMs: OFFER_TIMEOUT_MS,
        },
      );
      if (reply["type"] === "answer") return String(reply["sdp"]);
      // A first offer's refusal is an abort, then the reason.
      const error = isError(reply) ? reply : await this.#member.request(null, {
        match: isError,
        timeoutMs: 2000,
      });
      const text = String(error["value"] ?? "");
      this.close("");
      if (isUnusableOfferError(text)) {
        throw new HttpError(422, sentence(text));
      }
      throw new HttpError(503, sentence(text));
    } catch (e) {
      if (e instanceof HttpError) throw e;
      this.close("");
      if (e instanceof MemberClosed) {
        throw new HttpError(409, "The session ended", { cause: e });
      }
      throw new HttpError(503, "The media server did not answer in time", {
        cause: e,
      });
    } finally {
      this.#publishing = false;
    }
  }

  #onMessage(m: Reply): void {
    // The stream was closed by the server (ICE timeout, media error, lost
    // `present`): a WHIP session has nothing else to do.
    if (
      m["type"] === "abort" && m["id"] === this.#streamId && !this.#publishing
    ) {
      queueMicrotask(() => this.close("stream ended"));
    }
  }
}

function isError(m: Reply): boolean {
  return m["type"] === "usermessage" && m["kind"] === "error";
}

function newEtag(): string {
  return `"${randomHex(8)}"`;
}
