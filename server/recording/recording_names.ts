/**
 * Names of recording files, as Galène makes them:
 * `<YYYY-MM-DDTHH:MM:SS.mmm>[-<username>].<ext>`, with `/` and `\` in the
 * username spelled out, and `-01`…`-99` added on a collision.
 *
 * @module
 */

/** Most collision suffixes tried, `-01` to `-99`. */
export const MAX_COLLISIONS = 99;

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/**
 * The name of a recording started at `time` (server local time) by
 * `username`, without extension.
 *
 * @example
 * ```ts
 * recordingBaseName(new Date(2024, 0, 2, 3, 4, 5, 6), "a/b");
 * // "2024-01-02T03:04:05.006-a-slash-b"
 * ```
 */
export function recordingBaseName(time: Date, username?: string): string {
  const stamp = `${pad(time.getFullYear(), 4)}-${pad(time.getMonth() + 1, 2)}-${
    pad(time.getDate(), 2)
  }T${pad(time.getHours(), 2)}:${pad(time.getMinutes(), 2)}:${
    pad(time.getSeconds(), 2)
  }.${pad(time.getMilliseconds(), 3)}`;
  if (!username) return stamp;
  const safe = username.replaceAll("/", "-slash-").replaceAll(
    "\\",
    "-backslash-",
  );
  return `${stamp}-${safe}`;
}

/** The file names to try in order: `base.ext`, then `base-01.ext`… `base-99.ext`. */
export function* recordingCandidates(
  base: string,
  extension: string,
): Generator<string> {
  yield `${base}.${extension}`;
  for (let i = 1; i <= MAX_COLLISIONS; i++) {
    yield `${base}-${pad(i, 2)}.${extension}`;
  }
}

/**
 * Whether `name` may be served or deleted from a recordings folder: a plain
 * file name, no path, not hidden.
 */
export function isSafeRecordingName(name: string): boolean {
  return name !== "" && !name.startsWith(".") && !name.includes("/") &&
    !name.includes("\\") && !name.includes("..") && !name.includes("\0");
}
