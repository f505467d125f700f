/**
 * How many bytes a client's text may weigh. Limits count UTF-8 bytes, as
 * they travel and as they are stored, never UTF-16 code units: a million
 * "€" is a million characters but three megabytes.
 *
 * @module
 */

/** Largest WebSocket message a client may send: Galène's read limit, 1 MiB. */
export const MAX_MESSAGE_BYTES = 1 << 20;

/**
 * Longest client id, stream id, username or message kind. Galène's client
 * makes 32-character ids; 256 bytes leaves room for any real name while
 * keeping maps, logs and every `user` message small.
 */
export const MAX_NAME_BYTES = 256;

/**
 * Most bytes of a member's user data, or of a group's data, as JSON. Both
 * are merged key by key and sent whole to every member (and to each joiner
 * for every member), so small messages must not add up without bound.
 */
export const MAX_DATA_BYTES = 64 * 1024;

/**
 * The number of bytes of `text` in UTF-8. A lone surrogate counts 3, as the
 * U+FFFD it is encoded as.
 *
 * @example
 * ```ts
 * utf8Length("€"); // 3
 * ```
 */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      bytes += 1;
    } else if (c < 0x800) {
      bytes += 2;
    } else if (c >= 0xd800 && c < 0xdc00 && isLowSurrogate(text, i + 1)) {
      bytes += 4;
      i++;
    } else {
      bytes += 3;
    }
  }
  return bytes;
}

/**
 * Whether `text` is at most `max` bytes of UTF-8, without counting when
 * its length alone decides (a UTF-16 unit is 1 to 3 bytes).
 *
 * @example
 * ```ts
 * fitsBytes("€€", 5); // false
 * ```
 */
export function fitsBytes(text: string, max: number): boolean {
  if (text.length > max) return false;
  if (text.length * 3 <= max) return true;
  return utf8Length(text) <= max;
}

/**
 * The longest start of `text` that is at most `max` bytes of UTF-8, never
 * splitting a surrogate pair: for fields with a byte limit of their own,
 * such as a WebSocket close reason (123 bytes, RFC 6455 §5.5).
 *
 * @example
 * ```ts
 * cutToBytes("a€b", 3); // "a"
 * ```
 */
export function cutToBytes(text: string, max: number): string {
  if (fitsBytes(text, max)) return text;
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c < 0xdc00 && isLowSurrogate(text, i + 1);
    const size = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + size > max) break;
    bytes += size;
    i += pair ? 2 : 1;
  }
  return text.slice(0, i);
}

function isLowSurrogate(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c >= 0xdc00 && c < 0xe000;
}
