/**
 * Per-packet costs of the transport fast path, 1200-byte RTP payloads:
 * werift's own SRTP against ours (OpenSSL and node:crypto back ends), and
 * `node:dgram` sends against batched `sendmmsg`, to a loopback sink.
 *
 * Run: `deno bench -A server/media/fast/fast_bench.ts`. UDP benches send 32
 * datagrams per iteration: divide by 32 for a packet.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createSocket } from "node:dgram";
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtpHeader,
  RtpPacket,
  SrtpSession,
} from "werift";
import { OpenSsl } from "./openssl.ts";
import { SrtpContext } from "./srtp_context.ts";
import type { SrtpProfile } from "./srtp_context.ts";
import { LibcUdpSocket } from "./libc_socket.ts";
import { UdpBatchSocket } from "./udp_batch.ts";

const ssl = OpenSsl.open();
const payload = Buffer.alloc(1200, 0xab);
const RING = 4096;

function rtp(seq: number): Buffer {
  return new RtpPacket(
    new RtpHeader({ sequenceNumber: seq, ssrc: 1234, payloadType: 96 }),
    payload,
  ).serialize();
}

const profiles = [
  {
    ours: "AEAD_AES_128_GCM" as SrtpProfile,
    theirs: ProtectionProfileAeadAes128Gcm,
    salt: 12,
    label: "GCM",
  },
  {
    ours: "AES_CM_128_HMAC_SHA1_80" as SrtpProfile,
    theirs: ProtectionProfileAes128CmHmacSha1_80,
    salt: 14,
    label: "CM-80",
  },
];

for (const p of profiles) {
  const key = Buffer.alloc(16, 1), salt = Buffer.alloc(p.salt, 2);
  const keys = {
    localMasterKey: key,
    localMasterSalt: salt,
    remoteMasterKey: key,
    remoteMasterSalt: salt,
  };
  const werift = new SrtpSession({ keys, profile: p.theirs });
  const header = RtpPacket.deSerialize(rtp(1)).header;
  const protectedByWerift = werift.encrypt(payload, header);

  Deno.bench(`werift SRTP ${p.label} protect`, {
    group: `protect ${p.label}`,
    baseline: true,
  }, () => {
    header.sequenceNumber = (header.sequenceNumber + 1) & 0xffff;
    werift.encrypt(payload, header);
  });
  Deno.bench(`werift SRTP ${p.label} unprotect`, {
    group: `unprotect ${p.label}`,
    baseline: true,
  }, () => {
    werift.decrypt(protectedByWerift);
  });

  for (const backend of [ssl, null]) {
    const name = backend === null ? "node" : "openssl";
    const opts = { profile: p.ours, openssl: backend };
    const tx = SrtpContext.create(key, salt, opts);
    const plain = rtp(1);
    const work = new Uint8Array(plain.length + 16);
    let seq = 0;
    Deno.bench(`ours ${name} ${p.label} protect`, {
      group: `protect ${p.label}`,
    }, () => {
      work.set(plain);
      work[2] = seq >>> 8;
      work[3] = seq & 0xff;
      seq = (seq + 1) & 0xffff;
      tx.protectRtp(work, plain.length);
    });

    // A ring of distinct protected packets: the replay window refuses repeats,
    // so the receiver is renewed once per lap (amortised over 4096 packets).
    const ring: Uint8Array[] = [];
    const maker = SrtpContext.create(key, salt, opts);
    for (let i = 0; i < RING; i++) {
      const b = new Uint8Array(plain.length + 16);
      b.set(rtp(i));
      ring.push(b.subarray(0, maker.protectRtp(b, plain.length)));
    }
    let rx = SrtpContext.create(key, salt, opts), i = 0;
    Deno.bench(`ours ${name} ${p.label} unprotect`, {
      group: `unprotect ${p.label}`,
    }, () => {
      if (i === RING) {
        rx.close();
        rx = SrtpContext.create(key, salt, opts);
        i = 0;
      }
      const src = ring[i++]!;
      work.set(src);
      if (rx.unprotectRtp(work, src.length) < 0) {
        throw new Error("Cannot unprotect bench packet");
      }
    });
  }
}

// UDP: a libc sink that never reads (the kernel drops what overflows; the
// sender's cost is unaffected), then 32 sends per iteration.
const sink = LibcUdpSocket.open({ address: "127.0.0.1" })!;
const datagram = new Uint8Array(1232);
const dgram = createSocket("udp4");
await new Promise<void>((r) =>
  dgram.bind({ address: "127.0.0.1", port: 0 }, () => r())
);
const batch = await UdpBatchSocket.open({
  address: "127.0.0.1",
  onMessage: () => {},
});

// Deno's node:dgram completes sends later, on the event loop: wait for the
// last callback so the bench counts the work, not only the queueing.
Deno.bench(
  "node:dgram send ×32",
  { group: "udp", baseline: true },
  async () => {
    for (let k = 0; k < 31; k++) dgram.send(datagram, sink.port, "127.0.0.1");
    await new Promise<void>((r) =>
      dgram.send(datagram, sink.port, "127.0.0.1", () => r())
    );
  },
);
Deno.bench("UdpBatchSocket send ×32 + one sendmmsg", { group: "udp" }, () => {
  for (let k = 0; k < 32; k++) batch.send(datagram, sink.port, "127.0.0.1");
  batch.flush();
});
