/**
 * One WebSocket client: the handshake, the message loop, keep-alive and
 * teardown. What each message does lives in the handler tables
 * (`handlers.ts`); this file only sequences them and turns their errors into
 * what the protocol says.
 *
 * @module
 */

import type { Permission } from "../config/permissions.ts";
import type { Group } from "../group/group.ts";
import type { Actor, Member, PublishedStream } from "../group/member.ts";
import { logText } from "../log_text.ts";
import {
  type ClientMessage,
  parseClientMessage,
  ProtocolError,
  serializeServerMessage,
  type ServerMessage,
} from "../protocol/message.ts";
import {
  cutToBytes,
  MAX_MESSAGE_BYTES,
  utf8Length,
} from "../protocol/byte_limits.ts";
import { UserError } from "./errors.ts";
import { handlers } from "./handlers.ts";
import { MediaSession } from "./media_session.ts";
import { RateLimiter } from "./rate_limiter.ts";
import type { SessionDeps } from "./session_deps.ts";

/** The WebSocket as a session sees it. */
export interface Transport {
  send(text: string): void;
  close(code: number, reason: string): void;
  /** Bytes queued but not yet sent. */
  bufferedAmount(): number;
}

/** WebSocket close codes used by the protocol (RFC 6455 §7.4.1). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  policyViolation: 1008,
  tooBig: 1009,
  internalError: 1011,
} as const;

/** A close frame's reason is at most 123 bytes (RFC 6455 §5.5). */
const MAX_CLOSE_REASON_BYTES = 123;
/** Beyond this many queued bytes the client is too slow and is dropped. */
const MAX_BUFFERED = 8 << 20;

type SessionState = "handshake" | "ready" | "closed";

/** One connected client. */
export class ClientSession implements Member {
  readonly deps: SessionDeps;
  readonly address: string;
  readonly system = false;
  readonly media: MediaSession;
  permissions: Permission[] = [];
  data: Record<string, unknown> = {};
  #id = "";
  #username = "";
  #group: Group | null = null;
  #state: SessionState = "handshake";
  #transport: Transport;
  #queue: Promise<void> = Promise.resolve();
  #limiter: RateLimiter;
  #byteLimiter: RateLimiter;
  #lastRead: number;
  #timer: ReturnType<typeof setTimeout>;

  constructor(
    transport: Transport,
    options: { address: string; deps: SessionDeps },
  ) {
    this.#transport = transport;
    this.address = options.address;
    this.deps = options.deps;
    const now = this.deps.now();
    this.#lastRead = now;
    // A browser's burst at join is a few dozen messages; thousands in a
    // row are a misbehaving or hostile client.
    this.#limiter = new RateLimiter({ capacity: 500, perSecond: 100 }, now);
    // Bytes too: every chat is relayed to each member, and a receiver with
    // 8 MiB waiting is dropped as too slow, so one client may not send more
    // than 8 MiB at once, nor more than 1 MiB/s over time.
    this.#byteLimiter = new RateLimiter(
      { capacity: 8 * MAX_MESSAGE_BYTES, perSecond: MAX_MESSAGE_BYTES },
      now,
    );
    this.media = new MediaSession(this);
    this.#timer = setTimeout(() => {
      if (this.#state === "handshake") {
        this.close(CloseCode.protocolError, "handshake timeout");
      }
    }, this.deps.timings.handshakeTimeout);
  }

  get id(): string {
    return this.#id;
  }

  get username(): string {
    return this.#username;
  }

  get group(): Group | null {
    return this.#group;
  }

  get closed(): boolean {
    return this.#state === "closed";
  }

  /** Called by the join handler once the group accepted the member. */
  setIdentity(options: { username: string; permissions: Permission[] }): void {
    this.#username = options.username;
    this.permissions = options.permissions;
  }

  setId(id: string): void {
    this.#id = id;
  }

  setGroup(group: Group | null): void {
    this.#group = group;
  }

  /** Whether the client holds a permission. */
  can(permission: Permission): boolean {
    return this.permissions.includes(permission);
  }

  /** The group the client is in. @throws {UserError} when it is in none */
  requireGroup(): Group {
    if (this.#group === null) throw new UserError("join a group first");
    return this.#group;
  }

  /** Handles one text frame from the WebSocket. */
  receive(text: string): void {
    if (this.#state === "closed") return;
    const now = this.deps.now();
    this.#lastRead = now;
    // More characters than the limit's bytes is over it without counting.
    const bytes = text.length > MAX_MESSAGE_BYTES
      ? MAX_MESSAGE_BYTES + 1
      : utf8Length(text);
    if (bytes > MAX_MESSAGE_BYTES) {
      this.close(CloseCode.tooBig, "message too big");
      return;
    }
    if (!this.#limiter.take(now) || !this.#byteLimiter.take(now, bytes)) {
      this.#sendError("too many messages");
      this.close(CloseCode.policyViolation, "too many messages");
      return;
    }
    let message: ClientMessage;
    try {
      message = parseClientMessage(text);
    } catch (e) {
      this.#fail(e);
      return;
    }
    if (this.#state === "handshake" && message.type !== "handshake") {
      this.close(CloseCode.protocolError, "you must handshake first");
      return;
    }
    this.#queue = this.#queue
      .then(() => this.#dispatch(message))
      .catch((e) => this.#fail(e));
  }

  async #dispatch(message: ClientMessage): Promise<void> {
    if (this.#state === "closed") return;
    if (message.type === "handshake") {
      this.#handshake(message);
      return;
    }
    this.#checkOrigin(message);
    // deno-lint-ignore no-explicit-any -- the table is keyed by the type
    const handler = handlers[message.type] as (s: ClientSession, m: any) =>
      | void
      | Promise<void>;
    await handler(this, message);
  }

  #handshake(message: Extract<ClientMessage, { type: "handshake" }>): void {
    if (this.#state !== "handshake") {
      throw new ProtocolError("duplicate handshake");
    }
    this.#state = "ready";
    clearTimeout(this.#timer);
    this.#id = message.id ?? "";
    this.send({ type: "handshake", version: ["2"] });
    if (!message.version.includes("2")) {
      this.#sendError(
        `unknown protocol version ${JSON.stringify(message.version)}`,
        "warning",
      );
    }
    const t = this.deps.timings;
    this.#timer = setInterval(() => this.#keepalive(), t.keepaliveInterval);
  }

  #keepalive(): void {
    const idle = this.deps.now() - this.#lastRead;
    if (idle > this.deps.timings.dropAfter) {
      this.close(CloseCode.goingAway, "client is dead");
    } else if (idle > this.deps.timings.pingAfter) {
      this.send({ type: "ping" });
    }
  }

  /** Galène refuses messages that claim another sender. */
  #checkOrigin(message: ClientMessage): void {
    if (!("source" in message) && !("username" in message)) return;
    if (message.type === "join") return;
    const m = message as { source?: string; username?: string };
    if (m.source !== undefined && m.source !== this.#id) {
      throw new ProtocolError("spoofed client id");
    }
    if (m.username !== undefined && m.username !== this.#username) {
      throw new ProtocolError("spoofed username");
    }
  }

  /** Sends a message; never throws; drops a client that cannot keep up. */
  send(message: ServerMessage): void {
    if (this.#state === "closed") return;
    if (this.#transport.bufferedAmount() > MAX_BUFFERED) {
      this.close(CloseCode.policyViolation, "client is too slow");
      return;
    }
    try {
      this.#transport.send(serializeServerMessage(message));
    } catch (e) {
      this.deps.log(`client ${this.#id}: send failed: ${logText(e)}`);
      this.close(CloseCode.internalError, "");
    }
  }

  /** A privileged server `usermessage` of kind `error` (or another kind). */
  #sendError(text: string, kind = "error"): void {
    this.send({ type: "usermessage", kind, privileged: true, value: text });
  }

  /** Sends a privileged informational `usermessage`. */
  notify(kind: "error" | "warning" | "info", text: string): void {
    this.#sendError(text, kind);
  }

  #fail(e: unknown): void {
    if (e instanceof UserError) {
      this.#sendError(e.message);
    } else if (e instanceof ProtocolError) {
      this.deps.log(
        `client ${this.#id || "?"}: protocol error: ${logText(e.message)}`,
      );
      this.#sendError(e.message);
      this.close(CloseCode.protocolError, e.message);
    } else {
      this.deps.log(`client ${this.#id || "?"}: internal error: ${logText(e)}`);
      this.close(CloseCode.internalError, "");
    }
  }

  kick(by: Actor, reason: string): void {
    this.send({
      type: "usermessage",
      kind: "kicked",
      ...(by.id ? { id: by.id } : {}),
      ...(by.username !== undefined ? { username: by.username } : {}),
      privileged: true,
      value: reason || "you have been kicked out",
    });
    this.close(CloseCode.normal, reason || "you have been kicked out");
  }

  permissionsChanged(previous: readonly Permission[]): void {
    const group = this.#group;
    if (group === null) return;
    if (previous.includes("present") && !this.can("present")) {
      this.media.abortAllUp("permission denied");
    }
    this.groupChanged();
  }

  groupChanged(): void {
    const group = this.#group;
    if (group === null) return;
    this.send(group.joinedMessage("change", this, {
      rtcConfiguration: this.deps.rtcConfiguration(),
    }));
  }

  streamPublished(stream: PublishedStream): void {
    this.media.streamPublished(stream);
  }

  streamClosed(stream: PublishedStream): void {
    this.media.streamClosed(stream);
  }

  /** Leaves the group (if any) and tears the media down; idempotent. */
  leaveGroup(): void {
    const group = this.#group;
    this.media.closeAll();
    if (group === null) return;
    this.#group = null;
    group.leave(this, this.deps.now());
  }

  /** Ends the session: leaves the group and closes the socket; idempotent. */
  close(code: number, reason: string): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    clearTimeout(this.#timer);
    clearInterval(this.#timer);
    this.leaveGroup();
    try {
      this.#transport.close(code, cutToBytes(reason, MAX_CLOSE_REASON_BYTES));
    } catch {
      // The socket is already gone; nothing is left to tell the client.
    }
  }

  /** The socket closed on the client's side. */
  closedByPeer(): void {
    this.close(CloseCode.normal, "");
  }
}
