/**
 * Invitations (stateful tokens) as the client sees them: expiry words typed
 * after `/invite` and `/reinvite`, the link that carries a token, and the
 * token objects the server sends in `usermessage` `token` and `tokenlist`,
 * parsed once into typed values. Pure: the clock is passed in.
 *
 * @module
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  // Galène counts a month as 31 days and a year as 365.
  mon: 31 * 86_400_000,
  yr: 365 * 86_400_000,
};

/**
 * Parses Galène's durations: `30min`, `2h`, `1d`, `2w`, `1mon`, `1yr`, `45s`.
 *
 * @returns milliseconds.
 * @throws {SyntaxError} When `text` is not a duration.
 */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|min|h|d|w|mon|yr)$/.exec(text.trim());
  if (!m) {
    throw new SyntaxError(`"${text}" is not a duration like 30min, 2h or 1d`);
  }
  return Number(m[1]) * (UNIT_MS[m[2] ?? "s"] ?? 1000);
}

/**
 * Reads an expiry as the server takes it: a duration becomes milliseconds
 * from now (a number), a date becomes an ISO 8601 string.
 *
 * @example
 * ```ts
 * parseExpiry("2h", 0); // 7_200_000
 * parseExpiry("2030-01-31", 0); // "2030-01-31T00:00:00.000Z"
 * ```
 * @throws {SyntaxError} When `text` is neither, or the date has passed.
 */
export function parseExpiry(text: string, now: number): number | string {
  try {
    return parseDuration(text);
  } catch {
    // Not a duration: maybe a date.
  }
  // Only things that look like dates: Date.parse accepts odd words.
  const time = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(
      text.trim(),
    )
    ? Date.parse(text.trim().replace(" ", "T"))
    : NaN;
  if (Number.isNaN(time)) {
    throw new SyntaxError(
      `"${text}" is not an expiry like 30min, 2h, 1d, 1mon, 1yr or 2030-01-31`,
    );
  }
  if (time <= now) throw new SyntaxError(`${text} has already passed`);
  return new Date(time).toISOString();
}

/** True when `word` reads as an expiry (a duration or a date). */
export function isExpiry(word: string, now: number): boolean {
  try {
    parseExpiry(word, now);
    return true;
  } catch {
    return false;
  }
}

/** The page address that joins `group` with `token`. */
export function invitationLink(
  origin: string,
  group: string,
  token: string,
): string {
  const path = group.split("/").map(encodeURIComponent).join("/");
  return `${origin}/group/${path}/?token=${encodeURIComponent(token)}`;
}

/**
 * The token name in what the user pasted: a whole invitation link or the
 * bare name.
 *
 * @throws {SyntaxError} When there is none.
 */
export function tokenFromLink(text: string): string {
  const t = text.trim();
  if (/^https?:\/\//.test(t)) {
    const token = new URL(t).searchParams.get("token");
    if (!token) throw new SyntaxError(`The link ${t} holds no invitation`);
    return token;
  }
  if (!t) throw new SyntaxError("Which invitation? Give its link");
  return t;
}

/** An invitation, as parsed from the server's token object. */
export interface Invitation {
  token: string;
  group: string;
  /** The name the token imposes; absent: the guest chooses. */
  username?: string;
  permissions: string[];
  /** Milliseconds since the epoch. */
  expires?: number;
  notBefore?: number;
  issuedBy?: string;
  issuedAt?: number;
}

function time(v: unknown): number | undefined {
  if (typeof v !== "string") return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Parses one token object of a `token` or `tokenlist` message.
 *
 * @throws {TypeError} When it has no token name.
 */
export function parseInvitation(value: unknown): Invitation {
  const o =
    (typeof value === "object" && value !== null ? value : {}) as Record<
      string,
      unknown
    >;
  if (typeof o["token"] !== "string" || o["token"] === "") {
    throw new TypeError("The server sent an invitation without a token");
  }
  const inv: Invitation = {
    token: o["token"],
    group: typeof o["group"] === "string" ? o["group"] : "",
    permissions: Array.isArray(o["permissions"])
      ? o["permissions"].filter((p): p is string => typeof p === "string")
      : [],
  };
  if (typeof o["username"] === "string") inv.username = o["username"];
  if (typeof o["issuedBy"] === "string") inv.issuedBy = o["issuedBy"];
  const fields = [
    ["expires", "expires"],
    ["not-before", "notBefore"],
    ["issuedAt", "issuedAt"],
  ] as const;
  for (const [key, field] of fields) {
    const t = time(o[key]);
    if (t !== undefined) inv[field] = t;
  }
  return inv;
}

/**
 * Parses a `tokenlist` value, soonest expiry first.
 *
 * @throws {TypeError} When it is not a list of tokens.
 */
export function parseInvitationList(value: unknown): Invitation[] {
  if (value === null) return [];
  if (!Array.isArray(value)) {
    throw new TypeError("The server's list of invitations is not a list");
  }
  return value.map(parseInvitation).sort((a, b) =>
    (a.expires ?? Infinity) - (b.expires ?? Infinity)
  );
}

/** "in 3 hours", "2 days ago": a rough, readable distance in time. */
export function relativeTime(when: number, now: number): string {
  const ms = when - now;
  const abs = Math.abs(ms);
  const steps: [number, string][] = [
    [365 * 86_400_000, "year"],
    [30 * 86_400_000, "month"],
    [86_400_000, "day"],
    [3_600_000, "hour"],
    [60_000, "minute"],
  ];
  let text = "less than a minute";
  for (const [size, unit] of steps) {
    if (abs >= size) {
      const n = Math.round(abs / size);
      text = `${n} ${unit}${n === 1 ? "" : "s"}`;
      break;
    }
  }
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/** Whether an invitation still lets people in at `now`. */
export function invitationState(
  inv: Invitation,
  now: number,
): "valid" | "expired" | "not-yet" {
  if (inv.expires === undefined || inv.expires <= now) return "expired";
  if (inv.notBefore !== undefined && inv.notBefore > now) return "not-yet";
  return "valid";
}

/** One sentence describing an invitation, for the chat and screen readers. */
export function describeInvitation(inv: Invitation, now: number): string {
  const who = inv.username
    ? `for ${inv.username}`
    : "for anyone (they choose a name)";
  const can = inv.permissions.length
    ? `may ${inv.permissions.join(", ")}`
    : "may only watch";
  const state = invitationState(inv, now);
  const when = inv.expires === undefined
    ? "never valid (no expiry)"
    : state === "expired"
    ? `expired ${relativeTime(inv.expires, now)}`
    : `expires ${relativeTime(inv.expires, now)}`;
  const start = state === "not-yet" && inv.notBefore !== undefined
    ? `, usable ${relativeTime(inv.notBefore, now)}`
    : "";
  const by = inv.issuedBy ? `, made by ${inv.issuedBy}` : "";
  return `${who}; ${can}; ${when}${start}${by}`;
}
