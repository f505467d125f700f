/**
 * Reading STUN messages (RFC 8489 §5, §14): the header, the attribute list,
 * MESSAGE-INTEGRITY and FINGERPRINT. Decoding never throws: malformed input
 * yields `{ ok: false, reason }` with a fixed reason (never client text).
 *
 * A decoded message is a view over the bytes it was decoded from (a receive
 * buffer that is reused): use it during the call that received it.
 *
 * @module
 */

import {
  Attr,
  HEADER_BYTES,
  KNOWN_REQUIRED,
  MAGIC_COOKIE,
  type MessageClass,
} from "./stun_constants.ts";
import { fingerprint, hmacSha1, sameMac } from "./stun_integrity.ts";
import { bytesToIp, type TransportAddress } from "./ip_address.ts";

// More attributes than any real request carries: beyond, the message is junk.
const MAX_ATTRIBUTES = 64;

const utf8 = new TextDecoder();

/** The message type field for a method and a class (RFC 8489 §5). */
export function messageType(method: number, cls: MessageClass): number {
  return (method & 0x000f) | ((method & 0x0070) << 1) |
    ((method & 0x0f80) << 2) | ((cls & 1) << 4) | ((cls & 2) << 7);
}

/** A decoded STUN message. */
export class StunMessage {
  /** Method (`Method.*`). */
  readonly method: number;
  /** Class (`MessageClass.*`). */
  readonly cls: MessageClass;
  /** The 12-byte transaction id (a view). */
  readonly transactionId: Uint8Array;
  /** The whole message (a view). */
  readonly bytes: Uint8Array;
  readonly #types: number[];
  readonly #offsets: number[];
  readonly #lengths: number[];
  readonly #integrityAt: number;
  readonly #fingerprinted: boolean;

  /** Use {@link decodeStun}. */
  constructor(
    parts: {
      bytes: Uint8Array;
      types: number[];
      offsets: number[];
      lengths: number[];
      integrityAt: number;
      fingerprinted: boolean;
    },
  ) {
    const b = parts.bytes;
    const t = (b[0]! << 8) | b[1]!;
    this.method = (t & 0x000f) | ((t >> 1) & 0x0070) | ((t >> 2) & 0x0f80);
    this.cls = (((t >> 4) & 1) | ((t >> 7) & 2)) as MessageClass;
    this.bytes = b;
    this.transactionId = b.subarray(8, 20);
    this.#types = parts.types;
    this.#offsets = parts.offsets;
    this.#lengths = parts.lengths;
    this.#integrityAt = parts.integrityAt;
    this.#fingerprinted = parts.fingerprinted;
  }

  /** True when the message carries MESSAGE-INTEGRITY. */
  get hasIntegrity(): boolean {
    return this.#integrityAt >= 0;
  }

  /** True when the message ended with a valid FINGERPRINT. */
  get hasFingerprint(): boolean {
    return this.#fingerprinted;
  }

  /** Attribute types in order (those after MESSAGE-INTEGRITY excluded). */
  get types(): readonly number[] {
    return this.#types;
  }

  /** The first value of attribute `type` (a view), if present. */
  get(type: number): Uint8Array | undefined {
    const i = this.#types.indexOf(type);
    if (i < 0) return undefined;
    const at = this.#offsets[i]!;
    return this.bytes.subarray(at, at + this.#lengths[i]!);
  }

  /** The attribute as UTF-8 text (invalid sequences become U+FFFD). */
  text(type: number): string | undefined {
    const v = this.get(type);
    return v === undefined ? undefined : utf8.decode(v);
  }

  /** A 32-bit attribute, or undefined when absent or not 4 bytes. */
  u32(type: number): number | undefined {
    const v = this.get(type);
    if (v === undefined || v.length !== 4) return undefined;
    return ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0;
  }

  /** Every value of an attribute that may repeat (XOR-PEER-ADDRESS). */
  all(type: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < this.#types.length; i++) {
      if (this.#types[i] !== type) continue;
      const at = this.#offsets[i]!;
      out.push(this.bytes.subarray(at, at + this.#lengths[i]!));
    }
    return out;
  }

  /** An XOR-…-ADDRESS attribute, or undefined when absent or malformed. */
  xorAddress(type: number): TransportAddress | undefined {
    const v = this.get(type);
    return v === undefined ? undefined : decodeAddress(v, this.transactionId);
  }

  /** Comprehension-required attribute types this server does not know. */
  unknownRequired(): number[] {
    return this.#types.filter((t) => t < 0x8000 && !KNOWN_REQUIRED.has(t));
  }

  /**
   * True when MESSAGE-INTEGRITY is present and is the HMAC-SHA1 under `key`
   * of the message up to it, with the length field counting up to its end
   * (RFC 8489 §14.5).
   */
  verifyIntegrity(key: Uint8Array): boolean {
    const at = this.#integrityAt;
    if (at < 0) return false;
    const header = this.bytes.slice(0, HEADER_BYTES);
    const length = at + 24 - HEADER_BYTES;
    header[2] = length >> 8;
    header[3] = length & 255;
    const signed = new Uint8Array(at);
    signed.set(header);
    signed.set(this.bytes.subarray(HEADER_BYTES, at), HEADER_BYTES);
    const mac = hmacSha1(key, signed);
    return sameMac(mac, this.bytes.subarray(at + 4, at + 24));
  }
}

/** The result of {@link decodeStun}. */
export type DecodeResult =
  | { ok: true; message: StunMessage }
  | { ok: false; reason: string };

/** True when `bytes` may be a STUN message: top bits 00 and the cookie. */
export function looksLikeStun(bytes: Uint8Array): boolean {
  return bytes.length >= HEADER_BYTES && (bytes[0]! & 0xc0) === 0 &&
    readU32(bytes, 4) === MAGIC_COOKIE;
}

/** Decodes one whole STUN message; never throws. */
export function decodeStun(bytes: Uint8Array): DecodeResult {
  if (!looksLikeStun(bytes)) return { ok: false, reason: "not STUN" };
  const length = (bytes[2]! << 8) | bytes[3]!;
  if (length % 4 !== 0 || HEADER_BYTES + length !== bytes.length) {
    return { ok: false, reason: "bad message length" };
  }
  const types: number[] = [];
  const offsets: number[] = [];
  const lengths: number[] = [];
  let integrityAt = -1;
  let fingerprinted = false;
  let at = HEADER_BYTES;
  while (at < bytes.length) {
    if (fingerprinted) return { ok: false, reason: "data after FINGERPRINT" };
    if (at + 4 > bytes.length) return { ok: false, reason: "truncated" };
    const type = (bytes[at]! << 8) | bytes[at + 1]!;
    const alen = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const next = at + 4 + ((alen + 3) & ~3);
    if (next > bytes.length) return { ok: false, reason: "attribute overruns" };
    if (type === Attr.fingerprint) {
      if (alen !== 4) return { ok: false, reason: "bad FINGERPRINT" };
      if (readU32(bytes, at + 4) !== fingerprint(bytes.subarray(0, at))) {
        return { ok: false, reason: "wrong FINGERPRINT" };
      }
      fingerprinted = true;
    } else if (integrityAt < 0) {
      // Attributes after MESSAGE-INTEGRITY (but FINGERPRINT) are ignored.
      if (types.length === MAX_ATTRIBUTES) {
        return { ok: false, reason: "too many attributes" };
      }
      if (type === Attr.messageIntegrity) {
        if (alen !== 20) return { ok: false, reason: "bad MESSAGE-INTEGRITY" };
        integrityAt = at;
      }
      types.push(type);
      offsets.push(at + 4);
      lengths.push(alen);
    }
    at = next;
  }
  return {
    ok: true,
    message: new StunMessage({
      bytes,
      types,
      offsets,
      lengths,
      integrityAt,
      fingerprinted,
    }),
  };
}

/**
 * Decodes a (XOR-)address attribute value; `transactionId` given means XOR
 * (RFC 8489 §14.2), absent means plain MAPPED-ADDRESS (§14.1).
 */
export function decodeAddress(
  value: Uint8Array,
  transactionId?: Uint8Array,
): TransportAddress | undefined {
  if (value.length < 4) return undefined;
  const family = value[1];
  const size = family === 1 ? 4 : family === 2 ? 16 : 0;
  if (size === 0 || value.length !== 4 + size) return undefined;
  let port = (value[2]! << 8) | value[3]!;
  const ip = value.slice(4);
  if (transactionId !== undefined) {
    port ^= MAGIC_COOKIE >>> 16;
    const mask = xorMask(transactionId);
    for (let i = 0; i < size; i++) ip[i]! ^= mask[i]!;
  }
  return { family: size === 4 ? 4 : 6, address: bytesToIp(ip), port };
}

/** The cookie followed by the transaction id: the XOR mask of addresses. */
export function xorMask(transactionId: Uint8Array): Uint8Array {
  const mask = new Uint8Array(16);
  mask[0] = 0x21;
  mask[1] = 0x12;
  mask[2] = 0xa4;
  mask[3] = 0x42;
  mask.set(transactionId.subarray(0, 12), 4);
  return mask;
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) |
    b[at + 3]!) >>> 0;
}
