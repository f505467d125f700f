/**
 * Writing STUN messages: attributes appended in order, then optionally
 * MESSAGE-INTEGRITY (HMAC-SHA1) and FINGERPRINT, as RFC 8489 §14.5 and
 * §14.7 compute them.
 *
 * @module
 */

import {
  Attr,
  HEADER_BYTES,
  MAGIC_COOKIE,
  type MessageClass,
  REASONS,
} from "./stun_constants.ts";
import type { ErrorCode } from "./stun_constants.ts";
import { fingerprint, hmacSha1 } from "./stun_integrity.ts";
import { ipToBytes, type TransportAddress } from "./ip_address.ts";
import { messageType, xorMask } from "./stun_message.ts";

const utf8 = new TextEncoder();

/** Builds one STUN message. */
export class StunWriter {
  #buf = new Uint8Array(256);
  #len = HEADER_BYTES;
  #tid: Uint8Array;

  /** @throws RangeError when `transactionId` is not 12 bytes */
  constructor(method: number, cls: MessageClass, transactionId: Uint8Array) {
    if (transactionId.length !== 12) {
      throw new RangeError("A STUN transaction id is 12 bytes");
    }
    this.#tid = transactionId.slice();
    const t = messageType(method, cls);
    this.#buf[0] = t >> 8;
    this.#buf[1] = t & 255;
    writeU32(this.#buf, 4, MAGIC_COOKIE);
    this.#buf.set(this.#tid, 8);
  }

  /** Appends an attribute with `value`, zero-padded to 4 bytes. */
  bytes(type: number, value: Uint8Array): this {
    const padded = (value.length + 3) & ~3;
    this.#reserve(4 + padded);
    const b = this.#buf;
    const at = this.#len;
    b[at] = type >> 8;
    b[at + 1] = type & 255;
    b[at + 2] = value.length >> 8;
    b[at + 3] = value.length & 255;
    b.set(value, at + 4);
    b.fill(0, at + 4 + value.length, at + 4 + padded);
    this.#len = at + 4 + padded;
    return this;
  }

  /** Appends a UTF-8 text attribute. */
  text(type: number, value: string): this {
    return this.bytes(type, utf8.encode(value));
  }

  /** Appends a 32-bit attribute. */
  u32(type: number, value: number): this {
    const v = new Uint8Array(4);
    writeU32(v, 0, value);
    return this.bytes(type, v);
  }

  /**
   * Appends an XOR-…-ADDRESS attribute (RFC 8489 §14.2).
   * @throws TypeError when the address is not an IP address
   */
  xorAddress(type: number, address: TransportAddress): this {
    const ip = ipToBytes(address.address);
    if (ip === null) {
      throw new TypeError(`Cannot encode "${address.address}": not an IP`);
    }
    const v = new Uint8Array(4 + ip.length);
    v[1] = ip.length === 4 ? 1 : 2;
    const port = address.port ^ (MAGIC_COOKIE >>> 16);
    v[2] = port >> 8;
    v[3] = port & 255;
    const mask = xorMask(this.#tid);
    for (let i = 0; i < ip.length; i++) v[4 + i] = ip[i]! ^ mask[i]!;
    return this.bytes(type, v);
  }

  /** Appends ERROR-CODE (RFC 8489 §14.8) with the code's short reason. */
  errorCode(code: ErrorCode, type: number = Attr.errorCode): this {
    const reason = utf8.encode(REASONS[code]);
    const v = new Uint8Array(4 + reason.length);
    v[2] = Math.floor(code / 100);
    v[3] = code % 100;
    v.set(reason, 4);
    return this.bytes(type, v);
  }

  /**
   * Appends ADDRESS-ERROR-CODE (RFC 8656 §18.12): why a dual allocation got
   * no relayed address of `family`.
   */
  addressErrorCode(
    family: 4 | 6,
    code: ErrorCode,
    type: number = Attr.addressErrorCode,
  ): this {
    const reason = utf8.encode(REASONS[code]);
    const v = new Uint8Array(4 + reason.length);
    v[0] = family === 4 ? 1 : 2;
    v[2] = Math.floor(code / 100);
    v[3] = code % 100;
    v.set(reason, 4);
    return this.bytes(type, v);
  }

  /** Appends UNKNOWN-ATTRIBUTES (RFC 8489 §14.9). */
  unknownAttributes(types: readonly number[]): this {
    const v = new Uint8Array(2 * types.length);
    types.forEach((t, i) => {
      v[2 * i] = t >> 8;
      v[2 * i + 1] = t & 255;
    });
    return this.bytes(Attr.unknownAttributes, v);
  }

  /**
   * The message, with MESSAGE-INTEGRITY under `key` and FINGERPRINT when
   * asked for.
   */
  finish(
    options: { key?: Uint8Array; fingerprint?: boolean } = {},
  ): Uint8Array {
    if (options.key !== undefined) {
      this.#setLength(this.#len + 24 - HEADER_BYTES);
      const mac = hmacSha1(options.key, this.#buf.subarray(0, this.#len));
      this.bytes(Attr.messageIntegrity, mac);
    }
    if (options.fingerprint) {
      this.#setLength(this.#len + 8 - HEADER_BYTES);
      const crc = fingerprint(this.#buf.subarray(0, this.#len));
      this.u32(Attr.fingerprint, crc);
    }
    this.#setLength(this.#len - HEADER_BYTES);
    return this.#buf.slice(0, this.#len);
  }

  #setLength(length: number): void {
    this.#buf[2] = length >> 8;
    this.#buf[3] = length & 255;
  }

  #reserve(extra: number): void {
    if (this.#len + extra <= this.#buf.length) return;
    const next = new Uint8Array(
      Math.max(2 * this.#buf.length, this.#len + extra),
    );
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 255;
  b[at + 2] = (v >>> 8) & 255;
  b[at + 3] = v & 255;
}
