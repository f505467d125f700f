/**
 * The codecs Nereid negotiates, with Galène's fixed payload types.
 *
 * A group's `codecs` list names codecs (`vp8`, `h264`, `opus`, …); one name
 * may stand for several RTP formats (VP9 profiles 0 and 2, two H.264
 * profiles). The payload types are fixed so that every down connection of a
 * group offers the same numbers, as Galène does.
 *
 * @module
 */

import { RTCRtpCodecParameters } from "werift";
import type { CodecName } from "../codec_names.ts";

/** One RTP format Nereid can forward. */
export interface CodecEntry {
  /** The group codec name it stands for. */
  name: CodecName;
  kind: "audio" | "video";
  payloadType: number;
  mimeType: string;
  clockRate: number;
  channels?: number;
  /** The fmtp line we advertise. */
  parameters?: string;
}

// Order inside one name: the first entry is preferred when a name has several.
const TABLE: readonly CodecEntry[] = [
  {
    name: "vp8",
    kind: "video",
    payloadType: 96,
    mimeType: "video/VP8",
    clockRate: 90000,
  },
  {
    name: "vp9",
    kind: "video",
    payloadType: 98,
    mimeType: "video/VP9",
    clockRate: 90000,
    parameters: "profile-id=0",
  },
  {
    name: "vp9",
    kind: "video",
    payloadType: 100,
    mimeType: "video/VP9",
    clockRate: 90000,
    parameters: "profile-id=2",
  },
  {
    name: "av1",
    kind: "video",
    payloadType: 35,
    mimeType: "video/AV1",
    clockRate: 90000,
  },
  {
    name: "h264",
    kind: "video",
    payloadType: 102,
    mimeType: "video/H264",
    clockRate: 90000,
    parameters:
      "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
  },
  {
    name: "h264",
    kind: "video",
    payloadType: 108,
    mimeType: "video/H264",
    clockRate: 90000,
    parameters:
      "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
  },
  {
    name: "opus",
    kind: "audio",
    payloadType: 111,
    mimeType: "audio/opus",
    clockRate: 48000,
    channels: 2,
    parameters: "minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1",
  },
  {
    name: "g722",
    kind: "audio",
    payloadType: 9,
    mimeType: "audio/G722",
    clockRate: 8000,
  },
  {
    name: "pcmu",
    kind: "audio",
    payloadType: 0,
    mimeType: "audio/PCMU",
    clockRate: 8000,
  },
  {
    name: "pcma",
    kind: "audio",
    payloadType: 8,
    mimeType: "audio/PCMA",
    clockRate: 8000,
  },
];

/** The RTCP feedback Galène advertises for video: REMB, NACK, PLI, FIR; no transport-cc. */
export const VIDEO_FEEDBACK: readonly { type: string; parameter?: string }[] = [
  { type: "goog-remb" },
  { type: "nack" },
  { type: "nack", parameter: "pli" },
  { type: "ccm", parameter: "fir" },
];

/**
 * Returns the entries of a group's codec list, in its order; unknown names
 * are skipped.
 */
export function codecEntries(names: readonly string[]): CodecEntry[] {
  const entries: CodecEntry[] = [];
  for (const name of names) {
    const lower = name.toLowerCase();
    for (const entry of TABLE) {
      if (entry.name === lower && !entries.includes(entry)) entries.push(entry);
    }
  }
  return entries;
}

/** Builds werift codec parameters for one entry, with our fixed payload type and feedback. */
export function weriftCodec(entry: CodecEntry): RTCRtpCodecParameters {
  const codec = new RTCRtpCodecParameters({
    mimeType: entry.mimeType,
    clockRate: entry.clockRate,
    payloadType: entry.payloadType,
    rtcpFeedback: entry.kind === "video"
      ? VIDEO_FEEDBACK.map((f) => ({ ...f }))
      : [],
  });
  if (entry.channels !== undefined) codec.channels = entry.channels;
  if (entry.parameters !== undefined) codec.parameters = entry.parameters;
  return codec;
}

/** Parses an fmtp parameter string (`a=1;b=2`) into lower-case keys. */
export function parseFmtp(parameters: string | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of (parameters ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    map.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return map;
}

/**
 * Finds the entry among `allowed` that an offered RTP format (rtpmap name,
 * clock rate and fmtp) corresponds to, or undefined when none does.
 */
export function matchCodec(
  allowed: readonly CodecEntry[],
  offered: { name: string; clockRate: number; parameters?: string | undefined },
): CodecEntry | undefined {
  const name = offered.name.toLowerCase();
  const fmtp = parseFmtp(offered.parameters);
  return allowed.find((entry) => {
    if (entry.mimeType.slice(entry.kind.length + 1).toLowerCase() !== name) {
      return false;
    }
    if (entry.clockRate !== offered.clockRate) return false;
    if (entry.name === "vp9") {
      const profile = fmtp.get("profile-id") ?? "0";
      return entry.parameters === `profile-id=${profile}`;
    }
    if (entry.name === "h264") {
      if (fmtp.get("packetization-mode") !== "1") return false;
      const profile = (fmtp.get("profile-level-id") ?? "").toLowerCase();
      // Galène's rule: profile prefix 4200 (constrained baseline without
      // constraint flags) → 102, 42e0 (constrained baseline) → 108.
      const prefix = entry.payloadType === 102 ? "4200" : "42e0";
      return profile.startsWith(prefix);
    }
    return true;
  });
}
