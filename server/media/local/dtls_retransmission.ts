/**
 * Makes werift's DTLS handshake answer a retransmitted flight the way
 * RFC 6347 §4.2.4 asks: by sending its own last flight again, unchanged.
 *
 * werift 0.24.4 handles a handshake message it has already seen as if it
 * were new. A ClientHello that arrives twice (the browser retransmits after
 * 50–100 ms when the server is slow, which happens on a loaded machine)
 * makes its server run the ClientHello step again: new random and key pair
 * for a repeated cookie-less hello, a second ServerHello flight with
 * advanced message sequence numbers for a repeated cookie hello. The
 * browser then discards the server's Finished (its sequence number is not
 * the one expected), retransmits its own last flight for ever, and werift,
 * which believes the handshake complete, ignores those: werift sends SRTP
 * the browser cannot use, the browser's connection stays "connecting", and
 * the subscriber never sees the stream. This was Nereid's intermittent
 * missing-stream bug (issue 3).
 *
 * The fix sits between werift's record layer and its handshake state
 * machine (`onHandleHandshakes`, called with each batch of reassembled
 * messages) and hands messages on once each, in sequence order, as RFC 6347
 * §4.2.2 orders a receiver to: one ahead of the next expected is kept until
 * the gap is filled; one already handed on is a retransmission, answered by
 * sending the datagrams werift sent for the last new messages once more.
 * Both roles are covered: as a client, werift answers a repeated server
 * flight with its own last flight too.
 *
 * Installed by `../werift_patches.ts` (`installDtlsRetransmission`).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { RTCDtlsTransport } from "werift";

const DUPLICATE_HANDSHAKES = Symbol.for("nereid.duplicateHandshakes");

const GUARDED = Symbol.for("nereid.dtlsGuarded");
// A retransmitted flight spans several records: answer it once.
const MIN_RESEND_INTERVAL_MS = 50;
// Messages this far ahead of the next expected one are not kept (a flight
// has at most 6; the rest would be noise or an attack on memory).
const MAX_AHEAD = 16;
// RFC 6347 §4.1 content types: 20 change_cipher_spec, 22 handshake.
const CHANGE_CIPHER_SPEC = 20;
const HANDSHAKE = 22;

interface HandshakeMessage {
  msg_type: number;
  message_seq: number;
}

/** The parts of werift's `DtlsSocket` (client or server) this module uses. */
interface DtlsSocketInternals {
  [GUARDED]?: true;
  onHandleHandshakes(messages: HandshakeMessage[]): Promise<void>;
  transport: {
    socket: {
      send(data: Buffer): unknown;
      onData(data: Buffer): void;
    };
  };
}

interface TransportInternals {
  [DUPLICATE_HANDSHAKES]?: boolean;
}

/**
 * Puts the handling in front of a transport's DTLS socket, once (werift's
 * `RTCDtlsTransport.start` calls it through `../werift_patches.ts`, which
 * installs it).
 */
export function guardDtlsSocket(
  transport: RTCDtlsTransport,
  socket: unknown,
): void {
  const s = socket as DtlsSocketInternals;
  if (s[GUARDED] !== undefined) return;
  const t = transport as unknown as TransportInternals;
  guard(s, t[DUPLICATE_HANDSHAKES] === true);
}

/**
 * A receiver's handshake message sequencing (RFC 6347 §4.2.2): messages are
 * handed on once each, in `message_seq` order, starting at 0.
 */
export class HandshakeOrder<M extends { message_seq: number }> {
  #next = 0;
  #ahead = new Map<number, M>();

  /**
   * Takes newly received messages; returns those now due, in order, and
   * whether any of the given ones had already been handed on.
   */
  take(messages: readonly M[]): { ready: M[]; repeated: boolean } {
    let repeated = false;
    for (const m of messages) {
      const distance = m.message_seq - this.#next;
      if (distance < 0) repeated = true;
      else if (distance < MAX_AHEAD) this.#ahead.set(m.message_seq, m);
    }
    const ready: M[] = [];
    for (let m = this.#ahead.get(this.#next); m !== undefined;) {
      this.#ahead.delete(this.#next++);
      ready.push(m);
      m = this.#ahead.get(this.#next);
    }
    return { ready, repeated };
  }
}

function guard(socket: DtlsSocketInternals, duplicate: boolean): void {
  socket[GUARDED] = true;
  const ice = socket.transport.socket;
  let lastFlight: Buffer[] = [];
  let answering = false;
  let lastResend = -Infinity;

  const send = ice.send.bind(ice);
  ice.send = (data: Buffer) => {
    const type = data[0];
    if (type === HANDSHAKE || type === CHANGE_CIPHER_SPEC) {
      // The first datagram after new messages starts werift's answer to
      // them; werift's own timer resends datagrams already kept.
      if (answering) {
        lastFlight = [];
        answering = false;
      }
      if (!lastFlight.some((d) => d.equals(data))) {
        lastFlight.push(Buffer.from(data));
      }
    }
    return send(data);
  };

  const handle = socket.onHandleHandshakes.bind(socket);
  const order = new HandshakeOrder<HandshakeMessage>();
  socket.onHandleHandshakes = (messages) => {
    const { ready, repeated } = order.take(messages);
    if (ready.length === 0) {
      const now = performance.now();
      if (repeated && now - lastResend >= MIN_RESEND_INTERVAL_MS) {
        lastResend = now;
        for (const datagram of lastFlight) send(datagram);
      }
      return Promise.resolve();
    }
    answering = true;
    // The order werift's record layer hands messages on in.
    return handle(ready.sort((a, b) => a.msg_type - b.msg_type));
  };

  if (duplicate) {
    const onData = ice.onData;
    ice.onData = (data: Buffer) => {
      onData(data);
      if (data[0] === HANDSHAKE) onData(data);
    };
  }
}

/**
 * Test only: every handshake datagram the peer connection's DTLS transports
 * receive is handled twice, as when a browser retransmits a flight that was
 * only slow. Call after a description is set, before the connection starts.
 */
export function duplicateHandshakes(
  transports: readonly RTCDtlsTransport[],
): void {
  for (const t of transports) {
    (t as unknown as TransportInternals)[DUPLICATE_HANDSHAKES] = true;
  }
}
