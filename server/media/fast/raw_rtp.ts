/**
 * Raw RTP in and out of a werift DTLS transport, without werift's per-packet
 * objects.
 *
 * werift turns every decrypted packet into an `RtpPacket` (header object,
 * extension list, payload copy), routes it by parsing its header extensions
 * again, and clones it once more per track. A media node that stores the
 * bytes in its WASM cache needs none of that: {@link setRtpInterceptor} hands it
 * the decrypted bytes first, and werift's path runs only for the packets the
 * interceptor declines (a track's first packets, which tell werift's router the SSRC).
 * {@link sendRawRtp} encrypts a packet given as bytes and hands it to the
 * socket of the nominated ICE pair, with no header object and no promise
 * (on a relayed pair, to werift's TURN client, which frames it).
 *
 * The interceptor is offered a view it must copy to keep (the fast path's socket
 * reuses its receive memory); werift's parsers get a copy.
 *
 * The interceptor needs the replaced `startSrtp` that `installRawPath` of
 * `../werift_patches.ts` puts in place, with {@link receiveSrtp} (the fast
 * path installs it); without it, and without the fast path's SRTP contexts,
 * both functions fall back on werift's public path.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  RTCDtlsTransport,
  RtcpPacketConverter,
  RtpPacket,
  SrtpAuthenticationError,
} from "werift";
import type { SrtpContext } from "./srtp_context.ts";

/**
 * Offered the decrypted bytes of each RTP packet, valid only during the call
 * (copy to keep); true when it took the packet.
 */
export type RtpInterceptor = (packet: Buffer) => boolean;

/** The fast path's SRTP state of one transport (see werift_seam.ts). */
export interface SrtpState {
  local: SrtpContext;
  remote: SrtpContext;
  closed: boolean;
}

/** Where the fast path keeps a transport's {@link SrtpState}. */
export const SRTP_STATE: unique symbol = Symbol.for("nereid.srtpState");
/** Set on the fast path's UDP transports: their `send` copies at once. */
export const COPYING_SEND: unique symbol = Symbol.for("nereid.copyingSend");
/**
 * Where a fast-path UDP transport hands SRTP and SRTCP datagrams (RFC 7983:
 * first byte 128–191) straight away, when set: werift's path to
 * {@link receiveSrtp} is four calls and two events, each event an async
 * function (a promise) per datagram. Set by {@link sinkFor}'s caller when
 * SRTP starts (`../werift_patches.ts`).
 */
export const MEDIA_SINK: unique symbol = Symbol.for("nereid.mediaSink");

/** A transport's {@link MEDIA_SINK}; `data` is valid only during the call. */
export type MediaSink = (data: Buffer) => void;
const INTERCEPTOR = Symbol.for("nereid.rtpInterceptor");
// A pair's remote address, kept on the pair: werift's `remoteAddr` getter
// builds a new array at every call (half the bytes the forwarding path
// allocated), and a pair's remote candidate never changes.
const REMOTE_ADDRESS = Symbol.for("nereid.remoteAddress");

interface Internals {
  [INTERCEPTOR]?: RtpInterceptor;
  [SRTP_STATE]?: SrtpState;
  bytesReceived: number;
  packetsReceived: number;
  bytesSent: number;
  packetsSent: number;
  state: string;
  srtp: { decrypt(data: Buffer): Buffer };
  srtcp: { decrypt(data: Buffer): Buffer; encrypt(data: Buffer): Buffer };
  onRtp: { execute(packet: RtpPacket): void };
  onRtcp: { execute(packet: unknown): void };
  iceTransport: { connection: IceConnection };
}

interface IceConnection {
  nominated?: {
    remoteAddr: [string, number];
    [REMOTE_ADDRESS]?: [string, number];
    protocol: {
      /** The UDP socket of a host pair; absent on a relayed (TURN) pair. */
      transport?: {
        closed?: boolean;
        [COPYING_SEND]?: boolean;
        send(data: Buffer, addr: [string, number]): unknown;
      };
      /** Sends through the protocol: over the TURN relay on a relayed pair. */
      sendData(data: Buffer, addr: [string, number]): Promise<void>;
    };
  };
  canSendApplicationData(): boolean;
  send(data: Buffer): Promise<void>;
}

/** Routes a transport's decrypted RTP through `interceptor` first; undefined removes it. */
export function setRtpInterceptor(
  transport: RTCDtlsTransport,
  interceptor: RtpInterceptor | undefined,
): void {
  const t = transport as unknown as Internals;
  if (interceptor === undefined) delete t[INTERCEPTOR];
  else t[INTERCEPTOR] = interceptor;
}

/** True when {@link sendRawRtp} takes the fast way on this transport. */
export function hasRawPath(transport: RTCDtlsTransport): boolean {
  return (transport as unknown as Internals)[SRTP_STATE] !== undefined;
}

// One scratch buffer per process: protect in place, hand to a socket whose
// send copies, reuse. 2048 bytes hold an MTU-sized packet and its tag. The
// view of its first bytes is kept while packets keep their length.
const scratch = Buffer.alloc(2048);
let scratchView = scratch.subarray(0, 0);
const noop = (): void => {};

/**
 * Encrypts the RTP packet `bytes` and sends it on the transport's nominated
 * pair; returns false when it could not (not connected, closed, malformed).
 */
export function sendRawRtp(
  transport: RTCDtlsTransport,
  bytes: Uint8Array,
): boolean {
  const t = transport as unknown as Internals;
  if (t.state !== "connected") return false;
  const state = t[SRTP_STATE];
  if (state === undefined) {
    // werift's own path: it wants a header object.
    const packet = RtpPacket.deSerialize(Buffer.from(bytes));
    transport.sendRtp(packet.payload, packet.header).catch(noop);
    return true;
  }
  const connection = t.iceTransport.connection;
  const pair = connection.nominated;
  if (state.closed || pair === undefined || bytes.length + 16 > 2048) {
    return false;
  }
  if (!connection.canSendApplicationData()) return false;
  scratch.set(bytes);
  const n = state.local.protectRtp(scratch, bytes.length);
  if (n < 0) return false;
  const socket = pair.protocol.transport;
  if (socket === undefined) {
    // A relayed pair: werift wraps the packet for its TURN client.
    pair.protocol.sendData(Buffer.from(scratch.subarray(0, n)), pair.remoteAddr)
      .catch(noop);
    t.bytesSent += n;
    t.packetsSent++;
    return true;
  }
  if (socket.closed) return false;
  if (scratchView.length !== n) scratchView = scratch.subarray(0, n);
  const out = socket[COPYING_SEND] === true
    ? scratchView
    : Buffer.from(scratchView);
  const r = socket.send(out, pair[REMOTE_ADDRESS] ??= pair.remoteAddr);
  if (r instanceof Promise) r.catch(noop);
  t.bytesSent += n;
  t.packetsSent++;
  return true;
}

/** Encrypts and sends one compound RTCP packet given as bytes. */
export function sendRawRtcp(
  transport: RTCDtlsTransport,
  bytes: Uint8Array,
): void {
  const t = transport as unknown as Internals;
  if (t.state !== "connected" || t[SRTP_STATE]?.closed) return;
  const enc = t.srtcp.encrypt(Buffer.from(bytes));
  t.bytesSent += enc.length;
  t.packetsSent++;
  t.iceTransport.connection.send(enc).catch(noop);
}

/**
 * The sink a UDP transport of the transport's ICE connection (`protocol`'s
 * socket) gets: what werift's ICE layer did for a datagram (count it on the
 * nominated pair when it came through that pair's socket), then
 * {@link receiveSrtp}.
 */
export function sinkFor(
  transport: RTCDtlsTransport,
  protocol: unknown,
): MediaSink {
  const connection = (transport as unknown as Internals).iceTransport
    .connection as unknown as {
      nominated?: {
        protocol: unknown;
        packetsReceived: number;
        bytesReceived: number;
      };
    };
  return (data) => {
    const pair = connection.nominated;
    if (pair !== undefined && pair.protocol === protocol) {
      pair.packetsReceived++;
      pair.bytesReceived += data.length;
    }
    receiveSrtp(transport, data);
  };
}

/**
 * werift's receive path (transport/dtls.js startSrtp) with the interceptor added:
 * RFC 7983 demultiplexing, RTCP by its packet type (RFC 5761 §4). The
 * replaced `startSrtp` (`../werift_patches.ts`, `installRawPath`)
 * subscribes it to the transport's ICE data.
 */
export function receiveSrtp(transport: RTCDtlsTransport, data: Buffer): void {
  const t = transport as unknown as Internals;
  const b0 = data[0] ?? 0;
  if (b0 < 128 || b0 > 191 || data.length < 4) return;
  t.bytesReceived += data.length;
  t.packetsReceived++;
  const b1 = data[1]!;
  if (b1 >= 192 && b1 <= 208) {
    const dec = decrypt(t.srtcp, data);
    if (dec === null) return;
    let packets: unknown[];
    try {
      // A copy: `dec` may be a view into a reused receive arena (see
      // werift_seam.ts), and werift's RTCP objects may keep subarrays of it.
      packets = RtcpPacketConverter.deSerialize(Buffer.from(dec));
    } catch {
      return; // malformed RTCP: dropped, as werift does
    }
    for (const p of packets) t.onRtcp.execute(p);
    return;
  }
  const dec = decrypt(t.srtp, data);
  if (dec === null) return;
  const interceptor = t[INTERCEPTOR];
  if (interceptor !== undefined && interceptor(dec)) return;
  let packet: RtpPacket;
  try {
    // A copy, for the same reason: werift's payload is a subarray it keeps.
    packet = RtpPacket.deSerialize(Buffer.from(dec));
  } catch {
    return;
  }
  t.onRtp.execute(packet);
}

function decrypt(
  session: { decrypt(data: Buffer): Buffer },
  data: Buffer,
): Buffer | null {
  try {
    return session.decrypt(data);
  } catch (e) {
    if (e instanceof SrtpAuthenticationError) return null;
    throw e;
  }
}
