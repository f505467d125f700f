/**
 * Entity tags for documents that are not files (the group list, `.stats`):
 * a digest of their JSON.
 *
 * @module
 */

/**
 * Returns a weak tag naming the JSON of `value`; equal documents get equal
 * tags, so `If-None-Match` can answer 304.
 *
 * @example
 * ```ts
 * await contentTag(["a", "b"]); // W/"…"
 * ```
 */
export async function contentTag(value: unknown): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify(value)),
  );
  const hex = Array.from(
    new Uint8Array(digest).subarray(0, 12),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  return `W/"${hex}"`;
}
