/**
 * Validation of group names and usernames, checked before either is used to
 * build a path on disk.
 *
 * @module
 */

/**
 * Returns `true` when `name` may name a group: slash-separated non-empty
 * segments, none starting with `.` (which also rules out `.` and `..`, and
 * matches the hidden files the groups directory ignores), no backslash, no
 * NUL, no leading or trailing `/`.
 *
 * @example
 * ```ts
 * isValidGroupName("teaching/networking"); // true
 * isValidGroupName("../etc/passwd"); // false
 * ```
 */
export function isValidGroupName(name: string): boolean {
  if (name === "" || name.includes("\\") || name.includes("\0")) return false;
  return name.split("/").every((segment) =>
    segment !== "" && !segment.startsWith(".")
  );
}

/**
 * Returns `true` when `name` may be a username (reference §3.4): empty, or a
 * clean relative path (no backslash, no NUL, no leading, trailing or doubled
 * `/`, no `.` or `..` segment).
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
  return name.split("/").every((segment) =>
    segment !== "" && segment !== "." && segment !== ".."
  );
}
