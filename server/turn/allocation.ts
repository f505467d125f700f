/**
 * One TURN allocation (RFC 8656 §2.2): a client's 5-tuple, its relayed
 * socket (or two, IPv4 and IPv6, for a dual allocation, §7.2), its
 * permissions (peer IPs, 5 minutes each, §9) and channels (peer
 * IP and port ↔ number, 10 minutes each, §12), its lifetime and a byte
 * budget shared by both directions. A peer is reached through the relay of
 * its family; a channel keeps the relay it was bound through.
 *
 * Behind a NAT the server's advertised address (the NAT's) is not its own:
 * with an `alias`, what a client sends to the advertised address goes to the
 * local one instead (the NAT need not hairpin), and what comes back from the
 * local one is reported as from the advertised one, whose permission the
 * client holds.
 *
 * The per-packet paths (`fromClient`, `fromPeer`) allocate nothing but a
 * Map key: ChannelData is written into a reused buffer and the sockets copy.
 *
 * @module
 */

import { RateLimiter } from "../signalling/rate_limiter.ts";
import { writeChannelData } from "./channel_data.ts";
import type { RelaySocket } from "./relay_socket.ts";
import { Attr, MessageClass, Method } from "./stun_constants.ts";
import { StunWriter } from "./stun_writer.ts";

/** Permission lifetime (RFC 8656 §9). */
export const PERMISSION_MS = 300_000;
/** Channel binding lifetime (RFC 8656 §12). */
export const CHANNEL_MS = 600_000;

/** How the server reaches a client: a UDP source or a TCP/TLS connection. */
export interface ClientLink {
  /** Identifies the 5-tuple. */
  readonly key: string;
  readonly transport: "udp" | "tcp" | "tls";
  readonly address: string;
  readonly port: number;
  /** True over TCP and TLS: ChannelData is padded to 4 bytes. */
  readonly stream: boolean;
  /** Sends one message; must copy `bytes` if it keeps them. */
  send(bytes: Uint8Array): void;
}

interface Channel {
  number: number;
  address: string;
  port: number;
  peerKey: string;
  relay: RelaySocket;
  /** Where datagrams go: `address`, or the local one it aliases. */
  target: string;
  expires: number;
}

/** An address's family, as cheap as the per-packet path needs. */
function familyOf(address: string): 4 | 6 {
  return address.includes(":") ? 6 : 4;
}

// ChannelData header + the largest UDP payload, padded.
const scratch = new Uint8Array(4 + 65536);

/** An allocation. */
export class Allocation {
  readonly link: ClientLink;
  readonly username: string;
  readonly key: Uint8Array;
  /** Its relayed sockets by family: one, or both for a dual allocation. */
  readonly relays: ReadonlyMap<4 | 6, RelaySocket>;
  /** The transaction that created it, for retransmissions (RFC 8656 §7.2). */
  readonly createdBy: string;
  /** The success response sent for it, resent on retransmission. */
  readonly response: Uint8Array;
  readonly #relay4: RelaySocket | undefined;
  readonly #relay6: RelaySocket | undefined;
  readonly #advertised: string;
  readonly #local: string;
  #expires: number;
  #permissions = new Map<string, number>();
  #channels = new Map<number, Channel>();
  #byPeer = new Map<string, Channel>();
  #budget: RateLimiter;
  #now: () => number;
  #dropped = 0;
  #relayed = 0;

  constructor(
    parts: {
      link: ClientLink;
      username: string;
      key: Uint8Array;
      relays: ReadonlyMap<4 | 6, RelaySocket>;
      createdBy: string;
      response: Uint8Array;
      expires: number;
      bytesPerSecond: number;
      now: () => number;
      /** The server's advertised address and the local one it stands for. */
      alias?: { advertised: string; local: string };
    },
  ) {
    this.link = parts.link;
    this.username = parts.username;
    this.key = parts.key;
    this.relays = parts.relays;
    this.#relay4 = parts.relays.get(4);
    this.#relay6 = parts.relays.get(6);
    this.#advertised = parts.alias?.advertised ?? "";
    this.#local = parts.alias?.local ?? "";
    this.createdBy = parts.createdBy;
    this.response = parts.response;
    this.#expires = parts.expires;
    this.#now = parts.now;
    // One second of burst.
    this.#budget = new RateLimiter({
      capacity: parts.bytesPerSecond,
      perSecond: parts.bytesPerSecond,
    }, parts.now());
  }

  /** When it expires (ms). */
  get expires(): number {
    return this.#expires;
  }

  /** Packets relayed and packets dropped (no permission, over budget). */
  get stats(): { relayed: number; dropped: number } {
    return { relayed: this.#relayed, dropped: this.#dropped };
  }

  /** Number of live permissions. */
  get permissionCount(): number {
    return this.#permissions.size;
  }

  /** Number of channels. */
  get channelCount(): number {
    return this.#channels.size;
  }

  /** Whether it relays to peers of `family`. */
  relaysFamily(family: 4 | 6): boolean {
    return this.relays.has(family);
  }

  /** Whether `port` is one of its own relayed ports. */
  ownsPort(port: number): boolean {
    for (const r of this.relays.values()) if (r.port === port) return true;
    return false;
  }

  /** Sets the expiry (Refresh). */
  refresh(expires: number): void {
    this.#expires = expires;
  }

  /** Installs or refreshes a permission for `ip`. */
  permit(ip: string, now: number): void {
    this.#permissions.set(ip, now + PERMISSION_MS);
  }

  /** True when `ip` has a live permission. */
  permits(ip: string, now: number): boolean {
    const until = this.#permissions.get(ip);
    return until !== undefined && until > now;
  }

  /**
   * Whether channel `number` may be bound to `address:port` (RFC 8656
   * §11.2: neither bound elsewhere).
   */
  canBind(number: number, address: string, port: number): boolean {
    const c = this.#channels.get(number);
    const p = this.#byPeer.get(`${address}:${port}`);
    if (c !== undefined && (c.address !== address || c.port !== port)) {
      return false;
    }
    return p === undefined || p.number === number;
  }

  /**
   * Binds or refreshes a channel, and the peer's permission.
   * @throws RangeError when it has no relay of the peer's family
   */
  bind(number: number, address: string, port: number, now: number): void {
    const peerKey = `${address}:${port}`;
    const relay = this.#relayFor(address);
    if (relay === undefined) {
      throw new RangeError(`Cannot bind a channel to ${address}: no relay`);
    }
    const c = this.#channels.get(number) ??
      {
        number,
        address,
        port,
        peerKey,
        relay,
        target: this.#target(address),
        expires: 0,
      };
    c.expires = now + CHANNEL_MS;
    this.#channels.set(number, c);
    this.#byPeer.set(peerKey, c);
    this.permit(address, now);
  }

  /** Whether channel `number` exists. */
  hasChannel(number: number): boolean {
    return this.#channels.has(number);
  }

  /** Drops expired permissions and channels. */
  sweep(now: number): void {
    for (const [ip, until] of this.#permissions) {
      if (until <= now) this.#permissions.delete(ip);
    }
    for (const [n, c] of this.#channels) {
      if (c.expires > now) continue;
      this.#channels.delete(n);
      this.#byPeer.delete(c.peerKey);
    }
  }

  /** Relays `data` to a peer (a Send indication's DATA). */
  sendToPeer(data: Uint8Array, address: string, port: number): void {
    const now = this.#now();
    const relay = this.#relayFor(address);
    if (
      relay === undefined || !this.permits(address, now) ||
      !this.#budget.take(now, data.length)
    ) {
      this.#dropped++;
      return;
    }
    this.#relayed++;
    relay.send(data, port, this.#target(address));
  }

  /** Relays a ChannelData payload on channel `number`. */
  sendOnChannel(number: number, data: Uint8Array): void {
    const c = this.#channels.get(number);
    const now = this.#now();
    if (
      c === undefined || c.expires <= now || !this.permits(c.address, now) ||
      !this.#budget.take(now, data.length)
    ) {
      this.#dropped++;
      return;
    }
    this.#relayed++;
    c.relay.send(data, c.port, c.target);
  }

  #target(address: string): string {
    return address === this.#advertised ? this.#local : address;
  }

  #relayFor(address: string): RelaySocket | undefined {
    return familyOf(address) === 4 ? this.#relay4 : this.#relay6;
  }

  /**
   * A datagram from a peer on a relayed socket: as ChannelData when the
   * peer has a channel, else a Data indication; dropped without permission.
   */
  fromPeer = (data: Uint8Array, from: string, port: number): void => {
    const now = this.#now();
    const address = from === this.#local && !this.permits(from, now)
      ? this.#advertised
      : from;
    if (!this.permits(address, now) || !this.#budget.take(now, data.length)) {
      this.#dropped++;
      return;
    }
    this.#relayed++;
    const c = this.#byPeer.get(`${address}:${port}`);
    if (c !== undefined && c.expires > now) {
      const n = writeChannelData(scratch, c.number, data, {
        pad: this.link.stream,
      });
      this.link.send(scratch.subarray(0, n));
      return;
    }
    const tid = crypto.getRandomValues(new Uint8Array(12));
    this.link.send(
      new StunWriter(Method.data, MessageClass.indication, tid)
        .xorAddress(Attr.xorPeerAddress, {
          family: familyOf(address),
          address,
          port,
        })
        .bytes(Attr.data, data)
        .finish(),
    );
  };
}
