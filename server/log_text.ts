/**
 * The one way a string from outside (a client's name, a header, a path, an
 * error that may quote them) goes into a log line or an error message:
 * quoted, escaped and cut short, so that no client can make a line long or
 * forge a second one.
 *
 * @module
 */

/** Most characters of an outside string a log line carries. */
export const LOG_TEXT_MAX = 120;

/**
 * `value` (a string, or anything as `String()` writes it) as a JSON string
 * literal of at most `max` of its characters, with how many more were cut.
 *
 * @example
 * ```ts
 * logText("alice"); // '"alice"'
 * logText("x".repeat(1000), 3); // '"xxx…" (+997 characters)'
 * logText("a\nb"); // '"a\\nb"'
 * ```
 */
export function logText(value: unknown, max = LOG_TEXT_MAX): string {
  const text = typeof value === "string" ? value : String(value);
  if (text.length <= max) return JSON.stringify(text);
  // Do not cut a surrogate pair in half.
  const end = isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  return `${JSON.stringify(text.slice(0, end) + "…")} (+${
    text.length - end
  } characters)`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code < 0xdc00;
}
