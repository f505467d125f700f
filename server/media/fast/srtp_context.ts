/**
 * SRTP and SRTCP for one direction of one DTLS-SRTP session: RFC 3711
 * (AES_CM_128_HMAC_SHA1_80 and _32) and RFC 7714 (AEAD_AES_128_GCM), in place,
 * with per-SSRC ROC tracking and replay protection.
 *
 * @example
 * ```ts
 * const tx = SrtpContext.create(key, salt, { profile: "AEAD_AES_128_GCM" });
 * const buf = new Uint8Array(1500);
 * // ... write a 1200-byte RTP packet into buf ...
 * const n = tx.protectRtp(buf, 1200); // 1216
 * ```
 * @module
 */
import { OpenSsl } from "./openssl.ts";
import type {
  AesCtrContext,
  CryptoBackend,
  CryptoKind,
  GcmContext,
  HmacContext,
} from "./srtp_crypto.ts";
import { nodeBackend, opensslBackend } from "./srtp_crypto.ts";
import { deriveSrtpSessionKeys } from "./srtp_keys.ts";
import { estimateRtpIndex, ReplayWindow } from "./srtp_replay.ts";
import { rtpHeaderLength } from "../rtp_header.ts";

/** The DTLS-SRTP protection profiles implemented. */
export type SrtpProfile =
  | "AES_CM_128_HMAC_SHA1_80"
  | "AES_CM_128_HMAC_SHA1_32"
  | "AEAD_AES_128_GCM";

/** Negative results of the protect/unprotect calls (no exception per packet). */
export const SrtpError = {
  malformed: -1,
  authFailed: -2,
  replayed: -3,
} as const;

/** Options of {@link SrtpContext.create}. */
export interface SrtpContextOptions {
  profile: SrtpProfile;
  /** A shared OpenSSL handle; null forces `node:crypto`; absent opens one. */
  openssl?: OpenSsl | null;
  /** Replay window in packets, a multiple of 32 (Galène uses 512). */
  replayWindow?: number;
}

/** Bytes a protected packet grows by, per profile: [RTP, RTCP]. */
export function srtpOverhead(
  profile: SrtpProfile,
): { rtp: number; rtcp: number } {
  if (profile === "AEAD_AES_128_GCM") return { rtp: 16, rtcp: 20 };
  // RFC 5764 §4.1.2: the _32 profile shortens the SRTP tag only; SRTCP keeps 80 bits.
  return { rtp: profile === "AES_CM_128_HMAC_SHA1_32" ? 4 : 10, rtcp: 14 };
}

interface RtcpState {
  sent: number;
  window: ReplayWindow;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) |
    b[at + 3]!) >>> 0;
}

function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** One direction's SRTP/SRTCP state; protect on the sending side, unprotect on the receiving one. */
export class SrtpContext {
  #profile: SrtpProfile;
  #gcm: boolean;
  #tag: number;
  #kind: CryptoKind;
  #owned: OpenSsl | null;
  #rtpSalt: Uint8Array;
  #rtcpSalt: Uint8Array;
  #rtpCtr: AesCtrContext | null = null;
  #rtcpCtr: AesCtrContext | null = null;
  #rtpMac: HmacContext | null = null;
  #rtcpMac: HmacContext | null = null;
  #rtpGcm: GcmContext | null = null;
  #rtcpGcm: GcmContext | null = null;
  #windowSize: number;
  #rtp = new Map<number, ReplayWindow>();
  // The sender needs only the highest index per SSRC, for its ROC: no window.
  #sent = new Map<number, { highest: number }>();
  #rtcp = new Map<number, RtcpState>();
  #iv = new Uint8Array(16);
  #iv12 = this.#iv.subarray(0, 12);
  #digest = new Uint8Array(20);
  #roc = new Uint8Array(4);

  private constructor(
    backend: CryptoBackend,
    keys: { key: Uint8Array; salt: Uint8Array },
    options: {
      profile: SrtpProfile;
      owned: OpenSsl | null;
      replayWindow: number;
    },
  ) {
    const gcm = options.profile === "AEAD_AES_128_GCM";
    const k = deriveSrtpSessionKeys(keys.key, keys.salt, {
      saltLength: gcm ? 12 : 14,
    });
    this.#profile = options.profile;
    this.#gcm = gcm;
    this.#tag = srtpOverhead(options.profile).rtp;
    this.#kind = backend.kind;
    this.#owned = options.owned;
    this.#windowSize = options.replayWindow;
    this.#rtpSalt = k.rtpSalt;
    this.#rtcpSalt = k.rtcpSalt;
    if (gcm) {
      this.#rtpGcm = backend.aes128Gcm(k.rtpKey);
      this.#rtcpGcm = backend.aes128Gcm(k.rtcpKey);
    } else {
      this.#rtpCtr = backend.aes128Ctr(k.rtpKey);
      this.#rtcpCtr = backend.aes128Ctr(k.rtcpKey);
      this.#rtpMac = backend.hmacSha1(k.rtpAuthKey);
      this.#rtcpMac = backend.hmacSha1(k.rtcpAuthKey);
    }
  }

  /**
   * Creates a context from the DTLS-exported master key (16 bytes) and salt
   * (14 bytes for AES-CM, 12 for GCM), on OpenSSL when it loads.
   * @throws RangeError when a key length is wrong
   */
  static create(
    masterKey: Uint8Array,
    masterSalt: Uint8Array,
    options: SrtpContextOptions,
  ): SrtpContext {
    let ssl = options.openssl;
    let owned: OpenSsl | null = null;
    if (ssl === undefined) ssl = owned = OpenSsl.open();
    const backend = ssl === null ? nodeBackend() : opensslBackend(ssl);
    return new SrtpContext(backend, { key: masterKey, salt: masterSalt }, {
      profile: options.profile,
      owned,
      replayWindow: options.replayWindow ?? 512,
    });
  }

  /** The negotiated profile. */
  get profile(): SrtpProfile {
    return this.#profile;
  }

  /** Which crypto back end runs this context. */
  get backend(): CryptoKind {
    return this.#kind;
  }

  /**
   * Protects the RTP packet in `buf[0, length)` in place and returns the new
   * length (the tag is appended: `buf` needs `srtpOverhead().rtp` spare
   * bytes), or `SrtpError.malformed`.
   */
  protectRtp(buf: Uint8Array, length: number): number {
    const hdr = rtpHeaderLength(buf, length);
    if (hdr < 0 || buf.length < length + this.#tag) return SrtpError.malformed;
    const ssrc = u32(buf, 8), seq = (buf[2]! << 8) | buf[3]!;
    const sent = this.#rtpSent(ssrc);
    const index = estimateRtpIndex(seq, sent.highest);
    if (index > sent.highest) sent.highest = index;
    this.#rtpIv(ssrc, index);
    if (this.#gcm) {
      const g = this.#rtpGcm!;
      g.begin(this.#iv12, "encrypt");
      g.aad(buf, 0, hdr);
      g.update(buf, hdr, length);
      g.seal(buf, length);
    } else {
      this.#rtpCtr!.xor(this.#iv, buf, hdr, length);
      this.#rtpTag(buf, length, index);
      for (let i = 0; i < this.#tag; i++) buf[length + i] = this.#digest[i]!;
    }
    return length + this.#tag;
  }

  /**
   * Authenticates and decrypts the SRTP packet in `buf[0, length)` in place;
   * returns the RTP length or a negative {@link SrtpError}. After a GCM
   * authentication failure the payload bytes are unspecified.
   */
  unprotectRtp(buf: Uint8Array, length: number): number {
    const end = length - this.#tag;
    const hdr = rtpHeaderLength(buf, end);
    if (hdr < 0) return SrtpError.malformed;
    const ssrc = u32(buf, 8), seq = (buf[2]! << 8) | buf[3]!;
    const window = this.#rtpWindow(ssrc);
    const index = estimateRtpIndex(seq, window.highest);
    if (!window.check(index)) return SrtpError.replayed;
    this.#rtpIv(ssrc, index);
    if (this.#gcm) {
      const g = this.#rtpGcm!;
      g.begin(this.#iv12, "decrypt");
      g.aad(buf, 0, hdr);
      g.update(buf, hdr, end);
      if (!g.open(buf, end)) return SrtpError.authFailed;
    } else {
      this.#rtpTag(buf, end, index);
      let diff = 0;
      for (let i = 0; i < this.#tag; i++) {
        diff |= buf[end + i]! ^ this.#digest[i]!;
      }
      if (diff !== 0) return SrtpError.authFailed;
      this.#rtpCtr!.xor(this.#iv, buf, hdr, end);
    }
    window.accept(index);
    return end;
  }

  /**
   * Protects the compound RTCP packet in `buf[0, length)` in place (always
   * encrypted, E=1) and returns the new length, or `SrtpError.malformed`.
   */
  protectRtcp(buf: Uint8Array, length: number): number {
    const over = this.#gcm ? 20 : 14;
    if (length < 8 || buf.length < length + over) return SrtpError.malformed;
    const ssrc = u32(buf, 4);
    const state = this.#rtcpState(ssrc);
    const index = state.sent = (state.sent + 1) & 0x7fffffff;
    this.#rtcpIv(ssrc, index);
    if (this.#gcm) {
      // RFC 7714 §9.2/§17: AAD = first 8 bytes || E|index, trailer after the tag.
      const g = this.#rtcpGcm!;
      put32(buf, length + 16, (0x80000000 | index) >>> 0);
      g.begin(this.#iv12, "encrypt");
      g.aad(buf, 0, 8);
      g.aad(buf, length + 16, length + 20);
      g.update(buf, 8, length);
      g.seal(buf, length);
    } else {
      this.#rtcpCtr!.xor(this.#iv, buf, 8, length);
      put32(buf, length, (0x80000000 | index) >>> 0);
      const mac = this.#rtcpMac!;
      mac.begin();
      mac.update(buf, 0, length + 4);
      mac.finish(this.#digest);
      for (let i = 0; i < 10; i++) buf[length + 4 + i] = this.#digest[i]!;
    }
    return length + over;
  }

  /** Authenticates and decrypts SRTCP in place; returns the RTCP length or a negative {@link SrtpError}. */
  unprotectRtcp(buf: Uint8Array, length: number): number {
    const gcm = this.#gcm;
    const idxAt = gcm ? length - 4 : length - 14;
    const end = gcm ? idxAt - 16 : idxAt;
    if (end < 8) return SrtpError.malformed;
    const ssrc = u32(buf, 4), word = u32(buf, idxAt);
    const encrypted = word >>> 31 === 1, index = word & 0x7fffffff;
    const state = this.#rtcpState(ssrc);
    if (!state.window.check(index)) return SrtpError.replayed;
    this.#rtcpIv(ssrc, index);
    if (gcm) {
      const g = this.#rtcpGcm!;
      g.begin(this.#iv12, "decrypt");
      g.aad(buf, 0, encrypted ? 8 : end);
      g.aad(buf, idxAt, length);
      if (encrypted) g.update(buf, 8, end);
      if (!g.open(buf, end)) return SrtpError.authFailed;
    } else {
      const mac = this.#rtcpMac!;
      mac.begin();
      mac.update(buf, 0, idxAt + 4);
      mac.finish(this.#digest);
      let diff = 0;
      for (let i = 0; i < 10; i++) {
        diff |= buf[idxAt + 4 + i]! ^ this.#digest[i]!;
      }
      if (diff !== 0) return SrtpError.authFailed;
      if (encrypted) this.#rtcpCtr!.xor(this.#iv, buf, 8, end);
    }
    state.window.accept(index);
    return end;
  }

  /** Frees the crypto contexts (and OpenSSL if this context opened it). Idempotent. */
  close(): void {
    for (
      const c of [
        this.#rtpCtr,
        this.#rtcpCtr,
        this.#rtpMac,
        this.#rtcpMac,
        this.#rtpGcm,
        this.#rtcpGcm,
      ]
    ) {
      c?.close();
    }
    this.#rtpCtr =
      this.#rtcpCtr =
      this.#rtpMac =
      this.#rtcpMac =
      this.#rtpGcm =
      this.#rtcpGcm =
        null;
    this.#owned?.close();
    this.#owned = null;
  }

  #rtpWindow(ssrc: number): ReplayWindow {
    let w = this.#rtp.get(ssrc);
    if (w === undefined) {
      this.#rtp.set(ssrc, w = new ReplayWindow(this.#windowSize));
    }
    return w;
  }

  #rtpSent(ssrc: number): { highest: number } {
    let s = this.#sent.get(ssrc);
    if (s === undefined) this.#sent.set(ssrc, s = { highest: -1 });
    return s;
  }

  #rtcpState(ssrc: number): RtcpState {
    let s = this.#rtcp.get(ssrc);
    if (s === undefined) {
      this.#rtcp.set(
        ssrc,
        s = { sent: 0, window: new ReplayWindow(this.#windowSize) },
      );
    }
    return s;
  }

  // AES-CM (RFC 3711 §4.1.1): salt ⊕ (SSRC·2^64) ⊕ (index·2^16), 16 bytes.
  // GCM (RFC 7714 §8.1): salt ⊕ (00 00 || SSRC || ROC || SEQ), 12 bytes.
  // Both put SSRC then the 48-bit index right after it; GCM is 4 bytes left.
  #rtpIv(ssrc: number, index: number): void {
    const iv = this.#iv, salt = this.#rtpSalt, at = this.#gcm ? 2 : 4;
    iv.fill(0);
    put32(iv, at, ssrc);
    put32(iv, at + 4, Math.floor(index / 65536) >>> 0);
    iv[at + 8] = (index >>> 8) & 0xff;
    iv[at + 9] = index & 0xff;
    for (let i = 0; i < salt.length; i++) iv[i]! ^= salt[i]!;
  }

  // SRTCP: the same layout with the 31-bit SRTCP index in place of the RTP
  // index (RFC 3711 §4.1.1, RFC 7714 §9.1).
  #rtcpIv(ssrc: number, index: number): void {
    const iv = this.#iv, salt = this.#rtcpSalt, at = this.#gcm ? 2 : 4;
    iv.fill(0);
    put32(iv, at, ssrc);
    put32(iv, at + 6, index);
    for (let i = 0; i < salt.length; i++) iv[i]! ^= salt[i]!;
  }

  #rtpTag(buf: Uint8Array, end: number, index: number): void {
    const mac = this.#rtpMac!;
    put32(this.#roc, 0, Math.floor(index / 65536) >>> 0);
    mac.begin();
    mac.update(buf, 0, end);
    mac.update(this.#roc, 0, 4);
    mac.finish(this.#digest);
  }
}
