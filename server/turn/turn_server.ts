/**
 * The TURN server's logic (RFC 8656, UDP relays), independent of how bytes
 * arrive: transports (`turn_listeners.ts`) hand it STUN messages and
 * ChannelData with the {@link ClientLink} they came from.
 *
 * Relayed addresses are IPv4 unless the client asks otherwise: IPv6 with
 * REQUESTED-ADDRESS-FAMILY, both with ADDITIONAL-ADDRESS-FAMILY (a dual
 * allocation, RFC 8656 §7.2), and only when the server has an IPv6 address
 * to relay from (`relayAddress6`): otherwise 440, or for a dual allocation
 * an IPv4 relay and an ADDRESS-ERROR-CODE saying why there is no IPv6 one.
 * A peer of a family the allocation has no relay for gets 443.
 *
 * Safe by default:
 * - peers are only those `allowPeer` accepts (Nereid: its own media
 *   addresses, never its TURN ports), and never the allocation's own relay
 *   port: 403 otherwise. Another allocation's relay is a peer like any
 *   media port (a relayed client talking to a relayed server or client, as
 *   `/relay-test` and `-relay-only` do); it cannot loop, since a relay can
 *   never reach the TURN ports and so can never be a client itself;
 * - allocations are bounded per username, per client IP and in total
 *   (486/508), their lifetime at `maxLifetimeSeconds`, their bytes per
 *   second, their permissions and channels;
 * - malformed input is dropped; an unauthenticated request is answered
 *   only with a small message (a 401 or 438 challenge, or an error no longer
 *   than the request), at most `challengesPerSecond` of them per second.
 *
 * @module
 */

import { logText } from "../log_text.ts";
import { RateLimiter } from "../signalling/rate_limiter.ts";
import { Allocation, type ClientLink } from "./allocation.ts";
import {
  channelOf,
  channelPayload,
  MAX_CHANNEL,
  MIN_CHANNEL,
} from "./channel_data.ts";
import { Nonces } from "./nonces.ts";
import type { RelayFactory, RelaySocket } from "./relay_socket.ts";
import {
  Attr,
  ErrorCode,
  MessageClass,
  Method,
  PROTOCOL_UDP,
} from "./stun_constants.ts";
import { decodeAddress, decodeStun, type StunMessage } from "./stun_message.ts";
import { StunWriter } from "./stun_writer.ts";
import { authenticate } from "./turn_auth.ts";
import { ipFamily, type TransportAddress } from "./ip_address.ts";

/** Bounds of the server; every one is per process. */
export interface TurnLimits {
  /** Longest allocation lifetime granted (RFC 8656 §7.2 suggests 3600). */
  maxLifetimeSeconds: number;
  /** Lifetime when none, or a shorter one, is asked for (RFC 8656: 600). */
  defaultLifetimeSeconds: number;
  /** Allocations per username (one user's peer connections × transports). */
  allocationsPerUser: number;
  /** Allocations per client IP (many users may share an office NAT). */
  allocationsPerAddress: number;
  /** Allocations in total (each holds a UDP socket, a dual one two). */
  allocations: number;
  /** Bytes per second per allocation, both directions together. */
  bytesPerSecond: number;
  permissionsPerAllocation: number;
  channelsPerAllocation: number;
  /** After this, a nonce is stale (438). */
  nonceLifetimeMs: number;
  /** Unauthenticated answers (challenges, Binding, errors) per second. */
  challengesPerSecond: number;
}

/** The defaults: a few hundred users with cameras, 40 Mbit/s each way. */
export const DEFAULT_TURN_LIMITS: TurnLimits = {
  maxLifetimeSeconds: 3600,
  defaultLifetimeSeconds: 600,
  allocationsPerUser: 128,
  allocationsPerAddress: 512,
  allocations: 2048,
  bytesPerSecond: 10_000_000,
  permissionsPerAllocation: 64,
  channelsPerAllocation: 64,
  nonceLifetimeMs: 600_000,
  challengesPerSecond: 5000,
};

/** Options of {@link TurnServer}. */
export interface TurnServerOptions {
  /** The shared secret of REST credentials. */
  secret: string;
  /** Default "nereid". */
  realm?: string;
  /** The IPv4 address that peers see: relayed addresses are it and a port. */
  relayAddress: string;
  /** The IPv6 address that peers see; without it, no IPv6 relays (440). */
  relayAddress6?: string;
  /**
   * The advertised address when it is a NAT's, and the local address it
   * stands for: relays reach the server there (no NAT hairpin needed).
   */
  alias?: { advertised: string; local: string };
  openRelay: RelayFactory;
  /** Whether a peer may be reached (port null: any port of this IP). */
  allowPeer: (address: string, port: number | null) => boolean;
  /**
   * Users exempt from the per-user and per-address bounds (still within
   * the total): the server's own connections under `-relay-only`, which all
   * come from the server's address. None by default.
   */
  unbounded?: (username: string) => boolean;
  limits?: Partial<TurnLimits>;
  now?: () => number;
  log?: (message: string) => void;
}

type Handler = (
  m: StunMessage,
  link: ClientLink,
  auth: { username: string; key: Uint8Array },
) => void;

/** A TURN server's state and request handling. */
export class TurnServer {
  readonly realm: string;
  readonly limits: TurnLimits;
  readonly #secret: string;
  readonly #relayAddresses: { 4: string; 6: string | undefined };
  readonly #alias: { advertised: string; local: string } | undefined;
  readonly #openRelay: RelayFactory;
  readonly #allowPeer: (address: string, port: number | null) => boolean;
  readonly #unbounded: (username: string) => boolean;
  readonly #now: () => number;
  readonly #log: (message: string) => void;
  readonly #nonces: Nonces;
  readonly #challenges: RateLimiter;
  readonly #allocations = new Map<string, Allocation>();
  readonly #pending = new Map<string, { cancelled: boolean }>();
  readonly #perUser = new Map<string, number>();
  readonly #perAddress = new Map<string, number>();
  readonly #errorsSent = new Map<number, number>();
  #closed = false;

  constructor(options: TurnServerOptions) {
    this.realm = options.realm ?? "nereid";
    this.limits = { ...DEFAULT_TURN_LIMITS, ...options.limits };
    this.#secret = options.secret;
    this.#relayAddresses = {
      4: options.relayAddress,
      6: options.relayAddress6,
    };
    this.#alias = options.alias;
    this.#openRelay = options.openRelay;
    this.#allowPeer = options.allowPeer;
    this.#unbounded = options.unbounded ?? (() => false);
    this.#now = options.now ?? (() => Date.now());
    this.#log = options.log ?? ((m) => console.log(m));
    this.#nonces = new Nonces({ lifetimeMs: this.limits.nonceLifetimeMs });
    const rate = this.limits.challengesPerSecond;
    this.#challenges = new RateLimiter(
      { capacity: rate, perSecond: rate },
      this.#now(),
    );
  }

  /** Live allocations (and ones being opened). */
  get allocationCount(): number {
    return this.#allocations.size + this.#pending.size;
  }

  /** Error responses sent, by code (for statistics and tests). */
  get errorsSent(): ReadonlyMap<number, number> {
    return this.#errorsSent;
  }

  /** Every live allocation (statistics, tests). */
  allocations(): IterableIterator<Allocation> {
    return this.#allocations.values();
  }

  /** The allocation on a 5-tuple, if any. */
  allocation(linkKey: string): Allocation | undefined {
    return this.#allocations.get(linkKey);
  }

  /** A ChannelData message from the client on `linkKey`; drops junk. */
  channelData(linkKey: string, data: Uint8Array): void {
    const a = this.#allocations.get(linkKey);
    const channel = channelOf(data);
    if (a === undefined || channel < 0) return;
    a.sendOnChannel(channel, channelPayload(data));
  }

  /** A STUN message from a client; never throws for what it carries. */
  stun(data: Uint8Array, link: ClientLink): void {
    if (this.#closed) return;
    const decoded = decodeStun(data);
    if (!decoded.ok) return;
    const m = decoded.message;
    if (m.cls === MessageClass.indication) {
      if (m.method === Method.send) this.#send(m, link);
      return;
    }
    if (m.cls !== MessageClass.request) return;
    if (m.method === Method.binding) {
      if (!this.#challenges.take(this.#now())) return;
      this.#reply(link, m, (w) =>
        w.xorAddress(Attr.xorMappedAddress, {
          family: link.address.includes(":") ? 6 : 4,
          address: link.address,
          port: link.port,
        }));
      return;
    }
    const handler = this.#handlers[m.method];
    if (handler === undefined) {
      this.#fail(link, m, ErrorCode.badRequest);
      return;
    }
    const now = this.#now();
    const existing = this.#allocations.get(link.key);
    const auth = authenticate(m, {
      realm: this.realm,
      secret: this.#secret,
      nonces: this.#nonces,
      ip: link.address,
      now,
      known: (u) => existing?.username === u ? existing.key : undefined,
    });
    if (!auth.ok) {
      this.#fail(link, m, auth.error, { challenge: auth.challenge });
      return;
    }
    const unknown = m.unknownRequired();
    if (unknown.length > 0) {
      this.#reply(
        link,
        m,
        (w) =>
          w.errorCode(ErrorCode.unknownAttribute).unknownAttributes(unknown),
        { key: auth.key, error: ErrorCode.unknownAttribute },
      );
      return;
    }
    if (m.method !== Method.allocate) {
      if (existing === undefined) {
        return this.#error(link, m, auth.key, ErrorCode.allocationMismatch);
      }
      if (existing.username !== auth.username) {
        return this.#error(link, m, auth.key, ErrorCode.wrongCredentials);
      }
    }
    handler(m, link, auth);
  }

  /** The client on `linkKey` is gone (its TCP connection closed). */
  linkClosed(linkKey: string): void {
    const p = this.#pending.get(linkKey);
    if (p !== undefined) p.cancelled = true;
    const a = this.#allocations.get(linkKey);
    if (a !== undefined) this.#delete(a, "connection closed");
  }

  /** Deletes expired allocations, permissions and channels. */
  expire(now: number): void {
    for (const a of [...this.#allocations.values()]) {
      if (a.expires <= now) this.#delete(a, "expired");
      else a.sweep(now);
    }
  }

  /** Closes every relay. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const p of this.#pending.values()) p.cancelled = true;
    const all = [...this.#allocations.values()];
    for (const a of all) this.#delete(a, "server closing");
    await Promise.all(
      all.flatMap((a) =>
        [...a.relays.values()].map((r) => r.close().catch(() => {}))
      ),
    );
  }

  readonly #handlers: Partial<Record<number, Handler>> = {
    [Method.allocate]: (m, link, auth) => this.#allocate(m, link, auth),
    [Method.refresh]: (m, link, auth) => {
      const a = this.#allocations.get(link.key)!;
      // RFC 8656 §7.3: a family the allocation lacks is a mismatch.
      const family = familyAttribute(m.get(Attr.requestedAddressFamily));
      if (family === "invalid") {
        return this.#error(link, m, auth.key, ErrorCode.badRequest);
      }
      if (family !== undefined && !a.relaysFamily(family)) {
        return this.#error(
          link,
          m,
          auth.key,
          ErrorCode.peerAddressFamilyMismatch,
        );
      }
      const asked = m.u32(Attr.lifetime);
      if (asked === 0) {
        this.#delete(a, "refreshed to 0");
        this.#reply(link, m, (w) => w.u32(Attr.lifetime, 0), { key: auth.key });
        return;
      }
      const seconds = this.#lifetime(asked);
      a.refresh(this.#now() + seconds * 1000);
      this.#reply(link, m, (w) => w.u32(Attr.lifetime, seconds), {
        key: auth.key,
      });
    },
    [Method.createPermission]: (m, link, auth) => {
      const a = this.#allocations.get(link.key)!;
      const peers = m.all(Attr.xorPeerAddress).map((v) => this.#peer(m, v));
      if (peers.length === 0 || peers.some((p) => p === undefined)) {
        return this.#error(link, m, auth.key, ErrorCode.badRequest);
      }
      for (const p of peers) {
        if (!a.relaysFamily(p!.family)) {
          return this.#error(
            link,
            m,
            auth.key,
            ErrorCode.peerAddressFamilyMismatch,
          );
        }
        if (!this.#allowPeer(p!.address, null)) {
          return this.#error(link, m, auth.key, ErrorCode.forbidden);
        }
      }
      const now = this.#now();
      a.sweep(now);
      const fresh = new Set(peers.map((p) => p!.address));
      const added = [...fresh].filter((ip) => !a.permits(ip, now)).length;
      if (a.permissionCount + added > this.limits.permissionsPerAllocation) {
        return this.#error(link, m, auth.key, 508);
      }
      for (const ip of fresh) a.permit(ip, now);
      this.#reply(link, m, () => {}, { key: auth.key });
    },
    [Method.channelBind]: (m, link, auth) => {
      const a = this.#allocations.get(link.key)!;
      const number = m.get(Attr.channelNumber);
      const v = m.get(Attr.xorPeerAddress);
      const peer = v === undefined ? undefined : this.#peer(m, v);
      const channel = number?.length === 4
        ? (number[0]! << 8) | number[1]!
        : -1;
      if (
        peer === undefined || channel < MIN_CHANNEL || channel > MAX_CHANNEL
      ) {
        return this.#error(link, m, auth.key, ErrorCode.badRequest);
      }
      if (!a.relaysFamily(peer.family)) {
        return this.#error(
          link,
          m,
          auth.key,
          ErrorCode.peerAddressFamilyMismatch,
        );
      }
      if (!this.#peerAllowed(a, peer.address, peer.port)) {
        return this.#error(link, m, auth.key, ErrorCode.forbidden);
      }
      if (!a.canBind(channel, peer.address, peer.port)) {
        return this.#error(link, m, auth.key, ErrorCode.badRequest);
      }
      const now = this.#now();
      a.sweep(now);
      if (
        !a.hasChannel(channel) &&
        a.channelCount >= this.limits.channelsPerAllocation
      ) {
        return this.#error(link, m, auth.key, 508);
      }
      if (
        !a.permits(peer.address, now) &&
        a.permissionCount >= this.limits.permissionsPerAllocation
      ) {
        return this.#error(link, m, auth.key, 508);
      }
      a.bind(channel, peer.address, peer.port, now);
      this.#reply(link, m, () => {}, { key: auth.key });
    },
  };

  #allocate(
    m: StunMessage,
    link: ClientLink,
    auth: { username: string; key: Uint8Array },
  ): void {
    const existing = this.#allocations.get(link.key);
    if (existing !== undefined) {
      // A retransmission gets the same answer (RFC 8656 §7.2).
      if (existing.createdBy === hex(m.transactionId)) {
        link.send(existing.response);
        return;
      }
      return this.#error(link, m, auth.key, ErrorCode.allocationMismatch);
    }
    if (this.#pending.has(link.key)) return; // still opening: it will answer
    const transport = m.get(Attr.requestedTransport);
    if (transport === undefined || transport.length !== 4) {
      return this.#error(link, m, auth.key, ErrorCode.badRequest);
    }
    if (transport[0] !== PROTOCOL_UDP) {
      return this.#error(link, m, auth.key, ErrorCode.unsupportedTransport);
    }
    if (m.get(Attr.dontFragment) !== undefined) {
      // RFC 8656 §7.2: without DF support it is an unknown attribute.
      this.#reply(
        link,
        m,
        (w) =>
          w.errorCode(ErrorCode.unknownAttribute).unknownAttributes([
            Attr.dontFragment,
          ]),
        { key: auth.key, error: ErrorCode.unknownAttribute },
      );
      return;
    }
    const evenPort = m.get(Attr.evenPort);
    const token = m.get(Attr.reservationToken);
    const requested = m.get(Attr.requestedAddressFamily);
    // coturn's clients send the draft's code point (see stun_constants.ts).
    const draft = m.get(Attr.additionalAddressFamily) === undefined;
    const additional = m.get(
      draft ? Attr.additionalAddressFamilyDraft : Attr.additionalAddressFamily,
    );
    if (
      token !== undefined &&
      (evenPort !== undefined || requested !== undefined ||
        additional !== undefined)
    ) {
      return this.#error(link, m, auth.key, ErrorCode.badRequest);
    }
    // No port reservations here: a token cannot be honoured, nor R bits.
    if (
      token !== undefined || (evenPort !== undefined && evenPort[0]! & 0x80)
    ) {
      return this.#error(link, m, auth.key, ErrorCode.insufficientCapacity);
    }
    const families = this.#families(requested, additional);
    if (typeof families === "number") {
      return this.#error(link, m, auth.key, families);
    }
    const user = this.#perUser.get(auth.username) ?? 0;
    const address = this.#perAddress.get(link.address) ?? 0;
    if (
      !this.#unbounded(auth.username) &&
      (user >= this.limits.allocationsPerUser ||
        address >= this.limits.allocationsPerAddress)
    ) {
      return this.#error(link, m, auth.key, ErrorCode.allocationQuotaReached);
    }
    if (this.allocationCount >= this.limits.allocations) {
      return this.#error(link, m, auth.key, ErrorCode.insufficientCapacity);
    }
    const seconds = this.#lifetime(m.u32(Attr.lifetime));
    const request = {
      tid: m.transactionId.slice(),
      fingerprint: m.hasFingerprint,
    };
    const pending = { cancelled: false };
    this.#pending.set(link.key, pending);
    bump(this.#perUser, auth.username, 1);
    bump(this.#perAddress, link.address, 1);
    this.#open({
      link,
      auth,
      seconds,
      request,
      pending,
      even: !!evenPort,
      addressError: draft ? Attr.addressErrorCodeDraft : Attr.addressErrorCode,
      ...families,
    });
  }

  async #open(
    o: {
      link: ClientLink;
      auth: { username: string; key: Uint8Array };
      seconds: number;
      request: { tid: Uint8Array; fingerprint: boolean };
      pending: { cancelled: boolean };
      even: boolean;
      /** The families to relay, the first one required. */
      families: readonly (4 | 6)[];
      /** Why a family of a dual allocation is not relayed. */
      refused?: { family: 4 | 6; code: ErrorCode };
      /** The ADDRESS-ERROR-CODE type to answer with (RFC's or draft's). */
      addressError: number;
    },
  ): Promise<void> {
    const { link, auth } = o;
    let allocation: Allocation | null = null;
    const forward = (data: Uint8Array, address: string, port: number) =>
      allocation?.fromPeer(data, address, port);
    const relays = new Map<4 | 6, RelaySocket>();
    let refused = o.refused;
    try {
      for (const family of o.families) {
        try {
          relays.set(
            family,
            await this.#openRelay({ even: o.even, family, onMessage: forward }),
          );
        } catch (e) {
          if (relays.size === 0) throw e;
          // The additional family of a dual allocation (RFC 8656 §7.2).
          this.#log(`turn: cannot open an IPv${family} relay: ${e}`);
          refused = { family, code: ErrorCode.insufficientCapacity };
        }
      }
    } catch (e) {
      this.#pending.delete(link.key);
      bump(this.#perUser, auth.username, -1);
      bump(this.#perAddress, link.address, -1);
      this.#log(`turn: cannot open a relay: ${e}`);
      this.#counted(ErrorCode.insufficientCapacity);
      const w = new StunWriter(
        Method.allocate,
        MessageClass.error,
        o.request.tid,
      )
        .errorCode(ErrorCode.insufficientCapacity);
      link.send(
        w.finish({ key: auth.key, fingerprint: o.request.fingerprint }),
      );
      return;
    }
    this.#pending.delete(link.key);
    if (o.pending.cancelled) {
      bump(this.#perUser, auth.username, -1);
      bump(this.#perAddress, link.address, -1);
      await Promise.all([...relays.values()].map((r) => r.close()));
      return;
    }
    const w = new StunWriter(
      Method.allocate,
      MessageClass.success,
      o.request.tid,
    );
    for (const [family, relay] of relays) {
      w.xorAddress(Attr.xorRelayedAddress, {
        family,
        address: this.#relayAddresses[family]!,
        port: relay.port,
      });
    }
    if (refused !== undefined) {
      w.addressErrorCode(refused.family, refused.code, o.addressError);
    }
    const response = w
      .u32(Attr.lifetime, o.seconds)
      .xorAddress(Attr.xorMappedAddress, {
        family: link.address.includes(":") ? 6 : 4,
        address: link.address,
        port: link.port,
      })
      .finish({ key: auth.key, fingerprint: o.request.fingerprint });
    allocation = new Allocation({
      link,
      username: auth.username,
      key: auth.key,
      relays,
      createdBy: hex(o.request.tid),
      response,
      expires: this.#now() + o.seconds * 1000,
      bytesPerSecond: this.limits.bytesPerSecond,
      now: this.#now,
      ...(this.#alias ? { alias: this.#alias } : {}),
    });
    this.#allocations.set(link.key, allocation);
    this.#log(
      `turn: allocated relay ${
        portsOf(allocation)
      } for ${link.transport} ${link.address}:${link.port} user ${
        logText(auth.username, 64)
      } for ${o.seconds} s`,
    );
    link.send(response);
  }

  #delete(a: Allocation, reason: string): void {
    if (this.#allocations.get(a.link.key) !== a) return;
    this.#allocations.delete(a.link.key);
    bump(this.#perUser, a.username, -1);
    bump(this.#perAddress, a.link.address, -1);
    const { relayed, dropped } = a.stats;
    this.#log(
      `turn: released relay ${
        portsOf(a)
      } of ${a.link.transport} ${a.link.address}:${a.link.port} (${reason}; ${relayed} packets relayed, ${dropped} dropped)`,
    );
    for (const r of a.relays.values()) {
      r.close().catch((e) => this.#log(`turn: closing a relay: ${e}`));
    }
  }

  #send(m: StunMessage, link: ClientLink): void {
    const a = this.#allocations.get(link.key);
    if (a === undefined || m.unknownRequired().length > 0) return;
    const v = m.get(Attr.xorPeerAddress);
    const data = m.get(Attr.data);
    const peer = v === undefined ? undefined : this.#peer(m, v);
    if (peer === undefined || data === undefined) return;
    if (!this.#peerAllowed(a, peer.address, peer.port)) return;
    a.sendToPeer(data, peer.address, peer.port);
  }

  #peer(m: StunMessage, value: Uint8Array): TransportAddress | undefined {
    return decodeAddress(value, m.transactionId);
  }

  #peerAllowed(a: Allocation, address: string, port: number): boolean {
    const family = ipFamily(address);
    return port > 0 && !a.ownsPort(port) && family !== null &&
      a.relaysFamily(family) && this.#allowPeer(address, port);
  }

  // The families an Allocate asks for (RFC 8656 §7.2), or the error code.
  #families(
    requested: Uint8Array | undefined,
    additional: Uint8Array | undefined,
  ):
    | { families: readonly (4 | 6)[]; refused?: { family: 6; code: 440 } }
    | ErrorCode {
    if (requested !== undefined && additional !== undefined) {
      return ErrorCode.badRequest;
    }
    const has6 = this.#relayAddresses[6] !== undefined;
    if (additional !== undefined) {
      // Only IPv6 can be additional: IPv4 is always the first.
      if (familyAttribute(additional) !== 6) return ErrorCode.badRequest;
      return has6 ? { families: [4, 6] } : {
        families: [4],
        refused: { family: 6, code: ErrorCode.addressFamilyNotSupported },
      };
    }
    const family = familyAttribute(requested) ?? 4;
    if (family === "invalid") return ErrorCode.badRequest;
    if (family === 6 && !has6) return ErrorCode.addressFamilyNotSupported;
    return { families: [family] };
  }

  #lifetime(asked: number | undefined): number {
    const { maxLifetimeSeconds: max, defaultLifetimeSeconds: def } =
      this.limits;
    const wanted = asked === undefined ? def : Math.min(asked, max);
    return Math.min(Math.max(wanted, def), max);
  }

  // An error before authentication: only challenges (rate-limited) or
  // answers no longer than the request.
  #fail(
    link: ClientLink,
    m: StunMessage,
    code: ErrorCode,
    options: { challenge?: boolean } = {},
  ): void {
    if (!this.#challenges.take(this.#now())) return;
    const w = new StunWriter(m.method, MessageClass.error, m.transactionId)
      .errorCode(code);
    if (options.challenge) {
      w.text(Attr.realm, this.realm)
        .text(Attr.nonce, this.#nonces.issue(link.address, this.#now()));
    }
    const bytes = w.finish({ fingerprint: m.hasFingerprint });
    if (options.challenge || bytes.length <= m.bytes.length) {
      this.#counted(code);
      link.send(bytes);
    }
  }

  #counted(code: ErrorCode): void {
    this.#errorsSent.set(code, (this.#errorsSent.get(code) ?? 0) + 1);
  }

  #error(
    link: ClientLink,
    m: StunMessage,
    key: Uint8Array,
    code: ErrorCode,
  ): void {
    this.#reply(link, m, (w) => w.errorCode(code), { key, error: code });
  }

  #reply(
    link: ClientLink,
    m: StunMessage,
    attrs: (w: StunWriter) => void,
    options: { key?: Uint8Array; error?: ErrorCode } = {},
  ): void {
    const cls = options.error ? MessageClass.error : MessageClass.success;
    if (options.error) this.#counted(options.error);
    const w = new StunWriter(m.method, cls, m.transactionId);
    attrs(w);
    link.send(
      w.finish({
        ...(options.key ? { key: options.key } : {}),
        fingerprint: m.hasFingerprint,
      }),
    );
  }
}

/** A REQUESTED- or ADDITIONAL-ADDRESS-FAMILY value (RFC 8656 §18.6). */
function familyAttribute(
  value: Uint8Array | undefined,
): 4 | 6 | "invalid" | undefined {
  if (value === undefined) return undefined;
  if (value.length !== 4) return "invalid";
  return value[0] === 1 ? 4 : value[0] === 2 ? 6 : "invalid";
}

function portsOf(a: Allocation): string {
  return [...a.relays].map(([f, r]) => `IPv${f} port ${r.port}`).join(", ");
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}
