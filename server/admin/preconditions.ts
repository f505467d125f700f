/**
 * Conditional requests (RFC 9110 section 13, the subset the reference
 * uses): `If-Match` and `If-None-Match` against an object's entity tag,
 * where a missing object has the empty tag.
 *
 * @module
 */

/** What to do with a request after its preconditions. */
export type PreconditionOutcome = "proceed" | "not-modified" | "failed";

/**
 * Evaluates `If-Match` then `If-None-Match` for a request on an object whose
 * tag is `etag` (`""` when it does not exist): a failed `If-Match` gives
 * `failed` (412); a matching `If-None-Match` gives `not-modified` (304) for
 * GET and HEAD and `failed` otherwise. `*` matches any existing object, so
 * `If-None-Match: *` makes a PUT create-only.
 *
 * @example
 * ```ts
 * evaluatePreconditions(new Headers({ "If-None-Match": "*" }), { method: "PUT", etag: "" });
 * // "proceed"
 * ```
 */
export function evaluatePreconditions(
  headers: Headers,
  options: { method: string; etag: string },
): PreconditionOutcome {
  const { method, etag } = options;
  const ifMatch = headers.get("if-match");
  if (ifMatch !== null && !matches(ifMatch, { etag, weak: false })) {
    return "failed";
  }
  const ifNoneMatch = headers.get("if-none-match");
  if (ifNoneMatch !== null && matches(ifNoneMatch, { etag, weak: true })) {
    return method === "GET" || method === "HEAD" ? "not-modified" : "failed";
  }
  return "proceed";
}

/**
 * Returns `true` when the header's list names `etag`. `If-Match` compares
 * strongly (a weak tag never matches); `If-None-Match` weakly.
 */
function matches(
  header: string,
  options: { etag: string; weak: boolean },
): boolean {
  const { etag, weak } = options;
  if (etag === "") return false;
  const list = header.split(",").map((tag) => tag.trim()).filter((t) => t);
  return list.some((tag) => {
    if (tag === "*") return true;
    if (weak) return opaque(tag) === opaque(etag);
    return !isWeak(tag) && !isWeak(etag) && tag === etag;
  });
}

function isWeak(tag: string): boolean {
  return tag.startsWith("W/");
}

function opaque(tag: string): string {
  return isWeak(tag) ? tag.slice(2) : tag;
}
