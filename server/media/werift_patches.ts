/**
 * Every change Nereid makes to werift, in one place, and the check that the
 * werift it runs on is the one these changes were written for.
 *
 * Nereid reaches past werift's public API where werift 0.24.4 is too slow or
 * wrong for an SFU. Each such member is listed in {@link MEMBERS} with what
 * Nereid does with it; {@link assertWerift} checks, before the first change,
 * that werift is {@link WERIFT_VERSION} and that every listed member exists
 * with the expected shape (a method with its number of parameters, a field
 * its class declares), and throws an error naming the first member that
 * does not: a media node then refuses to start instead of failing, or
 * silently losing a fix, at the first call. A werift upgrade starts here.
 *
 * The changes, all installed by the functions of this module:
 *
 * - `RTCDtlsTransport.prototype.updateSrtpSession` and `stop`, the static
 *   `UdpTransport.init` ({@link replaceSrtpAndUdp}): the fast path's SRTP
 *   contexts and batched UDP sockets (`fast/werift_seam.ts`).
 * - `RTCDtlsTransport.prototype.startSrtp` ({@link installRawPath}): the raw
 *   RTP interceptor in front of werift's parsing (`fast/raw_rtp.ts`), fed by the
 *   fast path's host sockets directly (werift's ICE layer took two events,
 *   each a promise, per datagram).
 * - `RTCDtlsTransport.prototype.start` ({@link installDtlsRetransmission}):
 *   RFC 6347 handling of retransmitted handshake flights
 *   (`local/dtls_retransmission.ts`).
 * - `Connection.prototype.getCandidatePromises`
 *   ({@link installNoDefaultStunServer}): no STUN server unless configured.
 * - Per instance: a receiver's NACK generator and receiver reports
 *   ({@link disableNackGenerator}, {@link disableReceiverReports}), a
 *   sender's RTCP handling ({@link interceptSenderRtcp}).
 *
 * The fields that `fast/raw_rtp.ts`, `fast/werift_seam.ts` and
 * `local/dtls_retransmission.ts` read are listed too.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import * as werift from "werift";
import type { RtcpPacket, RTCRtpReceiver, RTCRtpSender } from "werift";
import {
  COPYING_SEND,
  MEDIA_SINK,
  type MediaSink,
  receiveSrtp,
  sinkFor,
} from "./fast/raw_rtp.ts";
import { guardDtlsSocket } from "./local/dtls_retransmission.ts";

/** The werift release every change here was written for (deno.json pins it). */
export const WERIFT_VERSION = "0.24.4";

/** The werift classes whose members are checked. */
export type WeriftClass =
  | "RTCDtlsTransport"
  | "UdpTransport"
  | "DtlsSocket"
  | "Connection"
  | "StunProtocol"
  | "TurnProtocol"
  | "RTCRtpReceiver"
  | "RTCRtpSender";

/** One member Nereid replaces, wraps or reads. */
export interface WeriftMember {
  owner: WeriftClass;
  name: string;
  /**
   * `method`: on the prototype, a function of `arity` parameters; `static`:
   * on the class, likewise; `field`: an instance field the class declares
   * (in its body or as `this.name =`).
   */
  kind: "method" | "static" | "field";
  arity?: number;
  /** What Nereid does with it. */
  use: string;
}

/** What {@link weriftProblems} looks at: the version and the classes. */
export interface WeriftShape {
  version: string;
  classes: Partial<Record<WeriftClass, unknown>>;
}

const method = (
  owner: WeriftClass,
  name: string,
  arity: number,
  use: string,
): WeriftMember => ({ owner, name, kind: "method", arity, use });
const field = (
  owner: WeriftClass,
  name: string,
  use: string,
): WeriftMember => ({ owner, name, kind: "field", use });

/** Every werift member Nereid relies on beyond the public API. */
export const MEMBERS: readonly WeriftMember[] = [
  method("RTCDtlsTransport", "updateSrtpSession", 0, "replaced: SRTP"),
  method("RTCDtlsTransport", "stop", 0, "wrapped: frees SRTP contexts"),
  method("RTCDtlsTransport", "startSrtp", 0, "replaced: raw RTP interceptor"),
  method("RTCDtlsTransport", "start", 0, "wrapped: DTLS retransmission"),
  ...[
    "dtls",
    "srtp",
    "srtcp",
    "srtpStarted",
    "iceTransport",
    "state",
    "onRtp",
    "onRtcp",
    "bytesReceived",
    "packetsReceived",
    "bytesSent",
    "packetsSent",
  ].map((name) => field("RTCDtlsTransport", name, "read by the fast path")),
  {
    owner: "UdpTransport",
    name: "init",
    kind: "static",
    arity: 1,
    use: "replaced: batched UDP sockets",
  },
  method("DtlsSocket", "extractSessionKeys", 2, "read: SRTP keys"),
  field("DtlsSocket", "onHandleHandshakes", "wrapped: DTLS retransmission"),
  field("DtlsSocket", "transport", "wrapped: DTLS retransmission"),
  method("Connection", "getCandidatePromises", 1, "wrapped: no default STUN"),
  field("Connection", "stunServer", "cleared: no default STUN"),
  field("Connection", "options", "read: no default STUN"),
  method("Connection", "canSendApplicationData", 0, "read: raw RTP send"),
  field("Connection", "send", "called: raw RTCP send"),
  field("Connection", "onData", "subscribed: raw RTP receive"),
  field("Connection", "nominated", "read: raw RTP send"),
  field("Connection", "protocols", "read: their sockets take media directly"),
  field("StunProtocol", "transport", "read: raw RTP send"),
  method("StunProtocol", "sendData", 2, "called: raw RTP over TURN"),
  method("TurnProtocol", "sendData", 2, "called: raw RTP over TURN"),
  field("RTCRtpReceiver", "nack", "replaced: no NACK generator"),
  method("RTCRtpReceiver", "runRtcp", 0, "replaced: no receiver reports"),
  method("RTCRtpSender", "handleRtcpPacket", 1, "wrapped: NACKs from cache"),
];

/**
 * The problems of `shape`, first the version, then each member, as
 * sentences naming it; empty when werift is the one expected.
 */
export function weriftProblems(shape: WeriftShape): string[] {
  const problems: string[] = [];
  if (shape.version !== WERIFT_VERSION) {
    problems.push(
      `werift is ${shape.version}, not ${WERIFT_VERSION}, the version Nereid's changes to it were written for`,
    );
  }
  const sources = new Map<WeriftClass, string>();
  for (const m of MEMBERS) {
    const owner = shape.classes[m.owner];
    const where = m.kind === "method"
      ? `${m.owner}.prototype.${m.name}`
      : `${m.owner}.${m.name}`;
    if (typeof owner !== "function") {
      problems.push(`werift exports no class ${m.owner} (${where}: ${m.use})`);
      continue;
    }
    if (m.kind === "field") {
      let source = sources.get(m.owner);
      if (source === undefined) {
        source = Function.prototype.toString.call(owner);
        sources.set(m.owner, source);
      }
      if (!declares(source, m.name)) {
        problems.push(
          `werift's ${m.owner} declares no field ${m.name} (${m.use})`,
        );
      }
      continue;
    }
    const holder = m.kind === "method"
      ? (owner as { prototype: Record<string, unknown> }).prototype
      : owner as unknown as Record<string, unknown>;
    const value = holder?.[m.name];
    if (typeof value !== "function") {
      problems.push(`werift has no ${where} (${m.use})`);
    } else if (value.length !== m.arity) {
      problems.push(
        `werift's ${where} takes ${value.length} parameter(s), not ${m.arity} (${m.use})`,
      );
    }
  }
  return problems;
}

// A class body field (`name = …`, `name;`) or a constructor's `this.name =`.
function declares(source: string, name: string): boolean {
  return new RegExp(`(^|[\\s;{])(this\\.)?${name}\\s*(=[^=>]|;)`, "m")
    .test(source);
}

/** The shape of the werift this process loaded. */
export function loadedWerift(): WeriftShape {
  const classes: Partial<Record<WeriftClass, unknown>> = {};
  const exports = werift as unknown as Record<string, unknown>;
  for (const m of MEMBERS) classes[m.owner] = exports[m.owner];
  return { version: weriftVersion(), classes };
}

// From werift's package.json beside the module Deno resolved.
function weriftVersion(): string {
  const url = new URL("../package.json", import.meta.resolve("werift"));
  try {
    const json = JSON.parse(Deno.readTextFileSync(url)) as {
      version?: unknown;
    };
    return String(json.version);
  } catch (e) {
    return `unknown (cannot read ${url.pathname}: ${
      e instanceof Error ? e.message : e
    })`;
  }
}

/**
 * Throws when `shape` has a problem (see {@link weriftProblems}).
 * @throws Error naming the first problem, and how many there are
 */
export function checkWerift(shape: WeriftShape): void {
  const problems = weriftProblems(shape);
  if (problems.length === 0) return;
  const more = problems.length > 1
    ? ` (and ${problems.length - 1} more: ${problems.slice(1).join("; ")})`
    : "";
  throw new Error(
    `Cannot start the media plane: ${problems[0]}${more}`,
  );
}

let checked: Error | null | undefined;

/**
 * Checks the loaded werift once per process (see {@link checkWerift}); every
 * install function of this module calls it first.
 * @throws Error naming the first member that is not as expected
 */
export function assertWerift(): void {
  if (checked === undefined) {
    try {
      checkWerift(loadedWerift());
      checked = null;
    } catch (e) {
      checked = e instanceof Error ? e : new Error(String(e));
    }
  }
  if (checked !== null) throw checked;
}

type DtlsProto = Record<PropertyKey, unknown> & {
  updateSrtpSession(this: werift.RTCDtlsTransport): void;
  stop(this: werift.RTCDtlsTransport): Promise<void>;
  startSrtp(this: werift.RTCDtlsTransport): void;
  start(this: werift.RTCDtlsTransport): Promise<void>;
};

const dtlsProto = (): DtlsProto =>
  werift.RTCDtlsTransport.prototype as unknown as DtlsProto;

/** The fast path's replacements, given by `fast/werift_seam.ts`. */
export interface SrtpAndUdp {
  /** Replaces `updateSrtpSession`: builds the transport's SRTP contexts. */
  updateSrtpSession(this: werift.RTCDtlsTransport): void;
  /** Runs before werift's `stop`: frees them. */
  beforeStop(this: werift.RTCDtlsTransport): void;
  /** Replaces `UdpTransport.init`; `original` is werift's. */
  init(
    type: string,
    options: unknown,
    original: (type: string, options: unknown) => Promise<unknown>,
  ): Promise<unknown>;
}

/**
 * Installs the fast path's SRTP and UDP members; returns the function that
 * puts werift's back.
 */
export function replaceSrtpAndUdp(impl: SrtpAndUdp): () => void {
  assertWerift();
  const proto = dtlsProto();
  const originalUpdate = proto.updateSrtpSession;
  const originalStop = proto.stop;
  const statics = werift.UdpTransport as unknown as {
    init: (type: string, options?: unknown) => Promise<unknown>;
  };
  const originalInit = statics.init;
  proto.updateSrtpSession = impl.updateSrtpSession;
  proto.stop = function (this: werift.RTCDtlsTransport): Promise<void> {
    impl.beforeStop.call(this);
    return originalStop.call(this);
  };
  const original = (type: string, options: unknown) =>
    originalInit.call(werift.UdpTransport, type, options);
  statics.init = (type, options) => impl.init(type, options ?? {}, original);
  return () => {
    proto.updateSrtpSession = originalUpdate;
    proto.stop = originalStop;
    statics.init = originalInit;
  };
}

/**
 * Replaces `RTCDtlsTransport.prototype.startSrtp` by werift's steps (mark
 * started, build the SRTP sessions) followed by `fast/raw_rtp.ts`'s receive
 * path subscribed to the ICE connection's data; returns the function that
 * puts werift's back.
 */
export function installRawPath(): () => void {
  assertWerift();
  const proto = dtlsProto();
  const original = proto.startSrtp;
  proto.startSrtp = function (this: werift.RTCDtlsTransport): void {
    const t = this as unknown as {
      srtpStarted: boolean;
      updateSrtpSession(): void;
      iceTransport: {
        connection: {
          onData: { subscribe(f: (d: Buffer) => void): unknown };
          protocols: {
            transport?: { [COPYING_SEND]?: boolean; [MEDIA_SINK]?: MediaSink };
          }[];
        };
      };
    };
    if (t.srtpStarted) return;
    t.srtpStarted = true;
    t.updateSrtpSession();
    const connection = t.iceTransport.connection;
    // Relayed and werift's own sockets: through werift's ICE layer.
    connection.onData.subscribe((data) => receiveSrtp(this, data));
    // The fast path's sockets of host candidates hand media straight to it.
    for (const protocol of connection.protocols) {
      const socket = protocol.transport;
      if (
        protocol instanceof werift.StunProtocol &&
        socket?.[COPYING_SEND] === true
      ) {
        socket[MEDIA_SINK] = sinkFor(this, protocol);
      }
    }
  };
  return () => {
    proto.startSrtp = original;
  };
}

const DTLS_GUARD = Symbol.for("nereid.dtlsRetransmission");

/**
 * Guards each DTLS transport's handshake socket (`local/
 * dtls_retransmission.ts`) as soon as werift's `start()` has made it, before
 * any datagram reached it. Process-wide and idempotent.
 */
export function installDtlsRetransmission(): void {
  assertWerift();
  const proto = dtlsProto();
  if (proto[DTLS_GUARD]) return;
  proto[DTLS_GUARD] = true;
  const start = proto.start;
  // werift's start() creates its DTLS socket before its first await.
  proto.start = function (this: werift.RTCDtlsTransport): Promise<void> {
    const started = start.call(this);
    const socket = (this as unknown as { dtls?: unknown }).dtls;
    if (socket !== undefined) guardDtlsSocket(this, socket);
    return started;
  };
}

const NO_DEFAULT_STUN = Symbol.for("nereid.noDefaultStunServer");

interface ConnectionInternals {
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
  assertWerift();
  const proto = werift.Connection.prototype as unknown as
    & ConnectionInternals
    & Record<PropertyKey, unknown>;
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
  assertWerift();
  const internals = receiver as unknown as ReceiverInternals;
  internals.nack.addPacket = noop;
}

/**
 * Turns off werift's receiver reports on a receiver.
 *
 * werift 0.24.4 (`media/rtpReceiver.ts` `runRtcp`) starts a report loop on
 * the first packet it routes, every 0.5–1.5 s, from statistics of the
 * packets *it* saw; packets taken by the raw RTP interceptor never reach it. The media
 * node sends one Receiver Report a second from its own caches instead: one
 * source of reports, not two that disagree.
 */
export function disableReceiverReports(receiver: RTCRtpReceiver): void {
  assertWerift();
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
  assertWerift();
  const original = sender.handleRtcpPacket.bind(sender);
  sender.handleRtcpPacket = (packet: RtcpPacket) => {
    if (!handle(packet)) original(packet);
  };
}

function noop(): void {}
