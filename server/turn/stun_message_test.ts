import { assert, assertEquals } from "../../tests/support/assert.ts";
import { Attr, ErrorCode, MessageClass, Method } from "./stun_constants.ts";
import { crc32, longTermKey } from "./stun_integrity.ts";
import { decodeStun, type StunMessage } from "./stun_message.ts";
import { StunWriter } from "./stun_writer.ts";
import { channelOf, channelPayload, writeChannelData } from "./channel_data.ts";
import { bytesToIp, ipToBytes } from "./ip_address.ts";

// RFC 5769 §2 test vectors, typed in from the RFC's text.
function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

const SHORT_TERM_PASSWORD = new TextEncoder().encode("VOkJxbRl1RmTxUk/WvJxBt");

const SAMPLE_REQUEST = hex(`
  00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
  00 24 00 04 6e 00 01 ff
  80 29 00 08 93 2f f9 b1 51 26 3b 36
  00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
  00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
  80 28 00 04 e5 7a 3b cf`);

const SAMPLE_IPV4_RESPONSE = hex(`
  01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 08 00 01 a1 47 e1 12 a6 43
  00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
  80 28 00 04 c0 7d 4c 96`);

const SAMPLE_IPV6_RESPONSE = hex(`
  01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
  80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
  00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
  00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
  80 28 00 04 c8 fb 0b 4c`);

const SAMPLE_LONG_TERM_REQUEST = hex(`
  00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
  00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
  00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46
              53 54 76 79 36 34 73 41
  00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
  00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66`);

function decoded(bytes: Uint8Array): StunMessage {
  const r = decodeStun(bytes);
  if (!r.ok) throw new Error(`Decoding failed: ${r.reason}`);
  return r.message;
}

Deno.test("decodeStun() reads RFC 5769's sample request and checks its integrity", () => {
  const m = decoded(SAMPLE_REQUEST);
  assertEquals(m.method, Method.binding);
  assertEquals(m.cls, MessageClass.request);
  assert(m.hasFingerprint);
  assertEquals(m.text(Attr.software), "STUN test client");
  assertEquals(m.text(Attr.username), "evtj:h6vY");
  assert(m.verifyIntegrity(SHORT_TERM_PASSWORD));
  assert(!m.verifyIntegrity(new TextEncoder().encode("wrong")));
});

Deno.test("decodeStun() reads RFC 5769's IPv4 response", () => {
  const m = decoded(SAMPLE_IPV4_RESPONSE);
  assertEquals(m.cls, MessageClass.success);
  assertEquals(m.xorAddress(Attr.xorMappedAddress), {
    family: 4,
    address: "192.0.2.1",
    port: 32853,
  });
  assert(m.verifyIntegrity(SHORT_TERM_PASSWORD));
});

Deno.test("decodeStun() reads RFC 5769's IPv6 response", () => {
  const m = decoded(SAMPLE_IPV6_RESPONSE);
  assertEquals(m.xorAddress(Attr.xorMappedAddress), {
    family: 6,
    address: "2001:db8:1234:5678:11:2233:4455:6677",
    port: 32853,
  });
  assert(m.verifyIntegrity(SHORT_TERM_PASSWORD));
});

Deno.test("a long-term key verifies RFC 5769's request with long-term authentication", () => {
  const m = decoded(SAMPLE_LONG_TERM_REQUEST);
  assertEquals(m.text(Attr.username), "マトリックス");
  assertEquals(m.text(Attr.realm), "example.org");
  assertEquals(m.text(Attr.nonce), "f//499k954d6OL34oL9FSTvy64sA");
  assert(!m.hasFingerprint);
  // The RFC's password after SASLprep.
  assert(
    m.verifyIntegrity(longTermKey("マトリックス", "example.org", "TheMatrIX")),
  );
  assert(
    !m.verifyIntegrity(longTermKey("マトリックス", "example.org", "TheMatrix")),
  );
});

Deno.test("StunWriter re-creates RFC 5769's IPv4 response (integrity and fingerprint)", () => {
  const tid = SAMPLE_IPV4_RESPONSE.subarray(8, 20);
  // The RFC pads SOFTWARE with a space where RFC 8489 writes zero: compare
  // all but that byte, then check the checksums this writer computed.
  const w = new StunWriter(Method.binding, MessageClass.success, tid)
    .text(Attr.software, "test vector")
    .xorAddress(Attr.xorMappedAddress, {
      family: 4,
      address: "192.0.2.1",
      port: 32853,
    });
  const ours = w.finish({ key: SHORT_TERM_PASSWORD, fingerprint: true });
  assertEquals(ours.length, SAMPLE_IPV4_RESPONSE.length);
  // Same bytes but the padding byte of SOFTWARE (0x00 here, 0x20 there).
  const theirs = SAMPLE_IPV4_RESPONSE.slice();
  theirs[35] = 0;
  assertEquals(ours.subarray(0, 48), theirs.subarray(0, 48));
  const m = decoded(ours);
  assert(m.verifyIntegrity(SHORT_TERM_PASSWORD));
  assert(m.hasFingerprint);
});

Deno.test("StunWriter writes IPv6 XOR addresses the RFC's way", () => {
  const tid = SAMPLE_IPV6_RESPONSE.subarray(8, 20);
  const ours = new StunWriter(Method.binding, MessageClass.success, tid)
    .xorAddress(Attr.xorMappedAddress, {
      family: 6,
      address: "2001:db8:1234:5678:11:2233:4455:6677",
      port: 32853,
    }).finish();
  assertEquals(ours.subarray(20), SAMPLE_IPV6_RESPONSE.subarray(36, 60));
});

Deno.test("StunWriter writes error codes and unknown attributes", () => {
  const tid = new Uint8Array(12).fill(7);
  const bytes = new StunWriter(Method.allocate, MessageClass.error, tid)
    .errorCode(ErrorCode.unknownAttribute)
    .unknownAttributes([0x1234, 0x0001])
    .finish({ fingerprint: true });
  const m = decoded(bytes);
  assertEquals(m.method, Method.allocate);
  assertEquals(m.cls, MessageClass.error);
  const e = m.get(Attr.errorCode)!;
  assertEquals(e[2]! * 100 + e[3]!, 420);
  assertEquals([...m.get(Attr.unknownAttributes)!], [0x12, 0x34, 0x00, 0x01]);
});

Deno.test("crc32() matches the standard check value", () => {
  assertEquals(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
});

Deno.test("decodeStun() refuses malformed input without throwing", () => {
  const cases: Uint8Array[] = [
    new Uint8Array(0),
    new Uint8Array(19),
    SAMPLE_REQUEST.subarray(0, 100), // length field disagrees
    (() => { // wrong cookie
      const b = SAMPLE_REQUEST.slice();
      b[4] = 0;
      return b;
    })(),
    (() => { // top bits set
      const b = SAMPLE_REQUEST.slice();
      b[0] = 0x80;
      return b;
    })(),
    (() => { // a flipped bit breaks the fingerprint
      const b = SAMPLE_REQUEST.slice();
      b[30] = b[30]! ^ 1;
      return b;
    })(),
    (() => { // an attribute longer than the message
      const b = SAMPLE_REQUEST.slice();
      b[23] = 0xf0;
      return b;
    })(),
  ];
  for (const c of cases) assert(!decodeStun(c).ok);
  // Random bytes with a valid header: never throws.
  const junk = new Uint8Array(120);
  for (let i = 0; i < 2000; i++) {
    crypto.getRandomValues(junk);
    junk.set(SAMPLE_REQUEST.subarray(0, 8));
    junk[2] = 0;
    junk[3] = 100;
    const r = decodeStun(junk);
    if (r.ok) {
      r.message.xorAddress(Attr.xorPeerAddress);
      r.message.u32(Attr.lifetime);
      r.message.verifyIntegrity(SHORT_TERM_PASSWORD);
    }
  }
});

Deno.test("ChannelData round-trips, padded for TCP", () => {
  const out = new Uint8Array(16);
  const n = writeChannelData(out, 0x4001, new Uint8Array([1, 2, 3, 4, 5]), {
    pad: true,
  });
  assertEquals(n, 12);
  assertEquals(channelOf(out.subarray(0, n)), 0x4001);
  assertEquals([...channelPayload(out.subarray(0, n))], [1, 2, 3, 4, 5]);
  assertEquals(channelOf(out.subarray(0, 8)), -1);
});

Deno.test("IP addresses convert both ways", () => {
  for (
    const ip of [
      "127.0.0.1",
      "::1",
      "::",
      "2001:db8::1",
      "fe80::1:0:0:1",
    ]
  ) {
    assertEquals(bytesToIp(ipToBytes(ip)!), ip);
  }
  // RFC 5952 §4.2.3: of two equal runs of zeros, the first is shortened.
  assertEquals(
    bytesToIp(ipToBytes("2001:db8:0:0:1:0:0:1")!),
    "2001:db8::1:0:0:1",
  );
  assertEquals(bytesToIp(ipToBytes("::ffff:192.0.2.1")!), "::ffff:c000:201");
  assertEquals(ipToBytes("1.2.3"), null);
  assertEquals(ipToBytes("256.1.1.1"), null);
  assertEquals(ipToBytes("1::2::3"), null);
});
