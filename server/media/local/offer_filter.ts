/**
 * Restricts a client's offer to the group's codecs before werift sees it.
 *
 * werift matches offered codecs by MIME type alone and answers with the
 * client's own fmtp and feedback (so it would accept any H.264 profile and
 * echo transport-cc). Galène's rules are stricter: only the group's codecs,
 * in the group's order, with Galène's feedback set. Rewriting the offer is the
 * one place where werift lets us decide that.
 *
 * @module
 */

import { type CodecEntry, matchCodec, VIDEO_FEEDBACK } from "./codecs.ts";

/** What the filter kept of one m-section: payload type → our entry. */
export interface FilteredSection {
  kind: string;
  mid: string | undefined;
  formats: Map<number, CodecEntry>;
}

/** Result of {@link filterOffer}. */
export interface FilteredOffer {
  sdp: string;
  sections: FilteredSection[];
}

/**
 * Keeps only the offered formats that match `allowed`, ordered as `allowed`
 * orders them, and replaces their RTCP feedback with Galène's.
 *
 * @throws {SyntaxError} when the text is not an SDP offer or an audio/video
 * section offers none of the allowed codecs
 */
export function filterOffer(
  sdp: string,
  allowed: readonly CodecEntry[],
): FilteredOffer {
  const lines = sdp.split(/\r?\n/).filter((line) => line.length > 0);
  if (lines[0] !== "v=0") {
    throw new SyntaxError("Cannot parse offer: it does not start with v=0");
  }
  const out: string[] = [];
  const sections: FilteredSection[] = [];
  let i = 0;
  while (i < lines.length && !lines[i]!.startsWith("m=")) out.push(lines[i++]!);
  while (i < lines.length) {
    const start = i++;
    while (i < lines.length && !lines[i]!.startsWith("m=")) i++;
    const section = lines.slice(start, i);
    const kind = section[0]!.slice(2).split(" ")[0] ?? "";
    if (kind !== "audio" && kind !== "video") {
      out.push(...section);
      continue;
    }
    const filtered = filterSection(section, kind, allowed);
    sections.push(filtered.section);
    out.push(...filtered.lines);
  }
  return { sdp: out.join("\r\n") + "\r\n", sections };
}

function filterSection(
  lines: string[],
  kind: string,
  allowed: readonly CodecEntry[],
): { lines: string[]; section: FilteredSection } {
  const rtpmap = new Map<number, { name: string; clockRate: number }>();
  const fmtp = new Map<number, string>();
  let mid: string | undefined;
  for (const line of lines) {
    let m = /^a=rtpmap:(\d+) ([^/]+)\/(\d+)/.exec(line);
    if (m) rtpmap.set(Number(m[1]), { name: m[2]!, clockRate: Number(m[3]) });
    m = /^a=fmtp:(\d+) (.*)$/.exec(line);
    if (m) fmtp.set(Number(m[1]), m[2]!);
    m = /^a=mid:(.*)$/.exec(line);
    if (m) mid = m[1]!;
  }
  const mline = lines[0]!.split(" ");
  const offered = mline.slice(3).map(Number);
  const kept: { pt: number; entry: CodecEntry }[] = [];
  for (const pt of offered) {
    const map = rtpmap.get(pt) ?? staticPayloadType(pt);
    if (!map) continue;
    const entry = matchCodec(
      allowed.filter((e) => e.kind === kind),
      { name: map.name, clockRate: map.clockRate, parameters: fmtp.get(pt) },
    );
    if (entry) kept.push({ pt, entry });
  }
  if (kept.length === 0) {
    throw new SyntaxError(
      `Cannot use offer: ${kind} section ${
        mid ?? "?"
      } offers none of the codecs ${
        [...new Set(allowed.filter((e) => e.kind === kind).map((e) => e.name))]
          .join(", ") ||
        "(none allowed)"
      }`,
    );
  }
  // Stable sort: the group's order first, the client's order among equals.
  kept.sort((a, b) => allowed.indexOf(a.entry) - allowed.indexOf(b.entry));
  const keep = new Set(kept.map((k) => k.pt));
  const result = [[...mline.slice(0, 3), ...kept.map((k) => k.pt)].join(" ")];
  for (const line of lines.slice(1)) {
    const m = /^a=(rtpmap|fmtp|rtcp-fb):(\d+|\*)[ ]/.exec(line);
    if (!m) {
      result.push(line);
      continue;
    }
    if (m[1] === "rtcp-fb") continue; // replaced below
    if (keep.has(Number(m[2]))) result.push(line);
  }
  if (kind === "video") {
    for (const { pt } of kept) {
      for (const fb of VIDEO_FEEDBACK) {
        result.push(
          `a=rtcp-fb:${pt} ${fb.type}${fb.parameter ? " " + fb.parameter : ""}`,
        );
      }
    }
  }
  return {
    lines: result,
    section: { kind, mid, formats: new Map(kept.map((k) => [k.pt, k.entry])) },
  };
}

// RFC 3551 static payload types that may be offered without an rtpmap line.
function staticPayloadType(
  pt: number,
): { name: string; clockRate: number } | undefined {
  if (pt === 0) return { name: "PCMU", clockRate: 8000 };
  if (pt === 8) return { name: "PCMA", clockRate: 8000 };
  if (pt === 9) return { name: "G722", clockRate: 8000 };
  return undefined;
}
