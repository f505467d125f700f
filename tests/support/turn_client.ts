/**
 * A raw STUN/TURN client for tests, over real UDP (node:dgram) or TCP
 * sockets: sends hand-made messages and waits for what comes back, and does
 * the long-term credential exchange (401 → nonce → signed request).
 *
 * @module
 */

import { createSocket, type Socket } from "node:dgram";
import { Buffer } from "node:buffer";
import { MessageClass } from "../../server/turn/stun_constants.ts";
import { Attr } from "../../server/turn/stun_constants.ts";
import type { IceServer } from "../../server/ice/ice_servers.ts";
import { longTermKey } from "../../server/turn/stun_integrity.ts";
import {
  decodeStun,
  type StunMessage,
} from "../../server/turn/stun_message.ts";
import { StunWriter } from "../../server/turn/stun_writer.ts";
import { StreamFramer } from "../../server/turn/stream_framer.ts";
import { waitFor } from "./wait_for.ts";

/** A socket to a TURN server that queues what it receives. */
export class TurnTestClient {
  readonly #send: (bytes: Uint8Array) => void;
  readonly #close: () => void;
  readonly #received: Uint8Array[] = [];
  #wake: (() => void) | null = null;
  #ended = false;
  readonly localPort: number;
  readonly stream: boolean;

  private constructor(
    parts: {
      send: (bytes: Uint8Array) => void;
      close: () => void;
      localPort: number;
      stream: boolean;
    },
  ) {
    this.#send = parts.send;
    this.#close = parts.close;
    this.localPort = parts.localPort;
    this.stream = parts.stream;
  }

  /**
   * A client over a socket of the caller's (a benchmark's batched one):
   * it hands every datagram it receives to `deliver`.
   */
  static over(
    parts: { send: (bytes: Uint8Array) => void; localPort: number },
  ): { client: TurnTestClient; deliver: (m: Uint8Array) => void } {
    const client = new TurnTestClient({
      ...parts,
      close: () => {},
      stream: false,
    });
    return { client, deliver: (m) => client.#push(m.slice()) };
  }

  /**
   * A UDP client of `host:port`, bound on `local` (by default loopback of
   * the host's family).
   */
  static async udp(
    port: number,
    host = "127.0.0.1",
    local = host.includes(":") ? "::1" : "127.0.0.1",
  ): Promise<TurnTestClient> {
    const s: Socket = createSocket(host.includes(":") ? "udp6" : "udp4");
    await new Promise<void>((r) => s.bind(0, local, () => r()));
    const c: TurnTestClient = new TurnTestClient({
      send: (b) => s.send(Buffer.from(b), port, host),
      close: () => s.close(),
      localPort: s.address().port,
      stream: false,
    });
    s.on("message", (m: Buffer) => c.#push(new Uint8Array(m)));
    return c;
  }

  /** A TCP client of `host:port` (127.0.0.1 or ::1). */
  static async tcp(port: number, host = "127.0.0.1"): Promise<TurnTestClient> {
    const conn = await Deno.connect({ hostname: host, port });
    const writer = conn.writable.getWriter();
    const c: TurnTestClient = new TurnTestClient({
      send: (b) => void writer.write(b.slice()).catch(() => {}),
      close: () => {
        try {
          conn.close();
        } catch {
          // closed already
        }
      },
      localPort: (conn.localAddr as Deno.NetAddr).port,
      stream: true,
    });
    const framer = new StreamFramer();
    (async () => {
      try {
        for await (const chunk of conn.readable) {
          framer.push(chunk, (m) => c.#push(m.slice()));
        }
      } catch {
        // closed
      } finally {
        c.#ended = true;
      }
    })();
    return c;
  }

  /** True once a TCP client's connection is closed (by either side). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Sends raw bytes. */
  send(bytes: Uint8Array): void {
    this.#send(bytes);
  }

  /** The next received message that `accept` takes (default: any). */
  async next(
    accept: (m: Uint8Array) => boolean = () => true,
    timeoutMs = 3000,
  ): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#received.findIndex(accept);
      if (i >= 0) return this.#received.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("Timed out waiting for a TURN message");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Sends a request and resolves with the response to it. */
  async request(bytes: Uint8Array, timeoutMs = 3000): Promise<StunMessage> {
    const tid = bytes.subarray(8, 20).join();
    this.send(bytes);
    const reply = await this.next(
      (m) => m.length >= 20 && m.subarray(8, 20).join() === tid,
      timeoutMs,
    );
    const r = decodeStun(reply);
    if (!r.ok) throw new Error(`Undecodable response: ${r.reason}`);
    return r.message;
  }

  /** True when nothing arrives within `ms`. */
  async silentFor(ms: number): Promise<boolean> {
    try {
      await this.next(() => true, ms);
      return false;
    } catch {
      return true;
    }
  }

  /** Closes the socket. */
  close(): void {
    this.#close();
  }

  #push(m: Uint8Array): void {
    this.#received.push(m);
    this.#wake?.();
  }
}

/** A UDP peer on loopback (127.0.0.1 or ::1) that queues what it receives. */
export interface UdpPeer {
  socket: Socket;
  port: number;
  /** The next datagram (waits for it). */
  received: () => Promise<Buffer>;
  /** How many datagrams arrived so far, taken or not. */
  readonly count: number;
}

/** Opens a {@link UdpPeer} on `host`. */
export async function udpPeer(host = "127.0.0.1"): Promise<UdpPeer> {
  const socket = createSocket(host.includes(":") ? "udp6" : "udp4");
  await new Promise<void>((r) => socket.bind(0, host, () => r()));
  const queue: Buffer[] = [];
  let count = 0;
  socket.on("message", (m: Buffer) => {
    count++;
    queue.push(m);
  });
  return {
    socket,
    port: socket.address().port,
    received: () => waitFor("a datagram at the peer", () => queue.shift()),
    get count() {
      return count;
    },
  };
}

/** A new random transaction id. */
export function tid(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(12));
}

/** The numeric ERROR-CODE of a response, or 0. */
export function errorOf(m: StunMessage): number {
  const e = m.get(Attr.errorCode);
  return e === undefined ? 0 : e[2]! * 100 + e[3]!;
}

/**
 * Long-term credential requests: the first one is sent unsigned to learn
 * the realm and nonce (401), then each is signed; a 438 renews the nonce.
 */
export class TurnAuth {
  readonly #client: TurnTestClient;
  readonly #username: string;
  readonly #password: string;
  #realm = "";
  #nonce = "";

  constructor(
    client: TurnTestClient,
    credentials: { username: string; credential: string },
  ) {
    this.#client = client;
    this.#username = credentials.username;
    this.#password = credentials.credential;
  }

  /** Sends `method` with `attrs`, signed; resolves with the final answer. */
  async call(
    method: number,
    attrs: (w: StunWriter) => void = () => {},
  ): Promise<StunMessage> {
    if (this.#nonce === "") {
      const first = new StunWriter(method, MessageClass.request, tid());
      attrs(first);
      const r = await this.#client.request(first.finish());
      if (errorOf(r) !== 401) return r;
      this.#learn(r);
    }
    for (let i = 0; i < 2; i++) {
      const r = await this.#client.request(this.sign(method, attrs));
      if (errorOf(r) !== 438) return r;
      this.#learn(r);
    }
    throw new Error("The nonce stayed stale");
  }

  /** A signed request (after a first {@link call}). */
  sign(
    method: number,
    attrs: (w: StunWriter) => void = () => {},
    transactionId: Uint8Array = tid(),
  ): Uint8Array {
    const w = new StunWriter(method, MessageClass.request, transactionId);
    attrs(w);
    w.text(Attr.username, this.#username).text(Attr.realm, this.#realm)
      .text(Attr.nonce, this.#nonce);
    return w.finish({
      key: longTermKey(this.#username, this.#realm, this.#password),
      fingerprint: true,
    });
  }

  #learn(r: StunMessage): void {
    this.#realm = r.text(Attr.realm) ?? "";
    this.#nonce = r.text(Attr.nonce) ?? "";
  }
}

/** The ICE servers a `joined` message's `rtcConfiguration` lists. */
export function iceServersOf(joined: Record<string, unknown>): IceServer[] {
  const rtc = joined["rtcConfiguration"] as { iceServers: IceServer[] };
  return rtc.iceServers;
}
