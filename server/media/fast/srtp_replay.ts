/**
 * Packet-index arithmetic for SRTP: the receiver's ROC estimate (RFC 3711
 * §3.3.1) and the replay window (§3.3.2). Pure, no clock, no I/O.
 *
 * @module
 */

/**
 * Estimates the 48-bit packet index (ROC·2^16 + SEQ) of a packet with
 * sequence number `seq`, given the highest index accepted so far (-1 when
 * none): the candidate ROC−1, ROC or ROC+1 that lands closest to it.
 */
export function estimateRtpIndex(seq: number, highest: number): number {
  if (highest < 0) return seq;
  const roc = Math.floor(highest / 65536);
  const sl = highest - roc * 65536;
  let v = roc;
  if (sl < 32768) {
    if (seq - sl > 32768 && roc > 0) v = roc - 1;
  } else if (sl - 32768 > seq) {
    v = roc + 1;
  }
  return v * 65536 + seq;
}

/**
 * A sliding bitmap of the last `size` indices below the highest accepted one.
 * `check` before authenticating, `accept` only after: a forged packet must not
 * move the window.
 */
export class ReplayWindow {
  #bits: Uint32Array;
  #size: number;
  #highest = -1;

  /** @throws RangeError unless `size` is a positive multiple of 32 */
  constructor(size = 512) {
    if (size <= 0 || size % 32 !== 0) {
      throw new RangeError(
        `Cannot create replay window of ${size} packets: not a positive multiple of 32`,
      );
    }
    this.#size = size;
    this.#bits = new Uint32Array(size / 32);
  }

  /** The highest index accepted, or -1. */
  get highest(): number {
    return this.#highest;
  }

  /** True when `index` is new: above the window or unseen inside it. */
  check(index: number): boolean {
    const delta = this.#highest - index;
    if (this.#highest < 0 || delta < 0) return true;
    if (delta >= this.#size) return false;
    return (this.#bits[delta >>> 5]! & (1 << (delta & 31))) === 0;
  }

  /** Marks `index` as received, sliding the window when it is the newest. */
  accept(index: number): void {
    const delta = index - this.#highest;
    if (this.#highest < 0 || delta >= this.#size) {
      this.#bits.fill(0);
      this.#highest = index;
    } else if (delta > 0) {
      this.#shift(delta);
      this.#highest = index;
    } else {
      const back = -delta;
      this.#bits[back >>> 5]! |= 1 << (back & 31);
      return;
    }
    this.#bits[0]! |= 1;
  }

  // Bit i stands for index (highest − i); a new highest shifts every bit up.
  #shift(n: number): void {
    const bits = this.#bits, words = n >>> 5, r = n & 31;
    for (let w = bits.length - 1; w >= 0; w--) {
      const src = w - words;
      const lo = src >= 0 ? bits[src]! : 0;
      const below = src - 1 >= 0 ? bits[src - 1]! : 0;
      bits[w] = r === 0 ? lo : ((lo << r) | (below >>> (32 - r))) >>> 0;
    }
  }
}
