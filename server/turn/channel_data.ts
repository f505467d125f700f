/**
 * ChannelData messages (RFC 8656 §12.4): a channel number, a length, then
 * the application data; over TCP padded to a multiple of 4 bytes.
 *
 * Channel numbers: RFC 8656 allows 0x4000–0x4FFF, RFC 5766 allowed up to
 * 0x7FFE, and clients of that era (coturn's own test client among them)
 * still pick numbers there, so the wider range is accepted.
 *
 * @module
 */

/** Lowest channel number (RFC 8656 §12). */
export const MIN_CHANNEL = 0x4000;
/** Highest channel number (RFC 5766 §11). */
export const MAX_CHANNEL = 0x7ffe;

/** True when the first two bits say ChannelData (01). */
export function looksLikeChannelData(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && (bytes[0]! & 0xc0) === 0x40;
}

/**
 * The channel of a ChannelData message whose data fits in `bytes` (padding
 * after it is allowed), or -1 when malformed.
 */
export function channelOf(bytes: Uint8Array): number {
  if (!looksLikeChannelData(bytes)) return -1;
  const length = (bytes[2]! << 8) | bytes[3]!;
  return 4 + length <= bytes.length ? (bytes[0]! << 8) | bytes[1]! : -1;
}

/** The data of a ChannelData message checked by {@link channelOf} (a view). */
export function channelPayload(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(4, 4 + ((bytes[2]! << 8) | bytes[3]!));
}

/**
 * Writes a ChannelData header and `data` into `target` from 0; returns the
 * byte count (padded to 4 with `pad`, for TCP).
 * @throws RangeError when `target` is too small
 */
export function writeChannelData(
  target: Uint8Array,
  channel: number,
  data: Uint8Array,
  options: { pad: boolean },
): number {
  const size = 4 + data.length;
  const total = options.pad ? (size + 3) & ~3 : size;
  if (total > target.length || data.length > 0xffff) {
    throw new RangeError(`ChannelData of ${data.length} bytes does not fit`);
  }
  target[0] = channel >> 8;
  target[1] = channel & 255;
  target[2] = data.length >> 8;
  target[3] = data.length & 255;
  target.set(data, 4);
  target.fill(0, size, total);
  return total;
}
