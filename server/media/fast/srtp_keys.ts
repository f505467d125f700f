/**
 * SRTP session-key derivation (RFC 3711 §4.3, key derivation rate 0), also
 * used unchanged by AEAD_AES_128_GCM (RFC 7714 §11) with its 12-byte salt.
 *
 * @module
 */
import { createCipheriv } from "node:crypto";

/** The six session keys of one direction (RTP and RTCP). */
export interface SrtpSessionKeys {
  rtpKey: Uint8Array;
  rtpSalt: Uint8Array;
  rtpAuthKey: Uint8Array;
  rtcpKey: Uint8Array;
  rtcpSalt: Uint8Array;
  rtcpAuthKey: Uint8Array;
}

// RFC 3711 §4.3.2 labels.
const LABEL_RTP_KEY = 0, LABEL_RTP_AUTH = 1, LABEL_RTP_SALT = 2;
const LABEL_RTCP_KEY = 3, LABEL_RTCP_AUTH = 4, LABEL_RTCP_SALT = 5;

/**
 * Derives session keys from a 16-byte master key and a 14-byte (AES-CM) or
 * 12-byte (GCM, right-padded with zeros as libsrtp and werift do) master salt.
 * `saltLength` is the session salt length: 14 for AES-CM, 12 for GCM.
 * Runs once per session, so it uses `node:crypto` and allocates freely.
 * @throws RangeError when a length is wrong
 */
export function deriveSrtpSessionKeys(
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
  options: { saltLength: 12 | 14 },
): SrtpSessionKeys {
  if (masterKey.length !== 16) {
    throw new RangeError(
      `Cannot derive SRTP keys: master key is ${masterKey.length} bytes, expected 16`,
    );
  }
  if (masterSalt.length !== 14 && masterSalt.length !== 12) {
    throw new RangeError(
      `Cannot derive SRTP keys: master salt is ${masterSalt.length} bytes, expected 12 or 14`,
    );
  }
  const ecb = createCipheriv("aes-128-ecb", masterKey, null);
  ecb.setAutoPadding(false);
  const prf = (label: number, length: number): Uint8Array => {
    // x = (label || index DIV kdr) XOR master salt, placed as IV = x * 2^16;
    // with kdr 0 the index part is zero, so only byte 7 of the salt changes.
    const blocks = new Uint8Array(Math.ceil(length / 16) * 16);
    for (let b = 0; b * 16 < length; b++) {
      const o = b * 16;
      blocks.set(masterSalt, o);
      blocks[o + 7]! ^= label;
      blocks[o + 14] = b >>> 8;
      blocks[o + 15] = b & 0xff;
    }
    return new Uint8Array(ecb.update(blocks)).slice(0, length);
  };
  const { saltLength } = options;
  return {
    rtpKey: prf(LABEL_RTP_KEY, 16),
    rtpAuthKey: prf(LABEL_RTP_AUTH, 20),
    rtpSalt: prf(LABEL_RTP_SALT, saltLength),
    rtcpKey: prf(LABEL_RTCP_KEY, 16),
    rtcpAuthKey: prf(LABEL_RTCP_AUTH, 20),
    rtcpSalt: prf(LABEL_RTCP_SALT, saltLength),
  };
}
