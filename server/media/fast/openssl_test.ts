import { createCipheriv, createHmac, randomBytes } from "node:crypto";
import { OpenSsl } from "./openssl.ts";

function assertEquals(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: got ${a}, expected ${e}`);
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function mustOpen(): OpenSsl {
  const ssl = OpenSsl.open();
  if (ssl === null) {
    throw new Error("Cannot run OpenSSL tests: libcrypto.so.3 not found");
  }
  return ssl;
}

Deno.test("open() returns null when no candidate path loads", () => {
  assertEquals(
    OpenSsl.open({ paths: ["/nonexistent/libcrypto.so.3"] }),
    null,
    "open",
  );
});

Deno.test("open() finds the system libcrypto and reports OpenSSL 3", () => {
  const ssl = mustOpen();
  try {
    assertEquals(ssl.version.startsWith("OpenSSL 3"), true, ssl.version);
  } finally {
    ssl.close();
  }
});

Deno.test("aes128Ctr().xor() matches node:crypto on a sub-range, twice with the same context", () => {
  const ssl = mustOpen();
  try {
    const key = randomBytes(16);
    const ctr = ssl.aes128Ctr(key);
    for (let round = 0; round < 2; round++) {
      const iv = randomBytes(16);
      const data = new Uint8Array(randomBytes(1250));
      const expected = createCipheriv("aes-128-ctr", key, iv).update(
        data.subarray(20, 1237),
      );
      const got = data.slice();
      ctr.xor(iv, got, 20, 1237);
      assertEquals(hex(got.subarray(20, 1237)), hex(expected), "ciphertext");
      assertEquals(
        hex(got.subarray(0, 20)),
        hex(data.subarray(0, 20)),
        "bytes before range",
      );
      assertEquals(
        hex(got.subarray(1237)),
        hex(data.subarray(1237)),
        "bytes after range",
      );
      ctr.xor(iv, got, 20, 1237);
      assertEquals(hex(got), hex(data), "xor twice restores the plaintext");
    }
  } finally {
    ssl.close();
  }
});

Deno.test("hmacSha1() over several ranges matches node:crypto and re-arms per message", () => {
  const ssl = mustOpen();
  try {
    const key = randomBytes(20);
    const mac = ssl.hmacSha1(key);
    const out = new Uint8Array(20);
    for (const len of [0, 1, 63, 64, 65, 1200]) {
      const data = new Uint8Array(randomBytes(len + 4));
      mac.begin();
      mac.update(data, 0, len);
      mac.update(data, len, len + 4);
      mac.finish(out);
      assertEquals(
        hex(out),
        createHmac("sha1", key).update(data).digest("hex"),
        `len ${len}`,
      );
    }
  } finally {
    ssl.close();
  }
});

Deno.test("aes128Gcm() seals like node:crypto and open() rejects a flipped bit", () => {
  const ssl = mustOpen();
  try {
    const key = randomBytes(16);
    const gcm = ssl.aes128Gcm(key);
    const iv = randomBytes(12);
    const packet = new Uint8Array(randomBytes(12 + 1000 + 16));
    const plain = packet.slice();
    const node = createCipheriv("aes-128-gcm", key, iv);
    node.setAAD(packet.subarray(0, 12));
    const expected = node.update(packet.subarray(12, 1012));
    node.final();
    const expectedTag = node.getAuthTag();

    gcm.begin(iv, "encrypt");
    gcm.aad(packet, 0, 12);
    gcm.update(packet, 12, 1012);
    gcm.seal(packet, 1012);
    assertEquals(hex(packet.subarray(12, 1012)), hex(expected), "ciphertext");
    assertEquals(hex(packet.subarray(1012)), hex(expectedTag), "tag");

    const forged = packet.slice();
    forged[3]! ^= 1;
    gcm.begin(iv, "decrypt");
    gcm.aad(forged, 0, 12);
    gcm.update(forged, 12, 1012);
    assertEquals(gcm.open(forged, 1012), false, "forged header accepted");

    gcm.begin(iv, "decrypt");
    gcm.aad(packet, 0, 12);
    gcm.update(packet, 12, 1012);
    assertEquals(gcm.open(packet, 1012), true, "genuine packet rejected");
    assertEquals(
      hex(packet.subarray(0, 1012)),
      hex(plain.subarray(0, 1012)),
      "plaintext",
    );
  } finally {
    ssl.close();
  }
});

Deno.test("a closed context throws instead of touching freed memory, and close() is idempotent", () => {
  const ssl = mustOpen();
  const ctr = ssl.aes128Ctr(new Uint8Array(16));
  const mac = ssl.hmacSha1(new Uint8Array(20));
  ctr.close();
  ctr.close();
  ssl.close();
  let thrown = 0;
  try {
    ctr.xor(new Uint8Array(16), new Uint8Array(32), 0, 32);
  } catch {
    thrown++;
  }
  try {
    mac.begin();
  } catch {
    thrown++;
  }
  assertEquals(thrown, 2, "errors thrown");
});

Deno.test("aes128Ctr() rejects a key that is not 16 bytes", () => {
  const ssl = mustOpen();
  try {
    let message = "";
    try {
      ssl.aes128Ctr(new Uint8Array(15));
    } catch (e) {
      message = (e as Error).message;
    }
    assertEquals(
      message,
      "Cannot key AES-128-CTR: key is 15 bytes, expected 16",
      "message",
    );
  } finally {
    ssl.close();
  }
});
