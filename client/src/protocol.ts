/**
 * A typed client of the Galène WebSocket protocol, version "2": connection,
 * handshake, join and leave, the member list, keep-alive, and typed events
 * for everything else. No DOM dependency: it runs in Deno as in a browser.
 *
 * @example
 * ```ts ignore
 * const conn = new ServerConnection({ url: "ws://127.0.0.1:8443/ws" });
 * await conn.connect();
 * const joined = await conn.join({ group: "demo", username: "ann", password: "x" });
 * conn.on("chat", (m) => console.log(m.username, m.value));
 * conn.chat({ value: "Hello" });
 * ```
 *
 * @module
 */

import { Emitter } from "./emitter.ts";
import {
  type AbortMessage,
  type CandidateInit,
  type ChatMessage,
  type GroupStatus,
  type JoinedMessage,
  type OfferMessage,
  parseServerMessage,
  type ServerMessage,
  type UserMessageMessage,
} from "./messages.ts";

export type {
  AbortMessage,
  CandidateInit,
  ChatMessage,
  GroupStatus,
  JoinedMessage,
  OfferMessage,
  ServerMessage,
  UserMessageMessage,
};

/** A member of the group as the server describes it. */
export interface User {
  readonly id: string;
  username: string;
  permissions: string[];
  data: Record<string, unknown>;
}

/** Why the socket is gone. */
export interface Disconnect {
  code: number;
  reason: string;
  /** True when {@link ServerConnection.close} was called. */
  byUs: boolean;
}

/** Events of a {@link ServerConnection}. */
export interface ConnectionEvents {
  joined: JoinedMessage;
  /** A member appeared, changed or left; `user` is the state after the change. */
  user: { kind: "add" | "change" | "delete"; user: User };
  chat: ChatMessage;
  usermessage: UserMessageMessage;
  offer: OfferMessage;
  answer: { id: string; sdp: string };
  ice: { id: string; candidate: CandidateInit };
  renegotiate: { id: string };
  close: { id: string };
  abort: AbortMessage;
  disconnect: Disconnect;
}

/** Options of {@link ServerConnection}. */
export interface ConnectionOptions {
  /** `ws://…/ws` or `wss://…/ws`. */
  url: string;
  /** Our client id; 32 random hex digits when absent. */
  id?: string;
  /** How long the server may take to answer the handshake (ms). */
  handshakeTimeout?: number;
  /** Keep-alive period (ms); Galène's client checks every 10 s. */
  keepAliveInterval?: number;
}

/** What {@link ServerConnection.join} sends. */
export interface JoinRequest {
  group: string;
  username?: string;
  password?: string;
  token?: string;
  data?: Record<string, unknown>;
}

/** A receive request: label → `audio` / `video` / `video-low`. */
export type Request = Record<string, string[]>;

/** 16 random bytes as 32 hex digits, as the stock client's ids. */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** One WebSocket connection to a Nereid or Galène server. */
export class ServerConnection extends Emitter<ConnectionEvents> {
  readonly id: string;
  readonly #url: string;
  readonly #handshakeTimeout: number;
  readonly #keepAliveInterval: number;
  #ws: WebSocket | null = null;
  #closedByUs = false;
  #lastHeard = 0;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #pendingJoin: PromiseWithResolvers<JoinedMessage> | null = null;
  #group = "";
  #username = "";
  #permissions: string[] = [];
  #status: GroupStatus = {};
  #groupData: Record<string, unknown> = {};
  #rtcConfiguration: RTCConfiguration | null = null;
  #users = new Map<string, User>();

  /** Creates an unconnected client; call {@link connect} next. */
  constructor(options: ConnectionOptions) {
    super();
    this.#url = options.url;
    this.id = options.id ?? randomId();
    this.#handshakeTimeout = options.handshakeTimeout ?? 15_000;
    this.#keepAliveInterval = options.keepAliveInterval ?? 10_000;
  }

  /** The group we are in, or "" before joining. */
  get group(): string {
    return this.#group;
  }
  /** The username the server assigned us. */
  get username(): string {
    return this.#username;
  }
  /** Our permissions in the group. */
  get permissions(): readonly string[] {
    return this.#permissions;
  }
  /** The latest group status from `joined`. */
  get status(): GroupStatus {
    return this.#status;
  }
  /** Group data (`setdata` group action). */
  get groupData(): Record<string, unknown> {
    return this.#groupData;
  }
  /** ICE servers and policy as the server last gave them in `joined`. */
  get rtcConfiguration(): RTCConfiguration | null {
    return this.#rtcConfiguration;
  }
  /**
   * The user's "relay only" choice: media peer connections made from then
   * on use relayed (TURN) candidates only, whatever the server says.
   */
  relayOnly = false;
  /** The configuration of a media peer connection made now. */
  get peerConfiguration(): RTCConfiguration {
    return {
      ...this.#rtcConfiguration,
      ...(this.relayOnly ? { iceTransportPolicy: "relay" as const } : {}),
    };
  }
  /** Members by id, ourselves included. */
  get users(): ReadonlyMap<string, User> {
    return this.#users;
  }
  /** True while the socket is open. */
  get connected(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  /** True when we hold `permission`. */
  can(permission: string): boolean {
    return this.#permissions.includes(permission);
  }

  /**
   * Opens the socket and exchanges handshakes.
   *
   * @throws {Error} When the socket fails, the server does not answer in
   * time, or it does not speak version "2".
   */
  async connect(): Promise<void> {
    if (this.#ws) throw new Error("Cannot connect: already connected");
    const ws = new WebSocket(this.#url);
    this.#ws = ws;
    const handshake = Promise.withResolvers<void>();
    const timer = setTimeout(
      () => handshake.reject(new Error("Server did not answer the handshake")),
      this.#handshakeTimeout,
    );
    ws.onopen = () => {
      this.#send({ type: "handshake", version: ["2"], id: this.id });
    };
    ws.onerror = () =>
      handshake.reject(new Error(`Cannot connect to ${this.#url}`));
    ws.onclose = (e) => {
      handshake.reject(new Error(`Connection closed: ${e.reason || e.code}`));
      this.#onClose(e.code, e.reason);
    };
    ws.onmessage = (e) => {
      this.#lastHeard = Date.now();
      if (typeof e.data !== "string") return;
      let m: ServerMessage | null;
      try {
        m = parseServerMessage(e.data, Date.now());
      } catch (err) {
        console.warn("Ignoring a malformed server message:", err);
        return;
      }
      if (m?.type === "handshake") {
        if (m.version.includes("2")) handshake.resolve();
        else handshake.reject(new Error("Server does not speak protocol 2"));
      } else if (m) {
        this.#dispatch(m);
      }
    };
    try {
      await handshake.promise;
    } catch (e) {
      this.close();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    this.#keepAlive = setInterval(
      () => this.#checkAlive(),
      this.#keepAliveInterval,
    );
  }

  /**
   * Joins a group; resolves with the server's `joined` answer, which may be
   * a failure (`kind: "fail"`) or a redirect.
   *
   * @throws {Error} When the connection closes before the answer.
   */
  join(request: JoinRequest): Promise<JoinedMessage> {
    this.#pendingJoin?.reject(new Error("Superseded by another join"));
    this.#pendingJoin = Promise.withResolvers<JoinedMessage>();
    this.#send({ type: "join", kind: "join", ...request });
    return this.#pendingJoin.promise;
  }

  /** Leaves the group without closing the socket. */
  leave(): void {
    if (this.#group) {
      this.#send({ type: "join", kind: "leave", group: this.#group });
    }
  }

  /** Replaces what we receive (labels → track kinds). */
  request(request: Request): void {
    this.#send({ type: "request", request });
  }

  /** Overrides the request for one down stream; `null` reverts it. */
  requestStream(id: string, request: string[] | null): void {
    this.#send({ type: "requestStream", id, request });
  }

  /** Sends a chat message; private when `dest` is given. */
  chat(m: { value: string; kind?: string; dest?: string }): void {
    this.#send({
      type: "chat",
      source: this.id,
      username: this.#username,
      kind: m.kind ?? "",
      value: m.value,
      ...(m.dest ? { dest: m.dest } : {}),
    });
  }

  /** Sends a control message to one member, or all when `dest` is absent. */
  userMessage(
    kind: string,
    m: { dest?: string; value?: unknown; noecho?: boolean },
  ): void {
    this.#send({
      type: "usermessage",
      source: this.id,
      username: this.#username,
      kind,
      value: m.value ?? null,
      ...(m.dest ? { dest: m.dest } : {}),
      ...(m.noecho ? { noecho: true } : {}),
    });
  }

  /** Acts on the group (lock, record, clearchat, maketoken…). */
  groupAction(kind: string, value?: unknown): void {
    this.#send({
      type: "groupaction",
      source: this.id,
      username: this.#username,
      kind,
      ...(value === undefined ? {} : { value }),
    });
  }

  /** Acts on a member (op, kick, setdata on ourselves…). */
  userAction(kind: string, dest: string, value?: unknown): void {
    this.#send({
      type: "useraction",
      source: this.id,
      username: this.#username,
      kind,
      dest,
      ...(value === undefined ? {} : { value }),
    });
  }

  /** Sends a WebRTC signalling message about stream `id`. */
  signal(
    m:
      | {
        type: "offer";
        id: string;
        label: string;
        sdp: string;
        replace?: string;
      }
      | { type: "answer"; id: string; sdp: string }
      | { type: "ice"; id: string; candidate: RTCIceCandidateInit }
      | { type: "renegotiate" | "close" | "abort"; id: string },
  ): void {
    if (m.type === "offer") {
      this.#send({ ...m, source: this.id, username: this.#username });
    } else {
      this.#send(m);
    }
  }

  /** Closes the socket; idempotent. */
  close(): void {
    this.#closedByUs = true;
    clearInterval(this.#keepAlive);
    const ws = this.#ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) ws.close(1000);
  }

  #send(m: Record<string, unknown>): void {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      if (
        ws?.readyState === WebSocket.CONNECTING && m["type"] === "handshake"
      ) {
        return;
      }
      throw new Error(`Cannot send "${m["type"]}": not connected`);
    }
    ws.send(JSON.stringify(m));
  }

  #checkAlive(): void {
    const silent = Date.now() - this.#lastHeard;
    // The stock client pings after 15 s of silence and gives up after 65 s.
    if (silent > 65_000) {
      this.#ws?.close(1000, "server is not answering");
    } else if (silent >= 15_000 && this.connected) {
      this.#send({ type: "ping" });
    }
  }

  #onClose(code: number, reason: string): void {
    clearInterval(this.#keepAlive);
    this.#pendingJoin?.reject(
      new Error(`Connection closed: ${reason || `code ${code}`}`),
    );
    this.#pendingJoin = null;
    this.#group = "";
    this.#users.clear();
    this.emit("disconnect", { code, reason, byUs: this.#closedByUs });
  }

  #dispatch(m: ServerMessage): void {
    switch (m.type) {
      case "ping":
        this.#send({ type: "pong" });
        return;
      case "pong":
        return;
      case "joined":
        this.#onJoined(m);
        return;
      case "user":
        this.#onUser(m.kind, m);
        return;
      case "chat":
      case "chathistory":
        this.emit("chat", m);
        return;
      case "usermessage":
      case "offer":
        this.emit(m.type, m as never);
        return;
      case "answer":
      case "ice":
      case "renegotiate":
      case "close":
      case "abort":
        this.emit(m.type, m as never);
        return;
    }
  }

  #onJoined(m: JoinedMessage): void {
    if (m.kind === "join" || m.kind === "change") {
      this.#group = m.group;
      this.#username = m.username;
      this.#permissions = m.permissions;
      // Replaced, not merged: false fields such as `locked` are omitted.
      this.#status = m.status;
      this.#groupData = m.data;
      if (m.rtcConfiguration) this.#rtcConfiguration = m.rtcConfiguration;
    } else if (m.kind === "leave") {
      this.#group = "";
      this.#users.clear();
    }
    if (m.kind !== "change" && this.#pendingJoin) {
      this.#pendingJoin.resolve(m);
      this.#pendingJoin = null;
    }
    this.emit("joined", m);
  }

  #onUser(
    kind: "add" | "change" | "delete",
    m: {
      id: string;
      username: string;
      permissions: string[];
      data: Record<string, unknown>;
    },
  ): void {
    let user = this.#users.get(m.id);
    if (kind === "delete") {
      if (!user) return;
      this.#users.delete(m.id);
      this.emit("user", { kind, user });
    } else if (user) {
      user.username = m.username;
      user.permissions = m.permissions;
      user.data = m.data;
      this.emit("user", { kind: "change", user });
    } else {
      user = {
        id: m.id,
        username: m.username,
        permissions: m.permissions,
        data: m.data,
      };
      this.#users.set(m.id, user);
      this.emit("user", { kind: "add", user });
    }
  }
}
