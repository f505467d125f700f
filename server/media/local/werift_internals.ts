/**
 * The few places where Nereid reaches past werift's public API.
 *
 * Kept in few files so that a werift upgrade has few places to check: this
 * one, `dtls_retransmission.ts` (its DTLS handshake) and `../fast/`
 * (`werift_seam.ts` and `raw_rtp.ts`: its SRTP and UDP paths). Each
 * function names the werift 0.24.4 behaviour it works around.
 *
 * @module
 */

import {
  Connection,
  type RtcpPacket,
  type RTCRtpReceiver,
  type RTCRtpSender,
} from "werift";

interface ReceiverInternals {
  nack: { addPacket(packet: unknown): void };
  runRtcp(): Promise<void>;
}

/**
 * Turns off werift's NACK generator on a receiver.
 *
 * werift 0.24.4 (`media/receiver/nack.ts`) runs a 5 ms interval per video
 * receiver, compares sequence numbers without wraparound (a packet reordered
 * across the 65535→0 wrap marks ~65 000 numbers as lost) and sorts the lost
 * set as strings; under loss this collapsed (media-notes). Galène sends no
 * NACK from an interceptor either; the media plane decides.
 */
export function disableNackGenerator(receiver: RTCRtpReceiver): void {
  const internals = receiver as unknown as ReceiverInternals;
  internals.nack.addPacket = noop;
}

/**
 * Turns off werift's receiver reports on a receiver.
 *
 * werift 0.24.4 (`media/rtpReceiver.ts` `runRtcp`) starts a report loop on
 * the first packet it routes, every 0.5–1.5 s, from statistics of the
 * packets *it* saw; packets taken by the raw tap never reach it. The media
 * node sends one Receiver Report a second from its own caches instead: one
 * source of reports, not two that disagree.
 */
export function disableReceiverReports(receiver: RTCRtpReceiver): void {
  const internals = receiver as unknown as ReceiverInternals;
  internals.runRtcp = () => Promise.resolve();
}

/**
 * Routes a sender's incoming RTCP through `handle` first; werift's own
 * handling runs only when `handle` returns false.
 *
 * Used to replace werift's NACK responder (a 128-packet cache of whatever
 * `sendRtp` was given) by the pipeline's cache.
 */
export function interceptSenderRtcp(
  sender: RTCRtpSender,
  handle: (packet: RtcpPacket) => boolean,
): void {
  const original = sender.handleRtcpPacket.bind(sender);
  sender.handleRtcpPacket = (packet: RtcpPacket) => {
    if (!handle(packet)) original(packet);
  };
}

const NO_DEFAULT_STUN = Symbol.for("nereid.noDefaultStunServer");

interface ConnectionInternals {
  [NO_DEFAULT_STUN]?: true;
  stunServer: [string, number] | undefined;
  options: { stunServer?: [string, number] };
  getCandidatePromises(...args: unknown[]): unknown;
}

/**
 * Makes werift's ICE agents use a STUN server only when one is configured.
 * Process-wide and idempotent; peer connections made after the call get it.
 *
 * werift 0.24.4 (`ice/src/ice.ts`, the `Connection` constructor) falls back
 * to `stun.l.google.com:19302` when the configuration lists no STUN server,
 * `iceServers: []` included: every peer connection looked that name up and
 * sent it a binding request while gathering, and gathering waited up to 5 s
 * for the answer (each offer and answer, where DNS is unreachable). Nereid
 * contacts nothing it was not configured to contact. The fallback is read
 * only when gathering (`getCandidatePromises`), where it is now dropped.
 */
export function installNoDefaultStunServer(): void {
  const proto = Connection.prototype as unknown as ConnectionInternals;
  if (proto[NO_DEFAULT_STUN]) return;
  proto[NO_DEFAULT_STUN] = true;
  const original = proto.getCandidatePromises;
  proto.getCandidatePromises = function (
    this: ConnectionInternals,
    ...args: unknown[]
  ): unknown {
    if (this.options.stunServer === undefined) this.stunServer = undefined;
    return original.apply(this, args);
  };
}

function noop(): void {}
