/**
 * One received packet fanned out to 10 subscribers, in process and without
 * sockets: what the media node does per packet between the receive and the
 * send system calls. werift's way (its SRTP session, an `RtpPacket` parsed
 * and cloned per subscriber with the header extensions cleared, then
 * serialised and protected) against Nereid's (SRTP in place through
 * OpenSSL, the packet stored once in the WASM cache and rewritten per
 * subscriber, protected into one scratch buffer).
 *
 * Run: `deno bench -A server/media/local/packet_path_bench.ts` (part of
 * `deno task bench`). Divide by 10 for a forwarded packet.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  ProtectionProfileAeadAes128Gcm,
  RtpHeader,
  RtpPacket,
  SrtpSession,
} from "werift";
import { MediaWasm } from "../../../media-wasm/mod.ts";
import { OpenSsl } from "../fast/openssl.ts";
import { SrtpContext } from "../fast/srtp_context.ts";
import { createWasmPipelines } from "./wasm_pipeline.ts";

const SUBSCRIBERS = 10;
const RING = 4096;
const key = Buffer.alloc(16, 1);
const salt = Buffer.alloc(12, 2);
const keys = {
  localMasterKey: key,
  localMasterSalt: salt,
  remoteMasterKey: key,
  remoteMasterSalt: salt,
};

/** A 1200-byte VP8 packet (keyframe start on the first), with an extension. */
function packet(seq: number): Buffer {
  const vp8 = Buffer.alloc(1188, 0x5a);
  vp8.set([0x90, 0xe0, 0x80, 0x01, seq === 0 ? 0x00 : 0x01], 0);
  const header = new RtpHeader({
    sequenceNumber: seq & 0xffff,
    timestamp: seq * 3000,
    ssrc: 0x12345678,
    payloadType: 96,
    marker: true,
    extension: true,
    extensionProfile: 0xbede,
    extensions: [{ id: 4, payload: Buffer.from([seq & 0xff, 0, 0]) }],
  });
  return new RtpPacket(header, vp8).serialize();
}

// The same protected packets for both, in a ring; each side renews its
// receiving context once per lap (its replay window refuses repeats).
const sealer = SrtpContext.create(key, salt, {
  profile: "AEAD_AES_128_GCM",
  openssl: null,
});
const ring: Buffer[] = [];
for (let i = 0; i < RING; i++) {
  const plain = packet(i);
  const b = Buffer.alloc(plain.length + 16);
  b.set(plain);
  ring.push(b.subarray(0, sealer.protectRtp(b, plain.length)));
}

{
  let rx = new SrtpSession({ keys, profile: ProtectionProfileAeadAes128Gcm });
  const txs = Array.from(
    { length: SUBSCRIBERS },
    () => new SrtpSession({ keys, profile: ProtectionProfileAeadAes128Gcm }),
  );
  let i = 0;
  Deno.bench(`werift: decrypt, parse, ${SUBSCRIBERS}× clone + encrypt`, {
    group: "packet path",
    baseline: true,
  }, () => {
    if (i === RING) {
      rx = new SrtpSession({ keys, profile: ProtectionProfileAeadAes128Gcm });
      i = 0;
    }
    const received = RtpPacket.deSerialize(rx.decrypt(ring[i++]!));
    for (let s = 0; s < SUBSCRIBERS; s++) {
      const copy = received.clone();
      copy.header.extensions = [];
      copy.header.extension = false;
      copy.header.ssrc = 0x1000 + s;
      txs[s]!.encrypt(copy.payload, copy.header);
    }
  });
}

{
  const ssl = OpenSsl.open();
  const opts = { profile: "AEAD_AES_128_GCM" as const, openssl: ssl };
  let rx = SrtpContext.create(key, salt, opts);
  const txs = Array.from(
    { length: SUBSCRIBERS },
    () => SrtpContext.create(key, salt, opts),
  );
  const pipelines = createWasmPipelines(MediaWasm.loadSync());
  const up = pipelines.up({ codec: "vp8", clockRate: 90000 });
  const downs = Array.from({ length: SUBSCRIBERS }, (_, s) =>
    pipelines.down({
      ssrc: 0x1000 + s,
      payloadType: 96,
      codec: "vp8",
      clockRate: 90000,
      layer: 0,
    }));
  const work = new Uint8Array(2048);
  const scratch = new Uint8Array(2048);
  let i = 0, now = 0;
  Deno.bench(`Nereid: unprotect, ingest, ${SUBSCRIBERS}× rewrite + protect`, {
    group: "packet path",
  }, () => {
    if (i === RING) {
      rx.close();
      rx = SrtpContext.create(key, salt, opts);
      i = 0;
    }
    const sealed = ring[i++]!;
    work.set(sealed);
    const n = rx.unprotectRtp(work, sealed.length);
    const slot = up.ingest(work.subarray(0, n), now++);
    if (slot < 0) return; // a repeat after a lap: the cache refuses it
    for (const down of downs) {
      const out = down.forward(up, slot, 0, now);
      if (out === null) continue;
      scratch.set(out);
      txs[0]!.protectRtp(scratch, out.length);
    }
  });
}
