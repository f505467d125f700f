/**
 * The little SDP a WHIP or WHEP endpoint reads itself: whether an offer is
 * SDP at all, its ICE credentials and media sections, and trickle-ICE
 * fragments (RFC 8840) in both directions. Everything else in an offer is
 * the media node's business.
 *
 * @module
 */

/** Candidates one PATCH may carry: a client has a handful per interface. */
export const MAX_FRAGMENT_CANDIDATES = 64;

/** The ICE username fragment and password of one side. */
export interface IceCredentials {
  ufrag: string;
  pwd: string;
}

/** One media section of an offer or answer. */
export interface MediaSection {
  kind: string;
  /** Its `a=mid`, if any. */
  mid: string | undefined;
  /** The whole `m=` line. */
  line: string;
}

/** What an endpoint needs to know of an SDP offer or answer. */
export interface SdpSummary {
  sections: MediaSection[];
  /** The first `a=ice-ufrag`/`a=ice-pwd` pair, session-level or not. */
  credentials: IceCredentials | undefined;
}

/** A candidate of a fragment, as the protocol's `ice` message carries it. */
export interface FragmentCandidate {
  /** `candidate:…` (without `a=`). */
  candidate: string;
  sdpMid: string | undefined;
  sdpMLineIndex: number;
}

/** A trickle-ICE fragment (RFC 8840 §9). */
export interface SdpFragment {
  credentials: IceCredentials | undefined;
  candidates: FragmentCandidate[];
}

const LINE = /^[a-z]=/;

function lines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.length > 0);
}

function checkLine(line: string, what: string): void {
  if (!LINE.test(line)) {
    throw new SyntaxError(
      `Cannot parse ${what}: a line does not start with a letter and "="`,
    );
  }
}

/**
 * Reads an offer's (or answer's) media sections and ICE credentials.
 *
 * @throws {SyntaxError} when it does not start with `v=0`, has a line that
 * is not `x=…`, or has no audio or video section
 */
export function summarizeSdp(text: string): SdpSummary {
  const all = lines(text);
  if (all[0] !== "v=0") {
    throw new SyntaxError("Cannot parse SDP: it does not start with v=0");
  }
  const sections: MediaSection[] = [];
  let ufrag: string | undefined;
  let pwd: string | undefined;
  for (const line of all) {
    checkLine(line, "SDP");
    if (line.startsWith("m=")) {
      sections.push({
        kind: line.slice(2).split(" ")[0] ?? "",
        mid: undefined,
        line,
      });
      continue;
    }
    const current = sections[sections.length - 1];
    if (line.startsWith("a=mid:") && current) current.mid = line.slice(6);
    if (line.startsWith("a=ice-ufrag:")) ufrag ??= line.slice(12);
    if (line.startsWith("a=ice-pwd:")) pwd ??= line.slice(10);
  }
  if (!sections.some((s) => s.kind === "audio" || s.kind === "video")) {
    throw new SyntaxError("Cannot use SDP: it has no audio or video section");
  }
  return {
    sections,
    credentials: ufrag !== undefined && pwd !== undefined
      ? { ufrag, pwd }
      : undefined,
  };
}

/**
 * Parses a trickle-ICE fragment: its credentials (if any) and candidates,
 * each tied to the media section it follows (the first one when none).
 *
 * @throws {SyntaxError} on a line that is not `x=…`, or more than
 * {@link MAX_FRAGMENT_CANDIDATES} candidates
 */
export function parseFragment(text: string): SdpFragment {
  let ufrag: string | undefined;
  let pwd: string | undefined;
  let index = -1;
  let mid: string | undefined;
  const candidates: FragmentCandidate[] = [];
  for (const line of lines(text)) {
    checkLine(line, "SDP fragment");
    if (line.startsWith("m=")) {
      index++;
      mid = undefined;
    } else if (line.startsWith("a=mid:")) {
      mid = line.slice(6);
    } else if (line.startsWith("a=ice-ufrag:")) {
      ufrag = line.slice(12);
    } else if (line.startsWith("a=ice-pwd:")) {
      pwd = line.slice(10);
    } else if (line.startsWith("a=candidate:")) {
      if (candidates.length >= MAX_FRAGMENT_CANDIDATES) {
        throw new SyntaxError(
          `Cannot use SDP fragment: more than ${MAX_FRAGMENT_CANDIDATES} candidates`,
        );
      }
      candidates.push({
        candidate: line.slice(2),
        sdpMid: mid,
        sdpMLineIndex: Math.max(index, 0),
      });
    }
  }
  return {
    credentials: ufrag !== undefined && pwd !== undefined
      ? { ufrag, pwd }
      : undefined,
    candidates,
  };
}

/**
 * The same SDP with other ICE credentials and without candidates: the
 * offer of an ICE restart asked for by a fragment.
 */
export function withCredentials(
  text: string,
  credentials: IceCredentials,
): string {
  const out: string[] = [];
  for (const line of lines(text)) {
    if (line.startsWith("a=ice-ufrag:")) {
      out.push(`a=ice-ufrag:${credentials.ufrag}`);
    } else if (line.startsWith("a=ice-pwd:")) {
      out.push(`a=ice-pwd:${credentials.pwd}`);
    } else if (
      !line.startsWith("a=candidate:") &&
      !line.startsWith("a=end-of-candidates")
    ) {
      out.push(line);
    }
  }
  return out.join("\r\n") + "\r\n";
}

/**
 * A fragment with an answer's ICE credentials and candidates, per media
 * section: what an ICE restart's PATCH is answered with (RFC 9725 §4.3.2).
 */
export function answerFragment(answer: string): string {
  const credentials = summarizeSdp(answer).credentials;
  // Credentials first, then the sections (RFC 8840 §9).
  const out = credentials
    ? [`a=ice-ufrag:${credentials.ufrag}`, `a=ice-pwd:${credentials.pwd}`]
    : [];
  let inSection = false;
  for (const line of lines(answer)) {
    if (line.startsWith("m=")) {
      inSection = true;
      out.push(line);
    } else if (
      inSection &&
      (line.startsWith("a=mid:") || line.startsWith("a=candidate:") ||
        line.startsWith("a=end-of-candidates"))
    ) {
      out.push(line);
    }
  }
  return out.join("\r\n") + "\r\n";
}
