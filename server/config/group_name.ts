/**
 * Validation of group names and usernames, checked before either is used to
 * build a path on disk.
 *
 * Both are at most {@link MAX_NAME_BYTES} (256) bytes of UTF-8, and each
 * component of a group name at most 250, so that `COMPONENT.json` fits in
 * a file name (255 bytes on common file systems). A longer name names
 * nothing: no group can have it, so it is never looked up.
 *
 * @module
 */

import { fitsBytes, MAX_NAME_BYTES } from "../protocol/byte_limits.ts";

// deno-lint-ignore no-control-regex -- control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Longest component of a group name: 255 bytes less `.json`. */
export const MAX_GROUP_SEGMENT_BYTES = 255 - ".json".length;

/**
 * Returns `true` when `name` may name a group: slash-separated non-empty
 * segments, none starting with `.` (which also rules out `.` and `..`, and
 * matches the hidden files the groups directory ignores), no backslash, no
 * control character (NUL, line breaks: a name goes into headers and logs),
 * no leading or trailing `/`, and within the length limits above.
 *
 * @example
 * ```ts
 * isValidGroupName("teaching/networking"); // true
 * isValidGroupName("../etc/passwd"); // false
 * ```
 */
export function isValidGroupName(name: string): boolean {
  if (name === "" || name.includes("\\") || CONTROL.test(name)) return false;
  if (!fitsBytes(name, MAX_NAME_BYTES)) return false;
  return name.split("/").every((segment) =>
    segment !== "" && !segment.startsWith(".") &&
    fitsBytes(segment, MAX_GROUP_SEGMENT_BYTES)
  );
}

/**
 * Returns `true` when `name` may be a username (Galène's rule): empty, or a
 * clean relative path (no backslash, no NUL, no leading, trailing or doubled
 * `/`, no `.` or `..` segment) of at most 256 bytes.
 *
 * @example
 * ```ts
 * isValidUsername(""); // true
 * isValidUsername("bob/../alice"); // false
 * ```
 */
export function isValidUsername(name: string): boolean {
  if (name === "") return true;
  if (name.includes("\\") || name.includes("\0")) return false;
  if (!fitsBytes(name, MAX_NAME_BYTES)) return false;
  return name.split("/").every((segment) =>
    segment !== "" && segment !== "." && segment !== ".."
  );
}
