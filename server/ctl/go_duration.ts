/**
 * Durations written as Go's `time.ParseDuration` reads them (`24h`,
 * `1h30m`, `90s`, `500ms`), as galenectl's `-duration` takes them.
 *
 * @module
 */

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Returns the duration in milliseconds.
 *
 * @example
 * ```ts
 * parseGoDuration("1h30m"); // 5400000
 * ```
 * @throws {SyntaxError} When the text is not a duration.
 */
export function parseGoDuration(text: string): number {
  const match = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/
    .exec(text);
  if (text === "0") return 0;
  if (!match) throw new SyntaxError(`Invalid duration ${JSON.stringify(text)}`);
  let total = 0;
  for (
    const part of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)
  ) {
    total += Number(part[1]) * UNITS[part[2]!]!;
  }
  return match[1] === "-" ? -total : total;
}
