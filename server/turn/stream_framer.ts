/**
 * Cuts a TURN byte stream (TCP or TLS, RFC 8656 §12.5) into messages: STUN
 * (first two bits 00, 20 bytes of header plus its length) and ChannelData
 * (first two bits 01, 4 bytes of header plus its length padded to 4). Any
 * other first byte means the stream is not TURN: the caller closes it.
 *
 * A message is at most 65,555 bytes, so the buffer is bounded by that.
 *
 * @module
 */

/** Accumulates chunks and hands out whole messages. */
export class StreamFramer {
  #buf = new Uint8Array(2048);
  #len = 0;

  /**
   * Appends `chunk` and calls `onMessage` for each whole message (a view,
   * valid during the call). False when the stream is not TURN.
   */
  push(chunk: Uint8Array, onMessage: (message: Uint8Array) => void): boolean {
    this.#append(chunk);
    let at = 0;
    for (;;) {
      const left = this.#len - at;
      if (left < 4) break;
      const first = this.#buf[at]!;
      const length = (this.#buf[at + 2]! << 8) | this.#buf[at + 3]!;
      let size: number;
      if (first < 0x40) size = 20 + length;
      else if (first < 0x80) size = 4 + ((length + 3) & ~3);
      else return false;
      if (left < size) break;
      onMessage(this.#buf.subarray(at, at + size));
      at += size;
    }
    if (at > 0) {
      this.#buf.copyWithin(0, at, this.#len);
      this.#len -= at;
    }
    return true;
  }

  #append(chunk: Uint8Array): void {
    const need = this.#len + chunk.length;
    if (need > this.#buf.length) {
      const next = new Uint8Array(Math.max(need, 2 * this.#buf.length));
      next.set(this.#buf.subarray(0, this.#len));
      this.#buf = next;
    }
    this.#buf.set(chunk, this.#len);
    this.#len = need;
  }
}
