/**
 * The codec names: what a group may allow in its `codecs` list, what the
 * media plane negotiates (server/media/local/codecs.ts) and what media-wasm
 * handles (its `Codec`, checked equal in server/media/local/wasm_pipeline.ts),
 * and what the media-node interface carries (server/media/media_node.ts;
 * checked with {@link isCodecName} where it comes off the cluster wire).
 *
 * @module
 */

/** A codec name accepted in `codecs`. */
export type CodecName =
  | "vp8"
  | "vp9"
  | "av1"
  | "h264"
  | "opus"
  | "g722"
  | "pcmu"
  | "pcma";

/** Every accepted codec name. */
export const CODEC_NAMES: readonly CodecName[] = Object.freeze([
  "vp8",
  "vp9",
  "av1",
  "h264",
  "opus",
  "g722",
  "pcmu",
  "pcma",
]);

/** Whether a value is a {@link CodecName} as written (lower case, as sent on the wire). */
export function isCodecName(v: unknown): v is CodecName {
  return typeof v === "string" &&
    (CODEC_NAMES as readonly string[]).includes(v);
}

/** Codecs of a group that does not list any. */
export const DEFAULT_CODECS: readonly CodecName[] = Object.freeze([
  "vp8",
  "opus",
]);

/**
 * Validates a `codecs` list (case-insensitive, result in lower case); an
 * absent or empty list gives {@link DEFAULT_CODECS}.
 *
 * @throws {TypeError} Naming `where` and the unknown codec.
 */
export function parseCodecNames(
  names: readonly string[] | undefined,
  where: string,
): CodecName[] {
  if (names === undefined || names.length === 0) return [...DEFAULT_CODECS];
  return names.map((name) => {
    const codec = CODEC_NAMES.find((c) => c === name.toLowerCase());
    if (!codec) {
      throw new TypeError(
        `${where} contains unknown codec ${JSON.stringify(name)} ` +
          `(expected one of ${CODEC_NAMES.join(", ")})`,
      );
    }
    return codec;
  });
}
