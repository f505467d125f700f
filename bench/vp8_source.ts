/**
 * Synthetic VP8 video as RTP bytes, for the load bots: 1200-byte packets
 * whose payload descriptors and frame headers look like a browser's, and a
 * send-time stamp at the end of every payload for latency.
 *
 * @example
 * ```ts
 * const source = new Vp8Source({ ssrc: 1, payloadType: 96, rate: 3000 });
 * const bytes = source.next(performance.now()); // reused buffer
 * ```
 *
 * @module
 */

/** Size of every RTP packet before SRTP, bytes. */
export const PACKET_BYTES = 1200;
/** Bytes at the end of the payload that carry the stamp: magic + float64. */
export const STAMP_BYTES = 12;
const STAMP_MAGIC = 0x4e524442; // "NRDB"
const HEADER_BYTES = 12;
const FPS = 30;

/** Options of {@link Vp8Source}. */
export interface Vp8SourceOptions {
  ssrc: number;
  payloadType: number;
  /** Packets per second: frames get rate/30 packets (at least one). */
  rate: number;
}

/** Makes a stream of VP8 RTP packets: 30 frames/s, a keyframe every second. */
export class Vp8Source {
  readonly #buf = new Uint8Array(PACKET_BYTES);
  readonly #view = new DataView(this.#buf.buffer);
  #perFrame = 1;
  #framesPerKey = FPS;
  #seq = Math.floor(Math.random() * 65536);
  #timestamp = Math.floor(Math.random() * 2 ** 32);
  #index = 0;
  #frame = 0;

  constructor(options: Vp8SourceOptions) {
    this.#buf[0] = 0x80; // V=2
    this.#view.setUint32(8, options.ssrc >>> 0);
    this.#buf[1] = options.payloadType & 0x7f;
    this.setRate(options.rate);
  }

  /**
   * Sets the packet rate; the next packet starts a keyframe, so that every
   * measurement step begins as a browser's stream after a PLI does.
   */
  setRate(rate: number): void {
    this.#perFrame = Math.max(1, Math.round(rate / FPS));
    // Frames per second at this rate: a keyframe once a second.
    this.#framesPerKey = Math.max(1, Math.round(rate / this.#perFrame));
    if (this.#index !== 0) this.#timestamp += 3000;
    this.#index = 0;
    this.#frame = 0;
  }

  /** The next packet, stamped with `now` (ms); valid until the next call. */
  next(now: number): Uint8Array {
    const buf = this.#buf;
    const view = this.#view;
    const first = this.#index % this.#perFrame === 0;
    const last = (this.#index + 1) % this.#perFrame === 0;
    if (first && this.#index !== 0) {
      this.#frame++;
      this.#timestamp += 90000 / Math.max(1, this.#framesPerKey) | 0;
    }
    const key = this.#frame % this.#framesPerKey === 0;
    buf[1] = (buf[1]! & 0x7f) | (last ? 0x80 : 0);
    view.setUint16(2, this.#seq & 0xffff);
    view.setUint32(4, this.#timestamp >>> 0);
    this.#seq++;
    this.#index++;
    writeDescriptor(buf, { first, key, pictureId: this.#frame & 0x7fff });
    view.setUint32(PACKET_BYTES - STAMP_BYTES, STAMP_MAGIC);
    view.setFloat64(PACKET_BYTES - 8, now, true);
    return buf;
  }
}

// RFC 7741 §4.2: X=1, S on a frame's first packet, PID 0; I=1 with a 15-bit
// picture id, as browsers send. §4.3/RFC 6386 §9.1: the first packet also
// carries the frame tag (P=0 on keyframes, show_frame=1) and, for keyframes,
// the start code and a 640×360 size.
function writeDescriptor(
  buf: Uint8Array,
  options: { first: boolean; key: boolean; pictureId: number },
): void {
  let i = HEADER_BYTES;
  buf[i++] = options.first ? 0x90 : 0x80;
  buf[i++] = 0x80;
  buf[i++] = 0x80 | (options.pictureId >> 8);
  buf[i++] = options.pictureId & 0xff;
  if (!options.first) return;
  buf[i++] = options.key ? 0x10 : 0x11;
  buf[i++] = 0x00;
  buf[i++] = 0x00;
  if (!options.key) return;
  buf.set([0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01], i);
}

/**
 * Reads the stamp of a decrypted RTP packet of `length` bytes, or NaN when
 * the packet carries none.
 */
export function readStamp(packet: Uint8Array, length: number): number {
  if (length < HEADER_BYTES + STAMP_BYTES) return NaN;
  const view = new DataView(
    packet.buffer,
    packet.byteOffset + length - STAMP_BYTES,
    STAMP_BYTES,
  );
  if (view.getUint32(0) !== STAMP_MAGIC) return NaN;
  return view.getFloat64(4, true);
}
