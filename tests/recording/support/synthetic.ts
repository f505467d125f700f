/**
 * Synthetic recordings for the tests: real VP8/VP9/H.264 bitstreams made
 * by ffmpeg, cut into RTP packets as a browser would send them, with Opus
 * silence beside them, fed through the recorder into files.
 *
 * @module
 */

import { RecordingWasm, type RtpParts } from "../../../media-wasm/recording.ts";
import { RecordingFiles } from "../../../server/recording/recording_files.ts";

/** A video codec the synthetic source can make. */
export type SyntheticCodec = "vp8" | "vp9" | "h264";

/** Runs a command; returns stdout, throws with stderr on failure. */
export async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder();
  if (out.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed: ${text.decode(out.stderr)}`,
    );
  }
  return text.decode(out.stdout) + text.decode(out.stderr);
}

/** Encodes `seconds` of test pattern at 30 fps; returns the frames in order. */
export async function encodeFrames(
  codec: SyntheticCodec,
  options: { seconds: number; dir: string; size?: string },
): Promise<Uint8Array[]> {
  const size = options.size ?? "320x240";
  const src = [
    "-f",
    "lavfi",
    "-i",
    `testsrc=size=${size}:rate=30`,
    "-t",
    String(options.seconds),
  ];
  if (codec === "h264") {
    const path = `${options.dir}/v.h264`;
    await run("ffmpeg", [
      "-v",
      "error",
      "-y",
      ...src,
      "-c:v",
      "libx264",
      "-pix_fmt",
      "yuv420p",
      "-profile:v",
      "baseline",
      "-g",
      "60",
      "-bsf:v",
      "h264_metadata=aud=insert",
      "-f",
      "h264",
      path,
    ]);
    return splitAccessUnits(await Deno.readFile(path));
  }
  const path = `${options.dir}/v.ivf`;
  await run("ffmpeg", [
    "-v",
    "error",
    "-y",
    ...src,
    "-c:v",
    codec === "vp8" ? "libvpx" : "libvpx-vp9",
    "-deadline",
    "realtime",
    "-lag-in-frames",
    "0",
    "-g",
    "60",
    "-b:v",
    "300k",
    "-f",
    "ivf",
    path,
  ]);
  return ivfFrames(await Deno.readFile(path));
}

function ivfFrames(ivf: Uint8Array): Uint8Array[] {
  const v = new DataView(ivf.buffer, ivf.byteOffset, ivf.byteLength);
  const frames: Uint8Array[] = [];
  let at = v.getUint16(6, true);
  while (at + 12 <= ivf.length) {
    const n = v.getUint32(at, true);
    frames.push(ivf.subarray(at + 12, at + 12 + n));
    at += 12 + n;
  }
  return frames;
}

function nalUnits(stream: Uint8Array): Uint8Array[] {
  const starts: number[] = [];
  for (let i = 0; i + 3 <= stream.length; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) {
      starts.push(i + 3);
      i += 2;
    }
  }
  return starts.map((s, k) => {
    let end = k + 1 < starts.length ? starts[k + 1]! - 3 : stream.length;
    while (end > s && stream[end - 1] === 0) end--;
    return stream.subarray(s, end);
  });
}

// One access unit per AUD (type 9); the AUDs themselves are not sent.
function splitAccessUnits(stream: Uint8Array): Uint8Array[] {
  const units: Uint8Array[][] = [];
  for (const nal of nalUnits(stream)) {
    if ((nal[0]! & 0x1f) === 9) units.push([]);
    else units[units.length - 1]?.push(nal);
  }
  return units.filter((u) => u.length > 0).map(encodeNals);
}

// Access units travel as length-prefixed NAL lists between these helpers.
function encodeNals(nals: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(nals.reduce((n, x) => n + 4 + x.length, 0));
  let at = 0;
  for (const nal of nals) {
    new DataView(out.buffer).setUint32(at, nal.length);
    out.set(nal, at + 4);
    at += 4 + nal.length;
  }
  return out;
}

function decodeNals(unit: Uint8Array): Uint8Array[] {
  const v = new DataView(unit.buffer, unit.byteOffset, unit.byteLength);
  const nals: Uint8Array[] = [];
  for (let at = 0; at < unit.length;) {
    const n = v.getUint32(at);
    nals.push(unit.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return nals;
}

const MTU = 1100;

function chunks(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += MTU) {
    out.push(data.subarray(at, at + MTU));
  }
  return out.length > 0 ? out : [data];
}

function join(a: number[], b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The RTP payloads of one frame, as RFC 7741 / RFC 9628 / RFC 6184 cut them. */
export function packetize(
  codec: SyntheticCodec,
  frame: Uint8Array,
): Uint8Array[] {
  if (codec === "vp8") {
    return chunks(frame).map((c, i) => join([i === 0 ? 0x10 : 0x00], c));
  }
  if (codec === "vp9") {
    const inter = (frame[0]! & 0x04) !== 0; // profile 0: frame_type bit
    const parts = chunks(frame);
    return parts.map((c, i) =>
      join([
        (inter ? 0x40 : 0) | (i === 0 ? 0x08 : 0) |
        (i === parts.length - 1 ? 0x04 : 0),
      ], c)
    );
  }
  const out: Uint8Array[] = [];
  for (const nal of decodeNals(frame)) {
    if (nal.length <= MTU) {
      out.push(nal);
      continue;
    }
    const body = chunks(nal.subarray(1));
    body.forEach((c, i) => {
      const s = i === 0 ? 0x80 : 0;
      const e = i === body.length - 1 ? 0x40 : 0;
      out.push(join([(nal[0]! & 0xe0) | 28, s | e | (nal[0]! & 0x1f)], c));
    });
  }
  return out;
}

/** A packet with its arrival time, before shuffling. */
export interface TimedPacket extends RtpParts {
  at: number;
}

/** Video and Opus-silence packets of a stream, in arrival order. */
export function streamPackets(
  codec: SyntheticCodec,
  frames: Uint8Array[],
  options: { audio: boolean },
): TimedPacket[] {
  const packets: TimedPacket[] = [];
  let seq = 1000;
  frames.forEach((frame, n) => {
    const parts = packetize(codec, frame);
    parts.forEach((payload, i) => {
      packets.push({
        kind: "video",
        ssrc: 0x1111,
        seq: seq++ & 0xffff,
        timestamp: 3000 * n,
        marker: i === parts.length - 1,
        payload,
        at: Math.round(n * 1000 / 30) + 1,
      });
    });
  });
  const end = Math.round(frames.length * 1000 / 30);
  if (options.audio) {
    for (let k = 0; k * 20 < end; k++) {
      packets.push({
        kind: "audio",
        ssrc: 0x2222,
        seq: (50000 + k) & 0xffff,
        timestamp: 960 * k,
        marker: false,
        payload: new Uint8Array([0xf8, 0xff, 0xfe]),
        at: k * 20,
      });
    }
  }
  return packets.sort((a, b) => a.at - b.at);
}

/**
 * Records packets into `dir` and returns the files. With `kill`, the
 * recorder is abandoned after that many ms of media as if the process died:
 * only what was already written stays.
 */
export async function recordPackets(
  packets: readonly TimedPacket[],
  options: {
    dir: string;
    video?: string;
    audio?: boolean;
    kill?: number;
    newFileOnResize?: boolean;
  },
): Promise<readonly string[]> {
  const wasm = await RecordingWasm.load();
  const rec = wasm.create({
    ...(options.video ? { video: options.video } : {}),
    ...(options.audio ? { audio: "opus" } : {}),
    newFileOnResize: options.newFileOnResize ?? false,
    nowMs: 0,
  });
  const files = new RecordingFiles({
    directory: options.dir,
    baseName: () => `rec-${Math.random().toString(36).slice(2, 8)}`,
    log: () => {},
  });
  const ntpBase = 3_900_000_000n << 32n;
  let lastTick = 0;
  let lastSr = -1000;
  for (const p of packets) {
    if (options.kill !== undefined && p.at > options.kill) {
      await files.flushed();
      return files.paths;
    }
    if (p.at - lastSr >= 1000) {
      lastSr = p.at;
      const ntp = ntpBase + (BigInt(p.at) << 32n) / 1000n;
      wasm.senderReport(rec, {
        kind: "video",
        ntp,
        rtpTimestamp: p.at * 90,
        nowMs: p.at,
      });
      wasm.senderReport(rec, {
        kind: "audio",
        ntp,
        rtpTimestamp: p.at * 48,
        nowMs: p.at,
      });
    }
    wasm.packet(rec, p, p.at);
    if (p.at - lastTick >= 250) {
      lastTick = p.at;
      wasm.tick(rec, p.at);
      files.enqueue(wasm.writes(rec));
    }
  }
  const last = packets[packets.length - 1]?.at ?? 0;
  wasm.close(rec, last + 1);
  files.enqueue(wasm.writes(rec));
  wasm.free(rec);
  await files.flushed();
  return files.paths;
}

/** What ffprobe says of a file. */
export interface Probe {
  streams: {
    codec_name: string;
    codec_type: string;
    width?: number;
    height?: number;
  }[];
  format: { format_name: string; duration?: string };
}

/** Runs ffprobe on a file. */
export async function probe(path: string): Promise<Probe> {
  const out = await new Deno.Command("ffprobe", {
    args: ["-v", "error", "-show_streams", "-show_format", "-of", "json", path],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(`ffprobe ${path}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout)) as Probe;
}

/**
 * Decodes the whole file (or one frame from `seek` seconds), with ffmpeg's
 * default decoder or `decoder`; returns ffmpeg's error output (empty when
 * clean).
 */
export async function decodeErrors(
  path: string,
  options: { seek?: number; decoder?: string } = {},
): Promise<string> {
  const { seek, decoder } = options;
  const args = [
    "-v",
    "error",
    ...(seek !== undefined ? ["-ss", String(seek)] : []),
    ...(decoder !== undefined ? ["-c:v", decoder] : []),
    "-i",
    `file:${path}`,
  ];
  if (seek !== undefined) args.push("-frames:v", "1");
  args.push("-f", "null", "-");
  const out = await new Deno.Command("ffmpeg", {
    args,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const err = new TextDecoder().decode(out.stderr).trim();
  return out.code === 0 ? err : `exit ${out.code}: ${err}`;
}

/** Whether the file has Cues (a seek index) after its header. */
export async function hasCues(path: string): Promise<boolean> {
  const bytes = await Deno.readFile(path);
  const id = [0x1c, 0x53, 0xbb, 0x6b];
  // The SeekHead (first ~150 bytes) names the Cues ID too: look past it.
  for (let i = 200; i + 4 <= bytes.length; i++) {
    if (id.every((b, k) => bytes[i + k] === b)) return true;
  }
  return false;
}

/**
 * The video size the file's header states (Tracks → TrackEntry → Video →
 * PixelWidth, PixelHeight). ffprobe's stream size is not this: it is the
 * first frame its decoder outputs.
 */
export async function headerVideoSize(
  path: string,
): Promise<{ width: number; height: number } | undefined> {
  const bytes = await Deno.readFile(path);
  // EBML variable-length integer at `at`: its length, and its value with
  // (`marker`) or without the length marker bit.
  const vint = (at: number, marker: boolean) => {
    const first = bytes[at] ?? 0;
    let len = 1;
    while (len <= 8 && (first & (0x80 >> (len - 1))) === 0) len++;
    let v = marker ? first : first & (0xff >> len);
    for (let i = 1; i < len; i++) v = v * 256 + (bytes[at + i] ?? 0);
    return { len, v };
  };
  const masters = new Set([0x18538067, 0x1654ae6b, 0xae, 0xe0]);
  const size: { width?: number; height?: number } = {};
  const walk = (from: number, to: number): void => {
    let at = from;
    while (at < to && at < bytes.length) {
      const id = vint(at, true);
      const len = vint(at + id.len, false);
      const body = at + id.len + len.len;
      const unknown = len.v === 2 ** (7 * len.len) - 1;
      const end = unknown ? to : body + len.v;
      if (masters.has(id.v)) walk(body, Math.min(end, to));
      else if (id.v === 0xb0 || id.v === 0xba) {
        let v = 0;
        for (let i = body; i < end; i++) v = v * 256 + bytes[i]!;
        size[id.v === 0xb0 ? "width" : "height"] = v;
      }
      if (id.v === 0x1654ae6b) return; // the tracks are read
      at = end;
    }
  };
  walk(0, bytes.length);
  return size.width === undefined || size.height === undefined
    ? undefined
    : { width: size.width, height: size.height };
}
