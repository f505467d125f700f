/**
 * Nereid's per-packet fast path for werift 0.24.4: what it puts in place of
 * werift's members (the replacing itself, and the check that werift is the
 * expected one, are `../werift_patches.ts`'s):
 *
 * 1. `RTCDtlsTransport.prototype.updateSrtpSession` — werift's version builds
 *    `SrtpSession`/`SrtcpSession` objects whose ciphers call
 *    `createCipheriv`/`createHmac` for every packet (~30–75 µs under Deno).
 *    Ours builds objects with the same four methods its callers use
 *    (`srtp.encrypt(payload, header)`, `srtp.decrypt(buf)`,
 *    `srtcp.encrypt(buf)`, `srtcp.decrypt(buf)`) over {@link SrtpContext},
 *    whose crypto contexts are created once per session. It reads the same
 *    DTLS-exported keys (`dtls.extractSessionKeys`) and profile.
 * 2. The static `UdpTransport.init` — werift's version wraps a `node:dgram`
 *    socket (one system call and ~20 µs per datagram). Ours returns an object
 *    with the same members its callers use (`onData`, `send`, `address`,
 *    `host`, `port`, `closed`, `close`, `rinfo`, `socketType`, `type`) over a
 *    {@link UdpBatchSocket}: sends leave in one `sendmmsg` per event-loop turn
 *    and arrive through `recvmmsg` batches; the datagrams that follow a DTLS
 *    one wait for the next macrotask, so that werift has started SRTP
 *    before the peer's first SRTP packets reach it. IPv6 sockets are ours too, on
 *    `node:dgram` (IPV6_V6ONLY, so they take no IPv4 port). Under a port
 *    range every socket, IPv4 and IPv6, is bound by {@link PortRange}: the
 *    next port that binds, never werift's probe-then-bind (`findPort`), whose
 *    lost races threw EADDRINUSE from a socket with no error handler and
 *    ended the process. A socket that cannot be bound fails only its
 *    candidate (werift skips it); {@link reportBindFailures} tells the
 *    connection that was gathering.
 *
 * 3. `RTCDtlsTransport.prototype.startSrtp` — the same receive path with a
 *    interceptor for raw RTP in front of werift's parsing (`raw_rtp.ts`), and
 *    `RTCDtlsTransport.prototype.stop`, which now also frees the transport's
 *    SRTP contexts (OpenSSL memory outside the JS heap).
 *
 * Errors keep werift's contract: a packet that fails authentication, is
 * replayed or is malformed throws werift's `SrtpAuthenticationError`, which
 * werift catches and drops.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { Buffer } from "node:buffer";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { RTCDtlsTransport, SrtpAuthenticationError } from "werift";
import type { RtpHeader } from "werift";
import { OpenSsl } from "./openssl.ts";
import { SrtpContext, SrtpError } from "./srtp_context.ts";
import type { SrtpProfile } from "./srtp_context.ts";
import { UdpBatchSocket } from "./udp_batch.ts";
import { PortRange } from "./port_range.ts";
import {
  COPYING_SEND,
  MEDIA_SINK,
  type MediaSink,
  SRTP_STATE,
  type SrtpState,
} from "./raw_rtp.ts";
import { installRawPath, replaceSrtpAndUdp } from "../werift_patches.ts";

/** Options of {@link installFastPath}. */
export interface FastPathOptions {
  /** "node" forces `node:crypto`; "auto" (default) uses OpenSSL when it loads. */
  crypto?: "auto" | "node";
  /** "dgram" forces `node:dgram`; "auto" (default) uses sendmmsg when libc loads. */
  udp?: "auto" | "dgram";
  /** SRTP replay window, packets (default 512, as Galène). */
  replayWindow?: number;
}

/** What {@link installFastPath} installed, and how to take it out. */
export interface FastPathHandle {
  uninstall(): void;
  crypto: "openssl" | "node";
  udp: "sendmmsg" | "dgram";
}

const INSTALLED = Symbol.for("nereid.fastPath");

type Address = [string, number];
type SocketType = "udp4" | "udp6";
type InitOptions = {
  portRange?: [number, number];
  port?: number;
  interfaceAddresses?: { udp4?: string; udp6?: string };
};
type DtlsLike = {
  srtp: { srtpProfile?: number };
  extractSessionKeys(keyLength: number, saltLength: number): {
    localKey: Buffer;
    localSalt: Buffer;
    remoteKey: Buffer;
    remoteSalt: Buffer;
  };
};

// werift's profile numbers are the DTLS-SRTP registry values (RFC 5764 §4.1.2, RFC 7714 §14.2).
const PROFILES: Record<number, SrtpProfile> = {
  0x0001: "AES_CM_128_HMAC_SHA1_80",
  0x0002: "AES_CM_128_HMAC_SHA1_32",
  0x0007: "AEAD_AES_128_GCM",
};

/**
 * Replaces werift's per-packet SRTP and UDP paths (see the module comment).
 * Call once per process, before creating peer connections; uninstall only
 * after closing them.
 * @throws Error when the fast path is already installed
 */
export function installFastPath(options: FastPathOptions = {}): FastPathHandle {
  const dtlsProto = RTCDtlsTransport.prototype as unknown as Record<
    PropertyKey,
    unknown
  >;
  if (dtlsProto[INSTALLED]) {
    throw new Error(
      "Cannot install the werift fast path: it is already installed",
    );
  }
  const ssl = options.crypto === "node" ? null : OpenSsl.open();
  const udpKind = options.udp ?? "auto";
  const window = options.replayWindow ?? 512;
  // One cursor per family and range: see port_range.ts.
  const ranges = new Map<string, PortRange>();
  const rangeOf = (type: SocketType, [low, high]: [number, number]) => {
    const key = `${type} ${low}-${high}`;
    let range = ranges.get(key);
    if (range === undefined) {
      range = new PortRange(low, high);
      ranges.set(key, range);
    }
    return range;
  };

  const restore = replaceSrtpAndUdp({
    updateSrtpSession(this: RTCDtlsTransport): void {
      const dtls = (this as unknown as { dtls?: DtlsLike }).dtls;
      const profile = PROFILES[dtls?.srtp.srtpProfile ?? -1];
      if (dtls === undefined || profile === undefined) {
        throw new Error(
          `Cannot start SRTP: unsupported profile ${dtls?.srtp.srtpProfile}`,
        );
      }
      const k = dtls.extractSessionKeys(
        16,
        profile === "AEAD_AES_128_GCM" ? 12 : 14,
      );
      const opts = { profile, openssl: ssl, replayWindow: window };
      const self = this as unknown as {
        srtp: unknown;
        srtcp: unknown;
        [SRTP_STATE]?: SrtpState;
      };
      closeState(self[SRTP_STATE]); // a DTLS restart brings new keys
      const state: SrtpState = {
        local: SrtpContext.create(k.localKey, k.localSalt, opts),
        remote: SrtpContext.create(k.remoteKey, k.remoteSalt, opts),
        closed: false,
      };
      self[SRTP_STATE] = state;
      self.srtp = rtpAdapter(state);
      self.srtcp = rtcpAdapter(state);
    },
    beforeStop(this: RTCDtlsTransport): void {
      closeState(
        (this as unknown as { [SRTP_STATE]?: SrtpState })[SRTP_STATE],
      );
    },
    // Both udp choices replace init so that the socket buffers grow either
    // way, and so that no socket is bound by werift's findPort.
    async init(type, options, original) {
      if (type !== "udp4" && type !== "udp6") return original(type, options);
      const o = options as InitOptions;
      try {
        return await FastUdpTransport.open(type, {
          ...(o.port ? { port: o.port } : {}),
          ...(o.portRange && !o.port
            ? { range: rangeOf(type, o.portRange) }
            : {}),
          host: o.interfaceAddresses?.[type] ??
            (type === "udp6" ? "::" : "0.0.0.0"),
          kind: udpKind === "dgram" || type === "udp6" ? "dgram" : "auto",
        });
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        currentBindFailures().getStore()?.(error);
        throw error;
      }
    },
  });
  const uninstallRaw = installRawPath();
  dtlsProto[INSTALLED] = true;

  return {
    crypto: ssl === null ? "node" : "openssl",
    udp: udpKind === "dgram" ? "dgram" : "sendmmsg",
    uninstall(): void {
      restore();
      uninstallRaw();
      delete dtlsProto[INSTALLED];
      ssl?.close();
    },
  };
}

const BIND_FAILURES = Symbol.for("nereid.bindFailures");

// Shared on globalThis, like the fast path itself: two copies of this module
// must report to the same listeners.
function currentBindFailures(): AsyncLocalStorage<(error: Error) => void> {
  const g = globalThis as unknown as Record<
    symbol,
    AsyncLocalStorage<(error: Error) => void> | undefined
  >;
  return (g[BIND_FAILURES] ??= new AsyncLocalStorage());
}

/**
 * Runs `fn`, and reports to `onFailure` every UDP socket the fast path fails
 * to bind for werift meanwhile, from within `fn`'s asynchronous calls only
 * (werift binds while it gathers, inside `setLocalDescription`, and skips
 * the candidate of a socket that fails without a word).
 */
export function reportBindFailures<T>(
  onFailure: (error: Error) => void,
  fn: () => Promise<T>,
): Promise<T> {
  return currentBindFailures().run(onFailure, fn);
}

/** A hold on the process-wide fast path, from {@link acquireFastPath}. */
export interface FastPathLease {
  crypto: "openssl" | "node";
  udp: "sendmmsg" | "dgram";
  /** Idempotent; the last release uninstalls the fast path. */
  release(): void;
}

const SHARED = Symbol.for("nereid.fastPathShared");

/**
 * Installs the fast path for this process on the first call and counts the
 * holders, so that every media node of a process can ask for it; the options
 * of the first caller win. Uninstalling only changes what new peer
 * connections get: existing ones keep the path they started with.
 * @throws Error when {@link installFastPath} was called directly
 */
export function acquireFastPath(options: FastPathOptions = {}): FastPathLease {
  const proto = RTCDtlsTransport.prototype as unknown as Record<
    PropertyKey,
    { handle: FastPathHandle; holders: number } | undefined
  >;
  let shared = proto[SHARED];
  if (shared === undefined) {
    shared = { handle: installFastPath(options), holders: 0 };
    proto[SHARED] = shared;
  }
  shared.holders++;
  const entry = shared;
  let released = false;
  return {
    crypto: entry.handle.crypto,
    udp: entry.handle.udp,
    release(): void {
      if (released) return;
      released = true;
      if (--entry.holders > 0) return;
      entry.handle.uninstall();
      if (proto[SHARED] === entry) delete proto[SHARED];
    },
  };
}

function fail(code: number, what: string): never {
  const reason = code === SrtpError.replayed
    ? "replayed"
    : code === SrtpError.authFailed
    ? "forged"
    : "malformed";
  throw new SrtpAuthenticationError(
    `Failed to authenticate ${what} packet: ${reason}`,
  );
}

// Idempotent. Transports that were never stopped (a peer connection that
// was dropped without close()) keep their contexts until the process ends.
function closeState(state: SrtpState | undefined): void {
  if (state === undefined || state.closed) return;
  state.closed = true;
  state.local.close();
  state.remote.close();
}

function rtpAdapter(state: SrtpState) {
  const { local, remote } = state;
  return {
    encrypt(payload: Buffer, header: RtpHeader): Buffer {
      if (state.closed) fail(SrtpError.malformed, "outgoing RTP");
      const hdr = header.serialize(header.serializeSize);
      const out = Buffer.allocUnsafe(hdr.length + payload.length + 16);
      out.set(hdr);
      out.set(payload, hdr.length);
      const n = local.protectRtp(out, hdr.length + payload.length);
      if (n < 0) fail(n, "outgoing RTP");
      return out.subarray(0, n);
    },
    decrypt(data: Buffer): Buffer {
      if (state.closed) fail(SrtpError.malformed, "SRTP");
      const n = remote.unprotectRtp(data, data.length);
      if (n < 0) fail(n, "SRTP");
      return data.subarray(0, n);
    },
  };
}

function rtcpAdapter(state: SrtpState) {
  const { local, remote } = state;
  return {
    encrypt(rtcp: Buffer): Buffer {
      if (state.closed) fail(SrtpError.malformed, "outgoing RTCP");
      const out = Buffer.allocUnsafe(rtcp.length + 20);
      out.set(rtcp);
      const n = local.protectRtcp(out, rtcp.length);
      if (n < 0) fail(n, "outgoing RTCP");
      return out.subarray(0, n);
    },
    decrypt(data: Buffer): Buffer {
      if (state.closed) fail(SrtpError.malformed, "SRTCP");
      const n = remote.unprotectRtcp(data, data.length);
      if (n < 0) fail(n, "SRTCP");
      return data.subarray(0, n);
    },
  };
}

/** werift's `UdpTransport` surface over a {@link UdpBatchSocket}. */
class FastUdpTransport {
  readonly type = "udp";
  readonly socketType: SocketType;
  /** `send` copies the datagram before returning (raw_rtp.ts relies on it). */
  readonly [COPYING_SEND] = true;
  /** Takes SRTP and SRTCP before werift's ICE layer (raw_rtp.ts sets it). */
  [MEDIA_SINK]?: MediaSink;
  closed = false;
  onData: (data: Buffer, addr: Address) => void = () => {};
  #socket: UdpBatchSocket | null = null;
  #host: string;
  #last: Address = ["", 0];
  #literal = "";
  #views = false;
  /** Datagrams kept back after a DTLS one (see {@link #receive}), or null. */
  #held: Held[] | null = null;

  private constructor(type: SocketType, host: string) {
    this.socketType = type;
    this.#host = host;
  }

  /**
   * Binds on `host`: on `port`, on the next free port of `range`, or on any.
   * @throws Deno.errors.AddrInUse when the port, or every port of the range, is taken
   */
  static async open(
    type: SocketType,
    o: {
      host: string;
      port?: number;
      range?: PortRange;
      kind: "auto" | "dgram";
    },
  ): Promise<FastUdpTransport> {
    const t = new FastUdpTransport(type, o.host);
    const open = (port: number) =>
      UdpBatchSocket.open({
        address: o.host,
        port,
        kind: o.kind,
        onMessage: (data, address, p) => t.#receive(data, address, p),
      });
    t.#socket = o.range
      ? await o.range.bind(type === "udp6" ? "IPv6" : "IPv4", open)
      : await open(o.port ?? 0);
    t.#views = t.#socket.kind === "sendmmsg";
    return t;
  }

  /** The last sender, as werift's transport exposes it. */
  get rinfo(): { address: string; port: number } {
    return { address: this.#last[0], port: this.#last[1] };
  }

  get address(): { address: string; port: number; family: string } {
    const family = this.socketType === "udp6" ? "IPv6" : "IPv4";
    return { address: this.#host, port: this.port, family };
  }

  get host(): string {
    return this.#host;
  }

  get port(): number {
    return this.#socket?.port ?? 0;
  }

  send = (data: Buffer, addr?: Address): Promise<void> | undefined => {
    const to = addr ?? this.#last;
    if (this.closed || this.#socket === null) return undefined;
    // Checked once per destination, not per packet: media goes to one address.
    if (to[0] !== this.#literal) {
      const family = this.socketType === "udp6" ? 6 : 4;
      const literal = isIP(to[0]);
      if (literal === 0) {
        // A TURN server given by name: resolve it, off the media path.
        return lookup(to[0], family).then(({ address }) =>
          this.#socket?.send(data, to[1], address)
        );
      }
      if (literal !== family) return undefined; // unreachable from here
      this.#literal = to[0];
    }
    this.#socket.send(data, to[1], to[0]);
    return undefined;
  };

  close = async (): Promise<void> => {
    this.closed = true;
    await this.#socket?.close();
  };

  // werift starts SRTP a few promise reactions after the DTLS datagram that
  // completes the handshake, and drops SRTP that comes before. A batch from
  // recvmmsg is handed on in one go, so the peer's first SRTP packets, sent
  // right after its last flight, would arrive in that gap (a publisher's
  // first keyframe, the keyframe replayed to a new subscriber). The
  // datagrams after a DTLS one therefore wait for the next macrotask; DTLS
  // only flows during handshakes, so media never waits.
  #receive(data: Uint8Array, address: string, port: number): void {
    if (this.#held !== null) {
      if (this.#held.length < MAX_HELD) {
        // A copy: `data` may be a view into the receive arena.
        this.#held.push({ data: Buffer.from(data), address, port });
      }
      return;
    }
    this.#hand(this.#buffer(data), address, port);
  }

  #hand(data: Buffer, address: string, port: number): void {
    // One tuple per distinct sender, not per packet: werift only reads it.
    if (this.#last[0] !== address || this.#last[1] !== port) {
      this.#last = [address, port];
    }
    const b0 = data[0] ?? 0;
    const sink = this[MEDIA_SINK];
    if (sink !== undefined && b0 >= 128 && b0 <= 191) { // RFC 7983: SRTP/SRTCP
      sink(data);
      return;
    }
    this.onData(data, this.#last);
    if (b0 >= 20 && b0 <= 63 && this.#held === null) { // RFC 7983: DTLS
      this.#held = [];
      setTimeout(this.#release, 0);
    }
  }

  #release = (): void => {
    const held = this.#held ?? [];
    this.#held = null;
    for (let i = 0; i < held.length && !this.closed; i++) {
      const { data, address, port } = held[i]!;
      try {
        this.#hand(data, address, port);
      } catch (error) {
        console.error("UDP message handler failed:", error);
      }
      if (this.#held !== null) {
        // Another DTLS datagram: the rest waits again, in order.
        this.#held = [...held.slice(i + 1), ...this.#held];
        return;
      }
    }
  };

  // On the sendmmsg path `data` is a view into the socket's receive arena,
  // overwritten by the next batch. SRTP and SRTCP (RFC 7983: first byte
  // 128–191) are passed as a view, without a copy: their only reader is
  // raw_rtp.ts, which decrypts in place and copies before it hands a packet
  // to werift's parsers (whose RtpPacket payloads are subarrays werift's
  // tracks may keep). STUN, DTLS and TURN are copied: werift keeps STUN
  // messages and DTLS handshake fragments past this call. node:dgram gives a
  // fresh Buffer per datagram, so that path never copies.
  #buffer(data: Uint8Array): Buffer {
    const b0 = data[0] ?? 0;
    if (this.#views && (b0 < 128 || b0 > 191)) return Buffer.from(data);
    return Buffer.from(data.buffer, data.byteOffset, data.length);
  }
}

/** A datagram kept back by {@link FastUdpTransport}. */
interface Held {
  data: Buffer;
  address: string;
  port: number;
}

// Datagrams kept back after a DTLS one, at most (a receive batch is 32).
const MAX_HELD = 256;
