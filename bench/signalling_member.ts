/**
 * A joined client of the edge-capacity figures, lean enough to run
 * thousands in one process: it connects, handshakes and joins as Galène's
 * client does, answers the server's pings, sends chat messages stamped
 * with their send time, and keeps of what it receives only a count of chat
 * messages and their latencies.
 *
 * Not `galene_client.ts` (the load bots' client: media handlers, no way to
 * see chat) nor the tests' `WsClient` (it keeps every message for the
 * tests' assertions, and answers no ping, so a client idle for 45 s is
 * dropped).
 *
 * @module
 */

import { randomId } from "../tests/support/ws_client.ts";
import type { LatencyRecorder } from "./latency_recorder.ts";

/** What the members of a run count together. */
export interface MemberSink {
  /** Chat messages received, by every member. */
  received: number;
  /** Joined members whose socket closed without {@link SignallingMember.close}. */
  dropped: number;
  /** Send → receipt of stamped chat messages, ms. */
  readonly latency: LatencyRecorder;
}

/** Options of {@link SignallingMember.join}. */
export interface JoinOptions {
  url: string;
  group: string;
  username: string;
  sink: MemberSink;
  /** Give up after this long (ms). */
  timeoutMs: number;
}

const STAMP = "t=";

/** One joined client. */
export class SignallingMember {
  readonly id = randomId();
  readonly #ws: WebSocket;
  readonly #username: string;
  #joined = false;
  #closing = false;

  private constructor(ws: WebSocket, username: string) {
    this.#ws = ws;
    this.#username = username;
  }

  /**
   * Connects, handshakes and joins; resolves once the server says
   * `joined`.
   * @throws Error when the socket fails or closes, the join is refused or
   *   takes longer than `timeoutMs`
   */
  static async join(options: JoinOptions): Promise<SignallingMember> {
    const ws = new WebSocket(options.url);
    const member = new SignallingMember(ws, options.username);
    const joined = Promise.withResolvers<void>();
    const timer = setTimeout(
      () => joined.reject(new Error(`Join timed out`)),
      options.timeoutMs,
    );
    const sink = options.sink;
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as {
        type: string;
        kind?: string;
        value?: unknown;
      };
      if (m.type === "chat") {
        sink.received++;
        const value = String(m.value);
        if (value.startsWith(STAMP)) {
          sink.latency.add(performance.now() - Number(value.slice(2)));
        }
      } else if (m.type === "ping") {
        member.#send({ type: "pong" });
      } else if (m.type === "joined") {
        if (m.kind === "join") joined.resolve();
        else if (m.kind === "fail") {
          joined.reject(new Error(`Join refused: ${String(m.value)}`));
        }
      }
    };
    ws.onerror = () => joined.reject(new Error("Socket error"));
    ws.onclose = () => {
      if (member.#joined && !member.#closing) sink.dropped++;
      joined.reject(new Error("Socket closed"));
    };
    ws.onopen = () => {
      member.#send({ type: "handshake", version: ["2"], id: member.id });
      member.#send({
        type: "join",
        kind: "join",
        group: options.group,
        username: options.username,
        password: "",
      });
    };
    try {
      await joined.promise;
      member.#joined = true;
    } catch (e) {
      ws.close();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return member;
  }

  /** Sends a chat message to the group, stamped with the time now. */
  chat(): void {
    this.#send({
      type: "chat",
      source: this.id,
      username: this.#username,
      value: `${STAMP}${performance.now().toFixed(3)}`,
    });
  }

  /** Closes the socket (without waiting). */
  close(): void {
    this.#closing = true;
    this.#ws.close();
  }

  #send(message: Record<string, unknown>): void {
    if (this.#ws.readyState === WebSocket.OPEN) {
      this.#ws.send(JSON.stringify(message));
    }
  }
}
