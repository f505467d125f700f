/**
 * An edge's client for one remote media node: the {@link MediaNode}
 * contract carried over the node's control WebSocket (media_control.ts,
 * messages in media_wire.ts).
 *
 * - Every call is one message with a number and gets one result; a call
 *   with no result within `callTimeoutMs` fails with `"timeout"`, and a
 *   call made while the link is down fails at once with `"unavailable"`:
 *   nothing waits on a node that is not there.
 * - The edge pings every second and looks every 250 ms: a node silent for
 *   3 s (or whose socket closes) is gone, so it is found within 3.25 s.
 *   Then every call in flight fails with `"unavailable"`, every connection
 *   it carried reports `"lost"` and every recording `onEnded` (the node
 *   closes them too when it sees the link go), and the
 *   client reconnects every `reconnectMs` with a fresh edge token. The
 *   streams are opened again, on whichever node placement chooses.
 *
 * @example
 * ```ts
 * const node = await RemoteMediaNode.connect({
 *   url: "ws://10.0.0.2:8444/control", nodeId: "media-2", edgeId: "edge-1",
 *   tokens: new EdgeTokens(secret), log: console.log,
 * });
 * const up = await node.openUp({ id, codecs, ice, ...callbacks });
 * ```
 *
 * @module
 */

import {
  type ConnectionState,
  type ConnectionStats,
  type DownConnection,
  type DownOptions,
  type IceCandidate,
  MEDIA_CONTRACT_VERSION,
  MediaError,
  type MediaNode,
  type MediaRecording,
  type RecordOptions,
  type UpConnection,
  type UpOptions,
  type UpTrackInfo,
} from "../media/media_node.ts";
import type { EdgeTokens } from "./edge_token.ts";
import {
  type EdgeMessage,
  GONE_AFTER_MS,
  type NodeMessage,
  type Operation,
  parseNodeMessage,
  parseStats,
  PING_INTERVAL_MS,
} from "./media_wire.ts";

/** How long a call may wait for its result by default (ms). */
export const CALL_TIMEOUT_MS = 10_000;

/** Options of {@link RemoteMediaNode.connect}. */
export interface RemoteMediaNodeOptions {
  /** The node's control URL (`ws://…/control` or `wss://…`). */
  url: string;
  /** The node's id (the audience of the edge tokens). */
  nodeId: string;
  /** This edge's id. */
  edgeId: string;
  tokens: EdgeTokens;
  log(message: string): void;
  callTimeoutMs?: number;
  reconnectMs?: number;
  now?: () => number;
}

/** Where a handle's events go. */
interface Handle {
  ice?(candidate: IceCandidate): void;
  tracks?(tracks: readonly UpTrackInfo[]): void;
  state?(state: ConnectionState): void;
  ended?(): void;
  /** The link is gone: the node has closed this. */
  lost(): void;
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: MediaError): void;
  timer: ReturnType<typeof setTimeout>;
}

type LinkState = "connecting" | "up" | "down" | "closed";

/** A {@link MediaNode} in another process, through its control endpoint. */
export class RemoteMediaNode implements MediaNode {
  readonly #options: RemoteMediaNodeOptions;
  readonly #calls = new Map<number, PendingCall>();
  readonly #handles = new Map<string, Handle>();
  #socket: WebSocket | null = null;
  #state: LinkState = "connecting";
  #nextCall = 1;
  #nextHandle = 1;
  #lastHeard = 0;
  #lastPing = 0;
  #pinger: ReturnType<typeof setInterval> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #welcomed: ((error?: MediaError) => void) | undefined;
  #socketClosed: Promise<void> = Promise.resolve();

  private constructor(options: RemoteMediaNodeOptions) {
    this.#options = options;
  }

  /**
   * Connects to a node and resolves once it has welcomed this edge.
   * @throws {MediaError} `"unavailable"` when the node cannot be reached
   * or refuses the edge (the message says why)
   */
  static async connect(
    options: RemoteMediaNodeOptions,
  ): Promise<RemoteMediaNode> {
    const node = new RemoteMediaNode(options);
    try {
      await node.#connect();
    } catch (e) {
      await node.close();
      throw e;
    }
    return node;
  }

  /** Whether the link to the node is up. */
  get linked(): boolean {
    return this.#state === "up";
  }

  #connect(): Promise<void> {
    const o = this.#options;
    this.#state = "connecting";
    const socket = new WebSocket(o.url);
    this.#socket = socket;
    this.#socketClosed = new Promise((resolve) => {
      socket.addEventListener("close", () => resolve());
    });
    const welcomed = new Promise<void>((resolve, reject) => {
      this.#welcomed = (error) => error ? reject(error) : resolve();
    });
    welcomed.catch(() => {}); // the first connection's caller awaits it
    socket.onopen = async () => {
      const token = await o.tokens.mint({
        edgeId: o.edgeId,
        nodeId: o.nodeId,
        now: o.now?.() ?? Date.now(),
      });
      this.#lastHeard = performance.now();
      this.#send({ v: MEDIA_CONTRACT_VERSION, type: "hello", token });
    };
    socket.onmessage = (e) => {
      if (socket !== this.#socket) return;
      this.#lastHeard = performance.now();
      let m: NodeMessage;
      try {
        m = parseNodeMessage(String(e.data));
      } catch (error) {
        this.#lost(socket, `${error}`);
        return;
      }
      this.#receive(m);
    };
    socket.onclose = (e) =>
      this.#lost(
        socket,
        e.code === 4001 ? `refused: ${e.reason}` : `closed (${e.code})`,
      );
    socket.onerror = () => {};
    clearInterval(this.#pinger);
    this.#lastHeard = performance.now();
    this.#pinger = setInterval(() => this.#ping(socket), PING_INTERVAL_MS / 4);
    return welcomed;
  }

  #ping(socket: WebSocket): void {
    if (socket !== this.#socket) return;
    if (performance.now() - this.#lastHeard > GONE_AFTER_MS) {
      this.#lost(socket, `silent for ${GONE_AFTER_MS} ms`);
      return;
    }
    const now = performance.now();
    if (this.#state === "up" && now - this.#lastPing >= PING_INTERVAL_MS) {
      this.#lastPing = now;
      this.#send({ v: MEDIA_CONTRACT_VERSION, type: "ping" });
    }
  }

  #receive(m: NodeMessage): void {
    switch (m.type) {
      case "welcome":
        if (this.#state !== "up") {
          this.#options.log(
            `media node ${this.#options.nodeId}: linked at ${this.#options.url}`,
          );
        }
        this.#state = "up";
        this.#welcomed?.();
        return;
      case "pong":
        return;
      case "result": {
        const call = this.#calls.get(m.call);
        if (call === undefined) return; // timed out already
        this.#calls.delete(m.call);
        clearTimeout(call.timer);
        if ("error" in m) {
          call.reject(new MediaError(m.error.reason, m.error.message));
        } else call.resolve(m.value);
        return;
      }
      case "event": {
        const handle = this.#handles.get(m.conn);
        if (handle === undefined) return; // closed here already
        switch (m.event) {
          case "ice":
            return handle.ice?.(m.candidate);
          case "tracks":
            return handle.tracks?.(m.tracks);
          case "state":
            if (m.state === "closed") this.#handles.delete(m.conn);
            return handle.state?.(m.state);
          case "ended":
            this.#handles.delete(m.conn);
            return handle.ended?.();
        }
      }
    }
  }

  // The link is gone: fail what waits on it, end what it carried, retry.
  #lost(socket: WebSocket, why: string): void {
    if (socket !== this.#socket) return;
    this.#socket = null;
    clearInterval(this.#pinger);
    if (socket.readyState <= WebSocket.OPEN) socket.close();
    const wasUp = this.#state === "up";
    if (this.#state !== "closed") this.#state = "down";
    const error = new MediaError(
      "unavailable",
      `media node ${this.#options.nodeId} is unreachable: ${why}`,
    );
    if (wasUp || this.#welcomed) this.#options.log(error.message);
    this.#welcomed?.(error);
    this.#welcomed = undefined;
    this.#failCalls(error);
    const handles = [...this.#handles.values()];
    this.#handles.clear();
    for (const h of handles) h.lost();
    if (this.#state === "down") {
      this.#retry = setTimeout(() => {
        if (this.#state === "down") this.#connect().catch(() => {});
      }, this.#options.reconnectMs ?? 1000);
    }
  }

  #failCalls(error: MediaError): void {
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    for (const c of calls) {
      clearTimeout(c.timer);
      c.reject(error);
    }
  }

  #send(m: EdgeMessage): void {
    this.#socket?.send(JSON.stringify(m));
  }

  #call(operation: Operation): Promise<unknown> {
    if (this.#state !== "up") {
      return Promise.reject(
        new MediaError(
          this.#state === "closed" ? "closed" : "unavailable",
          `media node ${this.#options.nodeId} is ${
            this.#state === "closed" ? "closed" : "unreachable"
          }`,
        ),
      );
    }
    const call = this.#nextCall++;
    const timeout = this.#options.callTimeoutMs ?? CALL_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#calls.delete(call);
        reject(
          new MediaError(
            "timeout",
            `media node ${this.#options.nodeId} did not answer ${operation.op} in ${timeout} ms`,
          ),
        );
      }, timeout);
      this.#calls.set(call, { resolve, reject, timer });
      this.#send({
        v: MEDIA_CONTRACT_VERSION,
        type: "call",
        call,
        ...operation,
      });
    });
  }

  // Closing is fire-and-forget: the node closes it whatever the answer.
  #fire(operation: Operation): void {
    this.#call(operation).catch(() => {});
  }

  async #open(
    conn: string,
    handle: Handle,
    operation: Operation,
  ): Promise<unknown> {
    this.#handles.set(conn, handle);
    try {
      return await this.#call(operation);
    } catch (e) {
      this.#handles.delete(conn);
      throw e;
    }
  }

  async openUp(options: UpOptions): Promise<UpConnection> {
    const conn = `u${this.#nextHandle++}`;
    await this.#open(conn, {
      ice: options.onIceCandidate,
      tracks: options.onTracks,
      state: options.onStateChange,
      lost: () => options.onStateChange("lost"),
    }, {
      op: "openUp",
      conn,
      id: options.id,
      group: options.group,
      codecs: [...options.codecs],
      ice: options.ice,
    });
    return {
      id: options.id,
      offer: async (sdp) =>
        string(await this.#call({ op: "offer", conn, sdp }), "offer"),
      addIceCandidate: async (candidate) => {
        await this.#call({ op: "addIceCandidate", conn, candidate });
      },
      close: () => {
        if (this.#handles.delete(conn)) this.#fire({ op: "close", conn });
      },
    };
  }

  async openDown(options: DownOptions): Promise<DownConnection> {
    const conn = `d${this.#nextHandle++}`;
    await this.#open(conn, {
      ice: options.onIceCandidate,
      state: options.onStateChange,
      lost: () => options.onStateChange("lost"),
    }, {
      op: "openDown",
      conn,
      id: options.id,
      group: options.group,
      subscriber: options.subscriber,
      upId: options.upId,
      request: [...options.request],
      ...(options.follows ? { follows: true } : {}),
      ice: options.ice,
    });
    let id = options.id;
    return {
      get id() {
        return id;
      },
      negotiate: async (o) => {
        const sdp = await this.#call({
          op: "negotiate",
          conn,
          iceRestart: o?.iceRestart ?? false,
        });
        return sdp === null ? null : string(sdp, "negotiate");
      },
      answer: async (sdp) => {
        await this.#call({ op: "answer", conn, sdp });
      },
      addIceCandidate: async (candidate) => {
        await this.#call({ op: "addIceCandidate", conn, candidate });
      },
      setRequest: async (request) => {
        const changed = await this.#call({
          op: "setRequest",
          conn,
          request: [...request],
        });
        if (typeof changed !== "boolean") throw unexpected("setRequest");
        return changed;
      },
      retarget: async (upId) => {
        await this.#call({ op: "retarget", conn, upId });
        id = upId;
      },
      close: () => {
        if (this.#handles.delete(conn)) this.#fire({ op: "close", conn });
      },
    };
  }

  async record(options: RecordOptions): Promise<MediaRecording> {
    const conn = `r${this.#nextHandle++}`;
    const value = await this.#open(conn, {
      ended: options.onEnded,
      lost: options.onEnded,
    }, {
      op: "record",
      conn,
      upId: options.upId,
      group: options.group,
      ...(options.username !== undefined ? { username: options.username } : {}),
    });
    const skipped = (value as { skipped?: unknown } | null)?.skipped;
    if (
      !Array.isArray(skipped) || !skipped.every((s) => typeof s === "string")
    ) {
      throw unexpected("record");
    }
    let closing: Promise<void> | undefined;
    return {
      skipped,
      close: () => {
        closing ??= this.#handles.delete(conn)
          ? this.#call({ op: "closeRecording", conn }).then(() => {})
          : Promise.resolve();
        return closing;
      },
    };
  }

  async stats(): Promise<ConnectionStats[]> {
    try {
      return parseStats(await this.#call({ op: "stats" }));
    } catch (e) {
      throw MediaError.from(e);
    }
  }

  /**
   * Closes the link (the node closes what this edge opened on it); calls
   * fail with `"closed"` from then on.
   */
  async close(): Promise<void> {
    this.#state = "closed";
    clearInterval(this.#pinger);
    clearTimeout(this.#retry);
    this.#failCalls(new MediaError("closed", "media node link closed"));
    this.#handles.clear();
    const socket = this.#socket;
    this.#socket = null;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close();
    await this.#socketClosed;
  }
}

function unexpected(op: string): MediaError {
  return new MediaError(
    "failed",
    `The media node's answer to ${op} is malformed`,
  );
}

function string(value: unknown, op: string): string {
  if (typeof value !== "string") throw unexpected(op);
  return value;
}
