/**
 * Request bodies of the administrative API: the media type is checked
 * (415) and the size bounded (413) before anything is parsed.
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";

/** Bodies larger than this are refused, as Galène does: 1 MiB. */
export const MAX_BODY_SIZE = 1 << 20;

/** Options of {@link readBody}. */
export interface ReadBodyOptions {
  /** Accepted media types, lower case, without parameters. */
  types: readonly string[];
  /** Largest accepted body in bytes; default {@link MAX_BODY_SIZE}. */
  limit?: number;
}

/**
 * Reads a request body as UTF-8 text.
 *
 * @throws {HttpError} 415 (with an `Accept` header listing `types`) when the
 * Content-Type is missing or another; 413 when the body exceeds the limit,
 * checked on `Content-Length` first and then while reading, so a lying or
 * chunked request cannot make us buffer more; 400 when it is not UTF-8.
 */
export async function readBody(
  request: Request,
  options: ReadBodyOptions,
): Promise<string> {
  const limit = options.limit ?? MAX_BODY_SIZE;
  const type = mediaTypeOf(request.headers.get("content-type"));
  if (!options.types.includes(type)) {
    throw new HttpError(
      415,
      `Unsupported content type ${JSON.stringify(type)}; expected ${
        options.types.join(" or ")
      }`,
      { headers: { Accept: options.types.join(", ") } },
    );
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) throw tooLarge(limit);
  const body = request.body;
  if (body === null) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "Request body is not valid UTF-8");
  }
}

/**
 * Reads a JSON body.
 *
 * @throws {HttpError} As {@link readBody}, and 400 when it is not JSON.
 */
export async function readJsonBody(
  request: Request,
  options: ReadBodyOptions = { types: ["application/json"] },
): Promise<unknown> {
  const text = await readBody(request, options);
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, `Request body is not valid JSON: ${detail}`);
  }
}

/** The media type of a Content-Type header, lower case, parameters dropped. */
export function mediaTypeOf(header: string | null): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `Request body is larger than ${limit} bytes`);
}
