/**
 * IP addresses as STUN carries them: 4 or 16 bytes, to and from the text
 * forms that sockets use (`192.0.2.1`, `2001:db8::1`).
 *
 * @module
 */

/** A transport address: an IP (text form) and a port. */
export interface TransportAddress {
  family: 4 | 6;
  address: string;
  port: number;
}

/** The 4 or 16 bytes of `address`, or null when it is not an IP address. */
export function ipToBytes(address: string): Uint8Array | null {
  if (address.includes(":")) return ipv6ToBytes(address);
  const parts = address.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    out[i] = Number(p);
  }
  return out;
}

function ipv6ToBytes(address: string): Uint8Array | null {
  let text = address;
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  const out = new Uint8Array(16);
  // An embedded IPv4 tail (`::ffff:192.0.2.1`) fills the last 4 bytes.
  let tail: Uint8Array | null = null;
  const lastColon = text.lastIndexOf(":");
  if (text.indexOf(".", lastColon) >= 0) {
    tail = ipToBytes(text.slice(lastColon + 1));
    if (tail === null || tail.length !== 4) return null;
    text = text.slice(0, lastColon + 1) + "0:0";
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] === "" ? [] : halves[0]!.split(":");
  const rest = halves.length === 2
    ? (halves[1] === "" ? [] : halves[1]!.split(":"))
    : [];
  const groups = head.length + rest.length;
  if (halves.length === 1 ? groups !== 8 : groups > 7) return null;
  const all = [...head, ...new Array(8 - groups).fill("0"), ...rest];
  for (let i = 0; i < 8; i++) {
    const g = all[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 255;
  }
  if (tail !== null) out.set(tail, 12);
  return out;
}

/** The text form of 4 or 16 address bytes (RFC 5952 for IPv6). */
export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // The longest run of two or more zero groups becomes "::".
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return hex.slice(0, best).join(":") + "::" +
    hex.slice(best + bestLength).join(":");
}

/** 4 or 6, or null when `address` is not an IP address. */
export function ipFamily(address: string): 4 | 6 | null {
  const bytes = ipToBytes(address);
  return bytes === null ? null : bytes.length === 4 ? 4 : 6;
}

/** True for 127.0.0.0/8 and ::1. */
export function isLoopback(address: string): boolean {
  const b = ipToBytes(address);
  if (b === null) return false;
  if (b.length === 4) return b[0] === 127;
  return b.every((v, i) => v === (i === 15 ? 1 : 0));
}
