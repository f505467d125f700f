/**
 * The one HTTP error type of the server, and the `onError` handler that turns
 * it (or anything else thrown) into a response.
 *
 * @module
 */

import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { logText } from "../log_text.ts";

/** Options for {@linkcode HttpError}. */
export interface HttpErrorOptions {
  /** Extra response headers, such as `WWW-Authenticate` for a 401. */
  headers?: Record<string, string>;
  /** The underlying error, kept for logs. */
  cause?: unknown;
}

/**
 * An error that answers the request with `status` and `message` as a plain
 * text body.
 *
 * @example
 * ```ts
 * throw new HttpError(404, `Group "${name}" does not exist`);
 * ```
 */
export class HttpError extends Error {
  readonly #status: number;
  readonly #headers: Readonly<Record<string, string>>;

  /**
   * Create an error response of the given status.
   *
   * @throws {RangeError} When `status` is not an integer in 400–599.
   */
  constructor(status: number, message: string, options: HttpErrorOptions = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(
        `Cannot create HttpError "${message}": status ${status} is not an error status`,
      );
    }
    this.name = "HttpError";
    this.#status = status;
    this.#headers = { ...options.headers };
  }

  /** The HTTP status code, 400–599. */
  get status(): number {
    return this.#status;
  }

  /** The extra response headers. */
  get headers(): Readonly<Record<string, string>> {
    return this.#headers;
  }

  /** This error as a plain-text response. */
  toResponse(): Response {
    const headers = new Headers(this.#headers);
    headers.set("Content-Type", "text/plain; charset=utf-8");
    return new Response(this.message, { status: this.#status, headers });
  }
}

/**
 * Hono `onError` handler: an {@linkcode HttpError} becomes its response; a
 * Hono `HTTPException` (thrown by Hono's own middleware) its own; anything
 * else is logged and answered with a bare 500 that leaks nothing.
 *
 * @example
 * ```ts
 * const app = new Hono();
 * app.onError(handleError);
 * ```
 */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof HttpError) return err.toResponse();
  if (err instanceof HTTPException) return err.getResponse();
  // The message and the path may quote a client's input: both are cut
  // short; the stack's frames are the server's own.
  const frames = err.stack?.split("\n").filter((l) => /^\s+at /.test(l));
  console.error(
    `Error handling ${c.req.method} ${logText(c.req.path)}: ${
      logText(err, 300)
    }${frames?.length ? "\n" + frames.join("\n") : ""}`,
  );
  return new Response("Internal server error", {
    status: 500,
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
}
