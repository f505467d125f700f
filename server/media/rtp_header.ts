/**
 * RTP header arithmetic on bytes (RFC 3550 §5.1, RFC 8285 for the
 * extension block), shared by the SRTP code and the taps.
 *
 * @module
 */

/**
 * The length of the RTP header (CSRCs and extension block included) of the
 * packet in `b[0, end)`, or -1 when it is not RTP version 2 or does not fit.
 */
export function rtpHeaderLength(b: Uint8Array, end: number): number {
  if (end < 12 || (b[0]! >>> 6) !== 2) return -1;
  let n = 12 + (b[0]! & 0x0f) * 4;
  if (b[0]! & 0x10) {
    if (n + 4 > end) return -1;
    n += 4 + ((b[n + 2]! << 8) | b[n + 3]!) * 4;
  }
  return n <= end ? n : -1;
}

/**
 * Where the payload of the RTP packet `b` ends: its length without the
 * padding (RFC 3550 §5.1, P bit), or -1 when the padding count is bad.
 */
export function rtpPayloadEnd(b: Uint8Array, headerLength: number): number {
  if ((b[0]! & 0x20) === 0) return b.length;
  const padding = b[b.length - 1]!;
  const end = b.length - padding;
  return padding > 0 && end >= headerLength ? end : -1;
}
