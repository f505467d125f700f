/**
 * The two STUN checksums: MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) and
 * FINGERPRINT (CRC-32 XOR 0x5354554e, §14.7), and the long-term credential
 * key MD5(username ":" realm ":" password) (§9.2.2).
 *
 * Passwords are used as given: SASLprep/OpaqueString is not applied, which is
 * the same for the ASCII passwords this server issues.
 *
 * @module
 */

import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** The long-term credential key of RFC 8489 §9.2.2 (MD5, 16 bytes). */
export function longTermKey(
  username: string,
  realm: string,
  password: string,
): Uint8Array {
  return new Uint8Array(
    createHash("md5").update(`${username}:${realm}:${password}`).digest(),
  );
}

/** HMAC-SHA1 of `data` under `key` (20 bytes). */
export function hmacSha1(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac("sha1", key).update(data).digest());
}

/** Compares two MACs in constant time. */
export function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (the ISO-HDLC polynomial of zlib and Ethernet). */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) {
    c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** The FINGERPRINT value of the message bytes that precede it. */
export function fingerprint(data: Uint8Array): number {
  return (crc32(data) ^ 0x5354554e) >>> 0;
}
