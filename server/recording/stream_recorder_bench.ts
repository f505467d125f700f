/**
 * CPU per recorded packet: a 30 fps VP8 stream of 1100-byte packets (five
 * per frame, a keyframe every 2 s) with 50 packets/s of Opus, through the
 * recorder in media-wasm and its file writes (drained every 250 ms of
 * media, as {@link StreamRecorder} does; the writes are not put on disk).
 *
 * ```sh
 * deno bench -A server/recording/stream_recorder_bench.ts
 * ```
 */

import { RecordingWasm, type RtpParts } from "../../media-wasm/recording.ts";

const wasm = await RecordingWasm.load();

function vp8Payload(key: boolean, first: boolean): Uint8Array {
  const p = new Uint8Array(1100).fill(0x5a);
  p[0] = first ? 0x10 : 0x00;
  if (first) {
    p[1] = key ? 0x00 : 0x01;
    p.set([0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01], 4);
  }
  return p;
}

const KEY_FIRST = vp8Payload(true, true);
const DELTA_FIRST = vp8Payload(false, true);
const REST = vp8Payload(false, false);
const OPUS = new Uint8Array(120).fill(0x11);
OPUS[0] = 0xfc;

let rec = wasm.create({ video: "vp8", audio: "opus", nowMs: 0 });
let n = 0;
const video: RtpParts = {
  kind: "video",
  ssrc: 1,
  seq: 0,
  timestamp: 0,
  marker: false,
  payload: REST,
};
const audio: RtpParts = {
  kind: "audio",
  ssrc: 2,
  seq: 0,
  timestamp: 0,
  marker: false,
  payload: OPUS,
};

// Packet i of the mixed stream: every 200 ms, 30 video packets (6 frames)
// and 10 audio packets.
function step(): void {
  const cycle = Math.floor(n / 40);
  const k = n % 40;
  const now = cycle * 200 + k * 5;
  if (k < 30) {
    const frame = cycle * 6 + Math.floor(k / 5);
    const part = k % 5;
    video.seq = (cycle * 30 + k) & 0xffff;
    video.timestamp = frame * 3000;
    video.marker = part === 4;
    video.payload = part === 0
      ? (frame % 60 === 0 ? KEY_FIRST : DELTA_FIRST)
      : REST;
    wasm.packet(rec, video, now);
  } else {
    const i = cycle * 10 + (k - 30);
    audio.seq = i & 0xffff;
    audio.timestamp = i * 960;
    wasm.packet(rec, audio, now);
  }
  if (k === 39 && cycle % 2 === 0) {
    wasm.tick(rec, now);
    for (const _ of wasm.writes(rec));
  }
  n++;
  // A fresh recorder every ~10 minutes of media keeps memory flat.
  if (n === 120_000) {
    wasm.close(rec, now);
    for (const _ of wasm.writes(rec));
    wasm.free(rec);
    rec = wasm.create({ video: "vp8", audio: "opus", nowMs: 0 });
    n = 0;
  }
}

Deno.bench(
  "recording: one RTP packet (VP8 + Opus mix) into a WebM file",
  () => {
    step();
  },
);
