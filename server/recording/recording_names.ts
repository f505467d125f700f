/**
 * Names of recording files, as Galène makes them:
 * `<YYYY-MM-DDTHH:MM:SS.mmm>[-<username>].<ext>`, with `/` and `\` in the
 * username spelled out, and `-01`…`-99` added on a collision.
 *
 * @module
 */

import { cutToBytes, fitsBytes } from "../protocol/byte_limits.ts";

/** Most collision suffixes tried, `-01` to `-99`. */
export const MAX_COLLISIONS = 99;

/** Longest file name on common file systems (NAME_MAX), in bytes. */
export const MAX_FILE_NAME_BYTES = 255;

/** Room for the username: less the time stamp, `-`, `-99` and `.webm`. */
const MAX_USERNAME_PART = MAX_FILE_NAME_BYTES -
  "2024-01-02T03:04:05.006-".length -
  "-99".length - ".webm".length;

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
  // A long username is cut so that the name, its collision suffix and its
  // extension still make a valid file name.
  return `${stamp}-${cutToBytes(safe, MAX_USERNAME_PART)}`;
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
 * file name, no path, not hidden, short enough to be a file's name.
 */
export function isSafeRecordingName(name: string): boolean {
  return name !== "" && fitsBytes(name, MAX_FILE_NAME_BYTES) &&
    !name.startsWith(".") && !name.includes("/") && !name.includes("\\") &&
    !name.includes("..") && !name.includes("\0");
}
