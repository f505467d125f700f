/**
 * The least of a Galène client a load bot needs: handshake, join, request,
 * and offer/answer/ice over the WebSocket protocol, as Galène's client
 * does.
 *
 * @module
 */

import type { IceCandidate } from "../server/media/media_node.ts";

/** A server message, as far as the bots read it. */
export interface ServerMessage {
  type: string;
  kind?: string;
  id?: string;
  sdp?: string;
  candidate?: IceCandidate;
  value?: unknown;
}

/** Handlers for the media messages a bot receives. */
export interface MediaHandlers {
  onOffer?(id: string, sdp: string): void;
  onAnswer?(id: string, sdp: string): void;
  onIce?(id: string, candidate: IceCandidate): void;
  /** The server asks for an ICE restart of up stream `id`: it failed. */
  onRenegotiate?(id: string): void;
}

/** A joined client of the benchmark group. */
export class GaleneClient {
  readonly id = crypto.randomUUID().replaceAll("-", "");
  readonly username: string;
  readonly #ws: WebSocket;
  #handlers: MediaHandlers = {};

  private constructor(ws: WebSocket, username: string) {
    this.#ws = ws;
    this.username = username;
  }

  /**
   * Connects, handshakes and joins `group` with any password.
   * @throws Error when the join fails or takes more than 20 s
   */
  static async join(
    url: string,
    options: { group: string; username: string },
  ): Promise<GaleneClient> {
    const ws = new WebSocket(url);
    const client = new GaleneClient(ws, options.username);
    const joined = Promise.withResolvers<void>();
    const timer = setTimeout(
      () => joined.reject(new Error(`Join of ${options.username} timed out`)),
      20_000,
    );
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as ServerMessage;
      if (m.type === "joined") {
        if (m.kind === "join") joined.resolve();
        else if (m.kind === "fail") {
          joined.reject(new Error(`Cannot join: ${String(m.value)}`));
        }
      }
      client.#dispatch(m);
    };
    ws.onclose = () =>
      joined.reject(new Error(`Socket of ${options.username} closed`));
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`Cannot connect to ${url}`));
    });
    client.send({ type: "handshake", version: ["2"], id: client.id });
    client.send({
      type: "join",
      kind: "join",
      group: options.group,
      username: options.username,
      password: "",
    });
    try {
      await joined.promise;
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  /** Sets where offers, answers and candidates go. */
  handle(handlers: MediaHandlers): void {
    this.#handlers = handlers;
  }

  send(message: Record<string, unknown>): void {
    if (this.#ws.readyState === WebSocket.OPEN) {
      this.#ws.send(JSON.stringify(message));
    }
  }

  /** Sends a local ICE candidate of stream `id`. */
  sendIce(id: string, candidate: IceCandidate): void {
    this.send({ type: "ice", id, candidate });
  }

  close(): void {
    this.#ws.close();
  }

  #dispatch(m: ServerMessage): void {
    const h = this.#handlers;
    if (m.type === "ping") this.send({ type: "pong" });
    else if (m.type === "offer" && m.id && m.sdp) h.onOffer?.(m.id, m.sdp);
    else if (m.type === "answer" && m.id && m.sdp) h.onAnswer?.(m.id, m.sdp);
    else if (m.type === "ice" && m.id && m.candidate) {
      h.onIce?.(m.id, m.candidate);
    } else if (m.type === "renegotiate" && m.id) {
      h.onRenegotiate?.(m.id);
    } else if (m.type === "usermessage" && m.kind === "error") {
      console.error(`[bot ${this.username}] server error: ${String(m.value)}`);
    }
  }
}
