/**
 * Two offers made to meet: a WHEP player offers to receive, and the
 * server's down connection (as for any subscriber) offers to send. Neither
 * can be asked to answer the other's offer over HTTP, so the endpoint
 * answers each with what the other offered: the server's sections,
 * credentials, fingerprint, SSRCs and candidates go to the player as
 * `sendonly` (DTLS `passive`), and the player's credentials, fingerprint
 * and candidates go to the server as `recvonly` (DTLS `active`). Both sides
 * then run ICE as controlling; the role conflict is settled by ICE itself
 * (RFC 8445 §7.3.1.1).
 *
 * The server sends each kind in one codec with Galène's fixed payload type,
 * so the player must offer that codec under that number (Chromium does for
 * VP8, VP9, H.264 and Opus); otherwise the bridge refuses. Header
 * extensions are not negotiated.
 *
 * @module
 */

import { randomHex } from "./random_id.ts";

interface Section {
  kind: string;
  proto: string;
  formats: string[];
  mid: string;
  lines: string[];
}

interface Parsed {
  session: string[];
  sections: Section[];
}

/** The two answers of {@link bridgeOffers}. */
export interface Bridge {
  /** The answer for the WHEP player. */
  toPlayer: string;
  /** The answer for the server's down connection. */
  toServer: string;
  /** The server's bundled section: where trickled candidates go. */
  serverMid: string;
  serverMLineIndex: number;
}

function parse(sdp: string, what: string): Parsed {
  const all = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  if (all[0] !== "v=0") {
    throw new SyntaxError(`Cannot parse ${what}: it does not start with v=0`);
  }
  const session: string[] = [];
  const sections: Section[] = [];
  for (const line of all) {
    if (line.startsWith("m=")) {
      const [kind = "", , proto = "", ...formats] = line.slice(2).split(" ");
      sections.push({ kind, proto, formats, mid: "", lines: [] });
    } else if (sections.length === 0) {
      session.push(line);
    } else {
      const s = sections[sections.length - 1]!;
      if (line.startsWith("a=mid:")) s.mid = line.slice(6);
      s.lines.push(line);
    }
  }
  return { session, sections };
}

/**
 * The value of `a=NAME:` in a section, else at session level, else in
 * another section: bundled sections share one transport, and an offer may
 * state its credentials in the first one only.
 */
function attribute(
  sdp: Parsed,
  section: Section,
  name: string,
): string | undefined {
  const prefix = `a=${name}:`;
  const find = (lines: string[]) => lines.find((l) => l.startsWith(prefix));
  const line = find(section.lines) ?? find(sdp.session) ??
    sdp.sections.map((s) => find(s.lines)).find((l) => l !== undefined);
  return line?.slice(prefix.length);
}

function required(sdp: Parsed, section: Section, name: string, what: string) {
  const value = attribute(sdp, section, name);
  if (value === undefined) {
    throw new SyntaxError(`Cannot use ${what}: it has no a=${name}`);
  }
  return value;
}

/** `a=rtpmap` of a payload type, as `name/clock` in lower case. */
function codecOf(section: Section, pt: string): string | undefined {
  const line = section.lines.find((l) => l.startsWith(`a=rtpmap:${pt} `));
  return line?.split(" ")[1]?.split("/").slice(0, 2).join("/").toLowerCase();
}

/** The lines of a section that describe its payload types. */
function formatLines(section: Section): string[] {
  return section.lines.filter((l) =>
    /^a=(rtpmap|fmtp|rtcp-fb):/.test(l) || l === "a=rtcp-rsize"
  );
}

/** The candidates of the first section that has any (they are bundled). */
function candidates(sdp: Parsed): string[] {
  for (const section of sdp.sections) {
    const lines = section.lines.filter((l) =>
      l.startsWith("a=candidate:") || l === "a=end-of-candidates"
    );
    if (lines.length > 0) return lines;
  }
  return [];
}

function rejected(s: Section, mid: string): string[] {
  return [
    `m=${s.kind} 0 ${s.proto} ${s.formats.join(" ")}`,
    `a=mid:${mid}`,
    "a=inactive",
  ];
}

/**
 * Pairs each of the player's audio and video sections with the server's
 * section of the same kind (in order), and writes both answers.
 *
 * @throws {SyntaxError} when either offer is not usable SDP
 * @throws {TypeError} when the player does not offer the server's codec
 * under its payload type, or receives nothing the server sends
 */
export function bridgeOffers(player: string, server: string): Bridge {
  const p = parse(player, "the player's offer");
  const s = parse(server, "the server's offer");
  const pairs = new Map<Section, Section>(); // server section → player's
  const used = new Set<Section>();
  for (const ps of p.sections) {
    if (ps.kind !== "audio" && ps.kind !== "video") continue;
    const direction = ps.lines.find((l) =>
      /^a=(sendrecv|recvonly|sendonly|inactive)$/.test(l)
    );
    if (direction === "a=sendonly" || direction === "a=inactive") continue;
    const ss = s.sections.find((x) => x.kind === ps.kind && !used.has(x));
    if (ss === undefined) continue;
    for (const pt of ss.formats) {
      const codec = codecOf(ss, pt);
      if (codec === undefined || codecOf(ps, pt) !== codec) {
        throw new TypeError(
          `Cannot send ${ps.kind} to this player: it does not offer ${
            codec ?? "the codec"
          } as payload type ${pt}`,
        );
      }
    }
    used.add(ss);
    pairs.set(ss, ps);
  }
  if (pairs.size === 0) {
    throw new TypeError(
      "Cannot send to this player: it receives none of the stream's kinds",
    );
  }
  const playerOf = new Map([...pairs].map(([ss, ps]) => [ps, ss]));
  const firstServer = s.sections.find((x) => pairs.has(x))!;

  const head = (mids: string[]) => [
    "v=0",
    `o=- ${parseInt(randomHex(4), 16)} 2 IN IP4 127.0.0.1`,
    "s=-",
    "t=0 0",
    `a=group:BUNDLE ${mids.join(" ")}`,
  ];

  // To the player: the server's media, credentials and candidates.
  const toPlayer = head(
    p.sections.filter((x) => playerOf.has(x)).map((x) => x.mid),
  );
  for (const ps of p.sections) {
    const ss = playerOf.get(ps);
    if (ss === undefined) {
      toPlayer.push(...rejected(ps, ps.mid));
      continue;
    }
    const what = "the server's offer";
    toPlayer.push(
      `m=${ps.kind} 9 ${ps.proto} ${ss.formats.join(" ")}`,
      "c=IN IP4 0.0.0.0",
      `a=ice-ufrag:${required(s, ss, "ice-ufrag", what)}`,
      `a=ice-pwd:${required(s, ss, "ice-pwd", what)}`,
      `a=fingerprint:${required(s, ss, "fingerprint", what)}`,
      "a=setup:passive",
      `a=mid:${ps.mid}`,
      "a=sendonly",
      "a=rtcp-mux",
      ...formatLines(ss),
      ...ss.lines.filter((l) => /^a=(ssrc|ssrc-group|msid):/.test(l)),
      ...candidates(s),
    );
  }

  // To the server: the player's credentials and candidates.
  const toServer = head(
    s.sections.filter((x) => pairs.has(x)).map((x) => x.mid),
  );
  for (const ss of s.sections) {
    const ps = pairs.get(ss);
    if (ps === undefined) {
      toServer.push(...rejected(ss, ss.mid));
      continue;
    }
    const what = "the player's offer";
    toServer.push(
      `m=${ss.kind} 9 ${ss.proto} ${ss.formats.join(" ")}`,
      "c=IN IP4 0.0.0.0",
      `a=ice-ufrag:${required(p, ps, "ice-ufrag", what)}`,
      `a=ice-pwd:${required(p, ps, "ice-pwd", what)}`,
      `a=fingerprint:${required(p, ps, "fingerprint", what)}`,
      "a=setup:active",
      `a=mid:${ss.mid}`,
      "a=recvonly",
      "a=rtcp-mux",
      ...formatLines(ss),
      ...candidates(p),
    );
  }
  return {
    toPlayer: toPlayer.join("\r\n") + "\r\n",
    toServer: toServer.join("\r\n") + "\r\n",
    serverMid: firstServer.mid,
    serverMLineIndex: s.sections.indexOf(firstServer),
  };
}
