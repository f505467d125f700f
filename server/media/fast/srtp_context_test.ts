import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtpHeader,
  RtpPacket,
  SrtcpSession,
  SrtpSession,
} from "werift";
import { OpenSsl } from "./openssl.ts";
import { SrtpContext, SrtpError, srtpOverhead } from "./srtp_context.ts";
import type { SrtpProfile } from "./srtp_context.ts";

function assertEquals(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: got ${a}, expected ${e}`);
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

const PROFILES = [
  {
    ours: "AES_CM_128_HMAC_SHA1_80",
    theirs: ProtectionProfileAes128CmHmacSha1_80,
    salt: 14,
  },
  {
    ours: "AEAD_AES_128_GCM",
    theirs: ProtectionProfileAeadAes128Gcm,
    salt: 12,
  },
] as const;

interface Pair {
  ours: SrtpContext;
  oursRx: SrtpContext;
  werift: { srtp: SrtpSession; srtcp: SrtcpSession };
  close(): void;
}

/** Ours keyed as werift's *remote* side, so both directions share one key. */
function pair(profile: (typeof PROFILES)[number], ssl: OpenSsl | null): Pair {
  const key = randomBytes(16), salt = randomBytes(profile.salt);
  const keys = {
    localMasterKey: key,
    localMasterSalt: salt,
    remoteMasterKey: key,
    remoteMasterSalt: salt,
  };
  const config = { keys, profile: profile.theirs };
  const ours = SrtpContext.create(key, salt, {
    profile: profile.ours,
    openssl: ssl,
  });
  const oursRx = SrtpContext.create(key, salt, {
    profile: profile.ours,
    openssl: ssl,
  });
  return {
    ours,
    oursRx,
    werift: { srtp: new SrtpSession(config), srtcp: new SrtcpSession(config) },
    close: () => {
      ours.close();
      oursRx.close();
    },
  };
}

function rtp(seq: number, ssrc: number, payload: Uint8Array): Buffer {
  const header = new RtpHeader({
    sequenceNumber: seq,
    timestamp: seq * 3000,
    ssrc,
    payloadType: 96,
    marker: true,
  });
  return new RtpPacket(header, Buffer.from(payload)).serialize();
}

function backends(): { name: string; ssl: OpenSsl | null }[] {
  const ssl = OpenSsl.open();
  if (ssl === null) {
    throw new Error("Cannot run OpenSSL SRTP tests: libcrypto.so.3 not found");
  }
  return [{ name: "openssl", ssl }, { name: "node", ssl: null }];
}

for (const profile of PROFILES) {
  Deno.test(`${profile.ours}: werift unprotects ours and we unprotect werift's across the ROC rollover at seq 65535`, () => {
    for (const { name, ssl } of backends()) {
      const p = pair(profile, ssl);
      try {
        for (let i = 0; i < 12; i++) {
          const seq = (65530 + i) & 0xffff;
          const payload = randomBytes(1200);
          const plain = rtp(seq, 0x11223344, payload);
          const buf = new Uint8Array(plain.length + 16);
          buf.set(plain);
          const n = p.ours.protectRtp(buf, plain.length);
          assertEquals(
            n,
            plain.length + srtpOverhead(profile.ours).rtp,
            `${name} protected length`,
          );
          const dec = p.werift.srtp.decrypt(Buffer.from(buf.subarray(0, n)));
          assertEquals(
            hex(dec),
            hex(plain),
            `${name} werift decrypt seq ${seq}`,
          );

          const header = RtpPacket.deSerialize(plain).header;
          const theirs = p.werift.srtp.encrypt(Buffer.from(payload), header);
          const back = new Uint8Array(theirs);
          const m = p.oursRx.unprotectRtp(back, back.length);
          assertEquals(
            m,
            plain.length,
            `${name} our unprotect length seq ${seq}`,
          );
          assertEquals(
            hex(back.subarray(0, m)),
            hex(plain),
            `${name} our decrypt seq ${seq}`,
          );
        }
      } finally {
        p.close();
        ssl?.close();
      }
    }
  });

  Deno.test(`${profile.ours}: SRTCP round-trips between ours and werift in both directions`, () => {
    for (const { name, ssl } of backends()) {
      const p = pair(profile, ssl);
      try {
        for (let i = 0; i < 3; i++) {
          // A receiver report with one block: 8-byte header + 24-byte block.
          const rr = new Uint8Array(randomBytes(32));
          rr.set([0x81, 201, 0, 7, 0xca, 0xfe, 0xba, 0xbe]);
          const buf = new Uint8Array(64);
          buf.set(rr);
          const n = p.ours.protectRtcp(buf, rr.length);
          const dec = p.werift.srtcp.decrypt(Buffer.from(buf.subarray(0, n)));
          assertEquals(hex(dec), hex(rr), `${name} werift SRTCP decrypt`);

          const theirs = new Uint8Array(
            p.werift.srtcp.encrypt(Buffer.from(rr)),
          );
          const m = p.oursRx.unprotectRtcp(theirs, theirs.length);
          assertEquals(
            hex(theirs.subarray(0, m)),
            hex(rr),
            `${name} our SRTCP decrypt`,
          );
        }
      } finally {
        p.close();
        ssl?.close();
      }
    }
  });

  Deno.test(`${profile.ours}: a replayed packet and a flipped bit are refused without moving the window`, () => {
    for (const { ssl } of backends()) {
      const key = randomBytes(16), salt = randomBytes(profile.salt);
      const tx = SrtpContext.create(key, salt, {
        profile: profile.ours,
        openssl: ssl,
      });
      const rx = SrtpContext.create(key, salt, {
        profile: profile.ours,
        openssl: ssl,
      });
      try {
        const plain = rtp(100, 7, randomBytes(300));
        const buf = new Uint8Array(plain.length + 16);
        buf.set(plain);
        const n = tx.protectRtp(buf, plain.length);
        const forged = buf.slice(0, n);
        forged[20]! ^= 0x40;
        assertEquals(
          rx.unprotectRtp(forged, n),
          SrtpError.authFailed,
          "forged",
        );
        const copy = buf.slice(0, n);
        assertEquals(
          rx.unprotectRtp(buf, n),
          plain.length,
          "genuine after forgery",
        );
        assertEquals(rx.unprotectRtp(copy, n), SrtpError.replayed, "replay");
        assertEquals(
          rx.unprotectRtp(new Uint8Array(5), 5),
          SrtpError.malformed,
          "runt",
        );
      } finally {
        tx.close();
        rx.close();
        ssl?.close();
      }
    }
  });
}

Deno.test("the OpenSSL and node:crypto back ends produce identical bytes for every profile, _32 included", () => {
  const ssl = OpenSsl.open();
  try {
    const profiles: SrtpProfile[] = [
      "AES_CM_128_HMAC_SHA1_80",
      "AES_CM_128_HMAC_SHA1_32",
      "AEAD_AES_128_GCM",
    ];
    for (const profile of profiles) {
      const key = randomBytes(16),
        salt = randomBytes(profile === "AEAD_AES_128_GCM" ? 12 : 14);
      const a = SrtpContext.create(key, salt, { profile, openssl: ssl });
      const b = SrtpContext.create(key, salt, { profile, openssl: null });
      assertEquals([a.backend, b.backend], [
        ssl === null ? "node" : "openssl",
        "node",
      ], "backends");
      const plain = rtp(65535, 99, randomBytes(1000));
      const x = new Uint8Array(plain.length + 16),
        y = new Uint8Array(plain.length + 16);
      x.set(plain);
      y.set(plain);
      const n = a.protectRtp(x, plain.length);
      assertEquals(b.protectRtp(y, plain.length), n, `${profile} length`);
      assertEquals(hex(x), hex(y), `${profile} bytes`);
      const c = SrtpContext.create(key, salt, { profile, openssl: null });
      assertEquals(
        c.unprotectRtp(x, n),
        plain.length,
        `${profile} node unprotects openssl`,
      );
      c.close();
      assertEquals(
        hex(x.subarray(0, plain.length)),
        hex(plain),
        `${profile} plaintext`,
      );
      a.close();
      b.close();
    }
  } finally {
    ssl?.close();
  }
});
