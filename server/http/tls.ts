/**
 * The server's TLS certificate: loaded from the data directory, or generated
 * self-signed on first start so that a fresh install speaks HTTPS at once
 * (browsers refuse getUserMedia on plain HTTP except on localhost).
 *
 * @module
 */

import { isIP } from "node:net";
import { join } from "node:path";

/** A PEM certificate chain and its PEM private key, as `Deno.serve` takes them. */
export interface CertificatePair {
  /** PEM certificate (chain). */
  cert: string;
  /** PEM private key. */
  key: string;
  /** True when this call generated and wrote a new self-signed pair. */
  generated: boolean;
}

/** Options for {@linkcode loadOrCreateCertificate}. */
export interface LoadCertificateOptions {
  /** Extra names (DNS names or IP addresses) for a generated certificate. */
  hostnames?: string[];
  /** Where to report that a certificate was generated. */
  log?: (message: string) => void;
}

const CERT_FILE = "cert.pem";
const KEY_FILE = "key.pem";
// One year. Browsers cap publicly trusted certificates
// lower, but a self-signed one is trusted by explicit exception anyway.
const VALIDITY_MS = 365 * 24 * 60 * 60 * 1000;
// Backdate a little so a client whose clock lags does not reject a new cert.
const BACKDATE_MS = 5 * 60 * 1000;

/**
 * Read `<dataDir>/cert.pem` and `<dataDir>/key.pem`, or, when both are
 * absent, generate a self-signed ECDSA P-256 certificate and write them
 * (the key with mode 0600).
 *
 * @example
 * ```ts
 * const { cert, key } = await loadOrCreateCertificate("./data");
 * Deno.serve({ cert, key, port: 8443 }, () => new Response("hi"));
 * ```
 *
 * @throws {Error} When only one of the two files exists, or one is not PEM.
 * @throws {RangeError} When an extra host name is neither a DNS name nor an IP.
 */
export async function loadOrCreateCertificate(
  dataDir: string,
  options: LoadCertificateOptions = {},
): Promise<CertificatePair> {
  const certPath = join(dataDir, CERT_FILE);
  const keyPath = join(dataDir, KEY_FILE);
  const cert = await readIfExists(certPath);
  const key = await readIfExists(keyPath);

  if (cert !== undefined && key !== undefined) {
    assertPem(certPath, cert, "CERTIFICATE");
    assertPem(keyPath, key, "PRIVATE KEY");
    return { cert, key, generated: false };
  }
  if (cert !== undefined) {
    throw new Error(
      `TLS certificate "${certPath}" exists but its key "${keyPath}" is missing`,
    );
  }
  if (key !== undefined) {
    throw new Error(
      `TLS key "${keyPath}" exists but its certificate "${certPath}" is missing`,
    );
  }

  const names = certificateNames(options.hostnames ?? []);
  const pair = await generateSelfSigned(names);
  await Deno.mkdir(dataDir, { recursive: true });
  // createNew: never clobber a pair another process wrote meanwhile. The key
  // goes first so that a crash in between leaves the "key without
  // certificate" state, which the error above explains.
  await Deno.writeTextFile(keyPath, pair.key, { mode: 0o600, createNew: true });
  // The mode given at creation is filtered by the umask; make it exact.
  await Deno.chmod(keyPath, 0o600);
  await Deno.writeTextFile(certPath, pair.cert, { createNew: true });
  options.log?.(
    `Generated a self-signed TLS certificate for ${
      names.join(", ")
    } in "${certPath}"`,
  );
  return { ...pair, generated: true };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

function assertPem(path: string, text: string, label: string): void {
  // "PRIVATE KEY" also matches "EC PRIVATE KEY" and "RSA PRIVATE KEY".
  if (!new RegExp(`-----BEGIN [A-Z ]*${label}-----`).test(text)) {
    throw new Error(`TLS file "${path}" does not contain a PEM ${label}`);
  }
}

function certificateNames(extra: string[]): string[] {
  const names = ["localhost", "127.0.0.1", "::1"];
  for (const name of extra) {
    const trimmed = name.trim().toLowerCase();
    if (
      isIP(trimmed) === 0 && !/^[a-z0-9*]([a-z0-9.-]*[a-z0-9])?$/.test(trimmed)
    ) {
      throw new RangeError(
        `Cannot put "${name}" in a TLS certificate: not a host name or IP address`,
      );
    }
  }
  let host = "";
  try {
    host = Deno.hostname();
  } catch {
    // Without --allow-sys the machine name is simply not included.
  }
  for (const name of [host, ...extra]) {
    const trimmed = name.trim().toLowerCase();
    if (trimmed !== "" && !names.includes(trimmed)) names.push(trimmed);
  }
  return names;
}

/** The subject's common name: the most specific DNS name we know. */
function commonName(names: string[]): string {
  return names.findLast((n) => isIP(n) === 0) ?? "localhost";
}

async function generateSelfSigned(
  names: string[],
): Promise<{ cert: string; key: string }> {
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await crypto.subtle.generateKey(algorithm, true, [
    "sign",
    "verify",
  ]);
  const spki = new Uint8Array(
    await crypto.subtle.exportKey("spki", keys.publicKey),
  );
  const point = new Uint8Array(
    await crypto.subtle.exportKey("raw", keys.publicKey),
  );
  // RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits.
  const keyId = new Uint8Array(await crypto.subtle.digest("SHA-1", point));
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0] ?? 0) & 0x7f; // a positive INTEGER, RFC 5280 §4.1.2.2
  const now = Date.now();
  const tbs = encodeTbsCertificate({
    serial,
    commonName: commonName(names),
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + VALIDITY_MS),
    spki,
    keyId,
    names,
  });
  const signature = new Uint8Array(
    await crypto.subtle.sign(algorithm, keys.privateKey, tbs),
  );
  const certificate = sequence(
    tbs,
    ecdsaWithSha256(),
    bitString(ecdsaSignatureToDer(signature)),
  );
  const pkcs8 = new Uint8Array(
    await crypto.subtle.exportKey("pkcs8", keys.privateKey),
  );
  return {
    cert: toPem(certificate, "CERTIFICATE"),
    key: toPem(pkcs8, "PRIVATE KEY"),
  };
}

// The X.509 encoding below is written out by hand rather than with
// @peculiar/x509: its 2.x release needs a global `Reflect.getMetadata`
// polyfill (through tsyringe) that no module should install on import.
// A server certificate needs only a handful of DER constructs.

/** DER output is always backed by a plain ArrayBuffer, as WebCrypto wants. */
type Bytes = Uint8Array<ArrayBuffer>;

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
} as const;

/** RFC 5758 §3.2: the parameters field is absent for ecdsa-with-SHA256. */
function ecdsaWithSha256(): Bytes {
  return sequence(oid(OID.ecdsaWithSha256));
}

interface TbsFields {
  serial: Uint8Array;
  commonName: string;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  keyId: Uint8Array;
  names: string[];
}

function encodeTbsCertificate(f: TbsFields): Bytes {
  const name = sequence(
    set(sequence(oid(OID.commonName), utf8(f.commonName))),
    set(sequence(oid(OID.organization), utf8("Nereid"))),
  );
  const altNames = f.names.map((n) => {
    const ip = isIP(n) ? ipBytes(n) : undefined;
    // GeneralName: [2] IMPLICIT IA5String dNSName, [7] IMPLICIT iPAddress.
    return ip ? tlv(0x87, ip) : tlv(0x82, new TextEncoder().encode(n));
  });
  const extensions = [
    // A leaf, not a CA: empty SEQUENCE since cA defaults to FALSE.
    extension(OID.basicConstraints, sequence(), true),
    // digitalSignature is bit 0: one byte 0x80 with 7 unused bits.
    extension(OID.keyUsage, tlv(0x03, Uint8Array.of(7, 0x80)), true),
    extension(OID.extKeyUsage, sequence(oid(OID.serverAuth)), false),
    extension(OID.subjectAltName, sequenceOf(altNames), false),
    extension(OID.subjectKeyIdentifier, tlv(0x04, f.keyId), false),
  ];
  return sequence(
    tlv(0xa0, integer(Uint8Array.of(2))), // [0] EXPLICIT v3
    integer(f.serial),
    ecdsaWithSha256(),
    name,
    sequence(time(f.notBefore), time(f.notAfter)),
    name,
    f.spki,
    tlv(0xa3, sequenceOf(extensions)), // [3] EXPLICIT extensions
  );
}

function extension(id: string, value: Uint8Array, critical: boolean) {
  const parts = [oid(id)];
  if (critical) parts.push(tlv(0x01, Uint8Array.of(0xff)));
  parts.push(tlv(0x04, value));
  return sequenceOf(parts);
}

/** WebCrypto signs as r‖s (IEEE P1363); X.509 wants SEQUENCE { r, s }. */
function ecdsaSignatureToDer(raw: Uint8Array): Bytes {
  const half = raw.length / 2;
  return sequence(
    integer(raw.subarray(0, half)),
    integer(raw.subarray(half)),
  );
}

function tlv(tag: number, body: Uint8Array): Bytes {
  const len = body.length;
  const lenBytes: number[] = [];
  if (len < 0x80) {
    lenBytes.push(len);
  } else {
    // Long form, X.690 §8.1.3.5: a count byte, then big-endian length.
    for (let n = len; n > 0; n = Math.floor(n / 256)) lenBytes.unshift(n % 256);
    lenBytes.unshift(0x80 | lenBytes.length);
  }
  const out = new Uint8Array(1 + lenBytes.length + len);
  out[0] = tag;
  out.set(lenBytes, 1);
  out.set(body, 1 + lenBytes.length);
  return out;
}

function sequence(...items: Uint8Array[]): Bytes {
  return sequenceOf(items);
}

function set(...items: Uint8Array[]): Bytes {
  return tlv(0x31, concat(items));
}

/** An unsigned big-endian magnitude as a minimal DER INTEGER. */
function integer(magnitude: Uint8Array): Bytes {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const pad = (trimmed[0] ?? 0) & 0x80 ? [Uint8Array.of(0)] : [];
  return tlv(0x02, concat([...pad, trimmed]));
}

function bitString(bytes: Uint8Array): Bytes {
  return tlv(0x03, concat([Uint8Array.of(0), bytes]));
}

function utf8(text: string): Bytes {
  return tlv(0x0c, new TextEncoder().encode(text));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime after. */
function time(date: Date): Bytes {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-:T]/g, "") + "Z";
  const utc = date.getUTCFullYear() < 2050;
  const text = utc ? digits.slice(2) : digits;
  return tlv(utc ? 0x17 : 0x18, new TextEncoder().encode(text));
}

function sequenceOf(items: Uint8Array[]): Bytes {
  return tlv(0x30, concat(items));
}

function oid(dotted: string): Bytes {
  const arcs = dotted.split(".").map(Number);
  const bytes: number[] = [(arcs[0] ?? 0) * 40 + (arcs[1] ?? 0)];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let n = arc >>> 7; n > 0; n >>>= 7) chunk.unshift(0x80 | (n & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(bytes));
}

function ipBytes(address: string): Bytes {
  if (isIP(address) === 4) {
    return Uint8Array.from(address.split(".").map(Number));
  }
  // IPv6: expand "::", and an embedded dotted IPv4 tail into two groups.
  let text = address;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
    ];
    text = text.slice(0, v4.index) +
      `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = Array(8 - left.length - right.length).fill("0");
  const groups = [...left, ...(tail === undefined ? [] : zeros), ...right];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
}

function concat(parts: Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function toPem(bytes: Uint8Array, label: string): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${
    lines.join("\n")
  }\n-----END ${label}-----\n`;
}
