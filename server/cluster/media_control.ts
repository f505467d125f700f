/**
 * A media node's control endpoint: the WebSocket through which edges
 * drive the node's {@link MediaNode} (the contract's messages, as JSON,
 * media_wire.ts).
 *
 * An edge proves itself with its first message, `hello`, carrying an edge
 * token for this node (edge_token.ts), within 5 s; anything else closes the
 * socket with code 4001 and the reason. Each link has its own handles: the
 * connections and recordings it opened. When a link closes (the edge went
 * away, or was cut as gone), everything it opened is closed: the edge has
 * told its clients those streams ended, and opens them again through a new
 * link. A call that throws, or a message that cannot be parsed, is answered
 * with an error (a malformed message closes the link with 1007): one
 * edge's fault never reaches another edge's link or the node.
 *
 * @example
 * ```ts
 * const control = serveMediaControl({ node, nodeId: "media-1", tokens, log, hostname: "127.0.0.1", port: 0 });
 * console.log(control.url); // ws://127.0.0.1:PORT/control
 * ```
 *
 * @module
 */

import {
  type DownConnection,
  MEDIA_CONTRACT_VERSION,
  MediaError,
  type MediaNode,
  type MediaRecording,
  type UpConnection,
} from "../media/media_node.ts";
import type { EdgeTokens } from "./edge_token.ts";
import {
  MAX_CONTROL_MESSAGE_BYTES,
  type NodeEvent,
  type NodeMessage,
  type Operation,
  parseEdgeMessage,
} from "./media_wire.ts";

/** How long an edge has to say hello (ms). */
export const HELLO_TIMEOUT_MS = 5000;
/** The most connections and recordings one link may hold open. */
export const MAX_HANDLES_PER_LINK = 10_000;
/** The path of the control endpoint. */
export const CONTROL_PATH = "/control";

/** Options of {@link mediaControlHandler}. */
export interface MediaControlOptions {
  node: MediaNode;
  /** This node's id: edge tokens must name it. */
  nodeId: string;
  tokens: EdgeTokens;
  log(message: string): void;
  now?: () => number;
  /** Serves `/recordings/…` on the same port (node_recordings.ts). */
  recordings?: (request: Request) => Promise<Response>;
}

type Handle =
  | { kind: "up"; opened: Promise<UpConnection> }
  | { kind: "down"; opened: Promise<DownConnection> }
  | { kind: "recording"; opened: Promise<MediaRecording> };

/** One edge's link: its handles, and the calls it makes. */
class ControlLink {
  readonly #socket: WebSocket;
  readonly #options: MediaControlOptions;
  readonly #handles = new Map<string, Handle>();
  readonly #hello: ReturnType<typeof setTimeout>;
  #edge: string | null = null;
  /** The hello's verification, once a hello has come. */
  #verifying: Promise<void> | null = null;
  #closed = false;

  constructor(socket: WebSocket, options: MediaControlOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#hello = setTimeout(
      () => this.#refuse(4001, "No hello in time"),
      HELLO_TIMEOUT_MS,
    );
    socket.onmessage = (e) => {
      if (typeof e.data !== "string") {
        this.#refuse(1003, "Binary messages are not understood");
        return;
      }
      // Bytes, not characters; only long messages are measured.
      if (
        e.data.length * 3 > MAX_CONTROL_MESSAGE_BYTES &&
        new TextEncoder().encode(e.data).length > MAX_CONTROL_MESSAGE_BYTES
      ) {
        this.#refuse(1009, "Message too big");
        return;
      }
      this.#receive(e.data).catch((err) => {
        this.#options.log(`media control ${this.#name}: ${err}`);
        this.#refuse(1011, "Internal error");
      });
    };
    socket.onclose = () => this.#closeAll();
    socket.onerror = () => {};
  }

  get #name(): string {
    return this.#edge ?? "(no hello yet)";
  }

  async #receive(text: string): Promise<void> {
    if (this.#closed) return;
    let m;
    try {
      m = parseEdgeMessage(text);
    } catch (e) {
      this.#refuse(1007, e instanceof Error ? e.message : String(e));
      return;
    }
    // Messages that follow a hello wait for its verification.
    if (this.#edge === null && this.#verifying !== null) await this.#verifying;
    if (this.#closed) return;
    if (this.#edge === null) {
      if (m.type !== "hello" || this.#verifying !== null) {
        this.#refuse(4001, "The first message must be hello");
        return;
      }
      const now = this.#options.now?.() ?? Date.now();
      const verifying = this.#options.tokens.verify(m.token, {
        nodeId: this.#options.nodeId,
        now,
      });
      this.#verifying = verifying.then(() => {}, () => {});
      const result = await verifying;
      if (!result.ok) {
        this.#options.log(`media control: edge refused: ${result.message}`);
        this.#refuse(4001, result.message);
        return;
      }
      clearTimeout(this.#hello);
      this.#edge = result.edgeId;
      this.#options.log(`media control: edge ${result.edgeId} connected`);
      this.#send({
        v: MEDIA_CONTRACT_VERSION,
        type: "welcome",
        node: this.#options.nodeId,
      });
      return;
    }
    if (m.type === "ping") {
      this.#send({ v: MEDIA_CONTRACT_VERSION, type: "pong" });
      return;
    }
    if (m.type !== "call") return; // a second hello: nothing to do
    const call = m.call;
    try {
      const value = await this.#call(m);
      this.#send({ v: MEDIA_CONTRACT_VERSION, type: "result", call, value });
    } catch (e) {
      const error = MediaError.from(e);
      this.#send({
        v: MEDIA_CONTRACT_VERSION,
        type: "result",
        call,
        error: { reason: error.reason, message: error.message },
      });
    }
  }

  #call(o: Operation): Promise<unknown> {
    const node = this.#options.node;
    switch (o.op) {
      case "openUp":
        return this.#open(o.conn, "up", () =>
          node.openUp({
            id: o.id,
            group: o.group,
            codecs: o.codecs,
            ice: o.ice,
            onIceCandidate: (candidate) =>
              this.#event({ event: "ice", conn: o.conn, candidate }),
            onTracks: (tracks) =>
              this.#event({
                event: "tracks",
                conn: o.conn,
                tracks: [...tracks],
              }),
            onStateChange: (state) =>
              this.#event({ event: "state", conn: o.conn, state }),
          })).then(() => null);
      case "openDown":
        return this.#open(o.conn, "down", () =>
          node.openDown({
            id: o.id,
            group: o.group,
            subscriber: o.subscriber,
            upId: o.upId,
            request: o.request,
            ...(o.follows ? { follows: true } : {}),
            ice: o.ice,
            onIceCandidate: (candidate) =>
              this.#event({ event: "ice", conn: o.conn, candidate }),
            onStateChange: (state) =>
              this.#event({ event: "state", conn: o.conn, state }),
          })).then(() => null);
      case "record":
        return this.#open(o.conn, "recording", () =>
          node.record({
            upId: o.upId,
            group: o.group,
            ...(o.username !== undefined ? { username: o.username } : {}),
            onEnded: () => {
              this.#handles.delete(o.conn);
              this.#event({ event: "ended", conn: o.conn });
            },
          })).then((rec) => ({ skipped: rec.skipped }));
      case "offer":
        return this.#up(o.conn).then((c) => c.offer(o.sdp));
      case "addIceCandidate":
        return this.#either(o.conn).then((c) => c.addIceCandidate(o.candidate))
          .then(() => null);
      case "negotiate":
        return this.#down(o.conn).then((c) =>
          c.negotiate({ iceRestart: o.iceRestart })
        );
      case "answer":
        return this.#down(o.conn).then((c) => c.answer(o.sdp)).then(() => null);
      case "setRequest":
        return this.#down(o.conn).then((c) => c.setRequest(o.request));
      case "retarget":
        return this.#down(o.conn).then((c) => c.retarget(o.upId)).then(() =>
          null
        );
      case "close": {
        const handle = this.#handles.get(o.conn);
        this.#handles.delete(o.conn);
        if (handle?.kind === "up" || handle?.kind === "down") {
          handle.opened.then((c) => c.close(), () => {});
        }
        return Promise.resolve(null);
      }
      case "closeRecording": {
        const handle = this.#handles.get(o.conn);
        this.#handles.delete(o.conn);
        if (handle?.kind !== "recording") return Promise.resolve(null);
        return handle.opened.then((r) => r.close(), () => {}).then(() => null);
      }
      case "stats":
        return node.stats();
    }
  }

  #open<V>(
    conn: string,
    kind: Handle["kind"],
    open: () => Promise<V>,
  ): Promise<V> {
    if (this.#handles.has(conn)) {
      return Promise.reject(
        new MediaError("in-use", `Handle "${conn}" is in use on this link`),
      );
    }
    if (this.#handles.size >= MAX_HANDLES_PER_LINK) {
      return Promise.reject(
        new MediaError("refused", "Too many connections on this link"),
      );
    }
    const opened = open();
    opened.catch(() => {}); // answered as this call's result
    this.#handles.set(conn, { kind, opened } as Handle);
    // A handle that failed to open is forgotten.
    opened.catch(() => {
      if (this.#handles.get(conn)?.opened === opened) {
        this.#handles.delete(conn);
      }
    });
    return opened;
  }

  #handle(conn: string): Handle {
    const handle = this.#handles.get(conn);
    if (handle === undefined) {
      throw new MediaError("closed", `No open connection "${conn}"`);
    }
    return handle;
  }

  async #up(conn: string): Promise<UpConnection> {
    const h = this.#handle(conn);
    if (h.kind !== "up") throw new MediaError("invalid", `"${conn}" is not up`);
    return await h.opened;
  }

  async #down(conn: string): Promise<DownConnection> {
    const h = this.#handle(conn);
    if (h.kind !== "down") {
      throw new MediaError("invalid", `"${conn}" is not down`);
    }
    return await h.opened;
  }

  async #either(conn: string): Promise<UpConnection | DownConnection> {
    const h = this.#handle(conn);
    if (h.kind === "recording") {
      throw new MediaError("invalid", `"${conn}" is a recording`);
    }
    return await h.opened;
  }

  #event(e: NodeEvent): void {
    this.#send({ v: MEDIA_CONTRACT_VERSION, type: "event", ...e });
  }

  #send(m: NodeMessage): void {
    if (this.#closed || this.#socket.readyState !== WebSocket.OPEN) return;
    this.#socket.send(JSON.stringify(m));
  }

  #refuse(code: number, reason: string): void {
    if (this.#socket.readyState <= WebSocket.OPEN) {
      this.#socket.close(code, reason.slice(0, 120));
    }
    this.#closeAll();
  }

  // Everything this link opened ends with it.
  #closeAll(): void {
    clearTimeout(this.#hello);
    if (this.#closed) return;
    this.#closed = true;
    const handles = [...this.#handles.values()];
    this.#handles.clear();
    if (this.#edge !== null) {
      this.#options.log(
        `media control: edge ${this.#edge} gone, closing its ${handles.length} connections and recordings`,
      );
    }
    for (const h of handles) {
      h.opened.then((c) => void c.close(), () => {});
    }
  }
}

/**
 * A request handler for the control endpoint: upgrades `GET /control` to a
 * WebSocket link, passes `/recordings/…` to `options.recordings` when
 * given; anything else is 404.
 */
export function mediaControlHandler(
  options: MediaControlOptions,
): (request: Request) => Response | Promise<Response> {
  return function mediaControl(request: Request) {
    const url = new URL(request.url);
    if (options.recordings && url.pathname.startsWith("/recordings/")) {
      return options.recordings(request);
    }
    if (url.pathname !== CONTROL_PATH) {
      return new Response("Not found", { status: 404 });
    }
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Expected a WebSocket", { status: 426 });
    }
    const { socket, response } = Deno.upgradeWebSocket(request, {
      idleTimeout: 0,
    });
    new ControlLink(socket, options);
    return response;
  };
}

/** A running control endpoint. */
export interface MediaControlServer {
  /** The `ws://` URL edges connect to. */
  readonly url: string;
  /** Stops listening; open links are cut. */
  close(): Promise<void>;
}

/** Serves the control endpoint on its own port (plain WebSocket). */
export function serveMediaControl(
  options: MediaControlOptions & { hostname: string; port: number },
): MediaControlServer {
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    onListen: () => {},
  }, mediaControlHandler(options));
  const addr = server.addr;
  const host = addr.hostname.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  return {
    url: `ws://${host}:${addr.port}${CONTROL_PATH}`,
    async close() {
      await server.shutdown();
    },
  };
}
