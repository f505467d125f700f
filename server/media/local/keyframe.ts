/**
 * Keyframe detection from the RTP payload, per codec.
 *
 * Answers whether a packet is the first packet of a keyframe, which is where
 * a subscriber can start decoding a new simulcast layer. Codecs it does not
 * know give `undefined` ("unknown") rather than a guess.
 *
 * @module
 */

/**
 * Tells whether `payload` (an RTP payload of `codec`) starts a keyframe.
 * Audio packets always do.
 */
export function startsKeyframe(
  codec: string,
  payload: Uint8Array,
): boolean | undefined {
  switch (codec) {
    case "vp8":
      return vp8(payload);
    case "vp9":
      return vp9(payload);
    case "h264":
      return h264(payload);
    case "av1":
      // Aggregation header: Z(1) Y(1) W(2) N(1); N marks the first packet of
      // a coded video sequence, Z a continuation (draft AV1 RTP spec §4.4).
      return payload.length > 0 && (payload[0]! & 0x88) === 0x08;
    case "opus":
    case "g722":
    case "pcmu":
    case "pcma":
      return true;
    default:
      return undefined;
  }
}

// RFC 7741 §4.2: X R N S R PID | I L T K RSV | PictureID | TL0PICIDX | TID/KEYIDX
function vp8(p: Uint8Array): boolean {
  if (p.length < 1) return false;
  const b0 = p[0]!;
  // Start of partition 0 (S=1, PID=0) carries the VP8 payload header.
  if ((b0 & 0x10) === 0 || (b0 & 0x07) !== 0) return false;
  let i = 1;
  if (b0 & 0x80) {
    if (p.length < 2) return false;
    const x = p[i++]!;
    if (x & 0x80) i += (p[i] ?? 0) & 0x80 ? 2 : 1;
    if (x & 0x40) i++;
    if (x & 0x30) i++;
  }
  // RFC 7741 §4.3: P bit (bit 0 of the first header byte) is 0 for key frames.
  return i < p.length && (p[i]! & 0x01) === 0;
}

// RFC 9628 §4.2: I P L F B E V Z, then picture id, then layer indices.
function vp9(p: Uint8Array): boolean {
  if (p.length < 1) return false;
  const b0 = p[0]!;
  if ((b0 & 0x40) !== 0 || (b0 & 0x08) === 0) return false; // P=1 or not start of frame
  if ((b0 & 0x20) === 0) return true; // no layer indices: single layer
  let i = 1;
  if (b0 & 0x80) i += (p[1] ?? 0) & 0x80 ? 2 : 1;
  if (i >= p.length) return false;
  return ((p[i]! >> 1) & 0x07) === 0; // spatial layer 0 starts the keyframe
}

// RFC 6184: single NAL, STAP-A (24), FU-A (28); 5 = IDR slice, 7 = SPS.
function h264(p: Uint8Array): boolean {
  if (p.length < 1) return false;
  const type = p[0]! & 0x1f;
  if (type === 5 || type === 7) return true;
  if (type === 24) {
    for (let i = 1; i + 2 < p.length;) {
      const size = (p[i]! << 8) | p[i + 1]!;
      const nal = p[i + 2]! & 0x1f;
      if (nal === 5 || nal === 7) return true;
      i += 2 + size;
    }
    return false;
  }
  if (type === 28) {
    return p.length > 1 && (p[1]! & 0x80) !== 0 && (p[1]! & 0x1f) === 5;
  }
  return false;
}
