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

import type { RtcpPacket, RTCRtpReceiver, RTCRtpSender } from "werift";

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

function noop(): void {}
