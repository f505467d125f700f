/**
 * What every administrative API handler receives, and the response helpers
 * they share: JSON with an entity tag, preconditions, write permission.
 *
 * @module
 */

import type { TokenStore } from "../auth/token_store.ts";
import type { ServerConfig } from "../config/server_config.ts";
import { HttpError } from "../http/http_error.ts";
import type { Principal } from "./admin_auth.ts";
import type { AdminRoute } from "./admin_route.ts";
import { ADMIN_REALM } from "./admin_auth.ts";
import type { GroupFile, GroupFiles } from "./group_files.ts";
import { evaluatePreconditions } from "./preconditions.ts";

/** A request, authorised, on its way to a handler. */
export interface AdminContext<R extends AdminRoute = AdminRoute> {
  request: Request;
  /** `GET`, `HEAD`, `PUT`, `POST` or `DELETE`. */
  method: string;
  route: R;
  principal: Principal;
  /** The group's file, read before authorisation; absent for global routes. */
  file?: GroupFile;
  files: GroupFiles;
  tokenStore: TokenStore;
  config: ServerConfig;
  now: number;
  log: (message: string) => void;
}

/** A handler of one kind of route. */
export type AdminHandler<R extends AdminRoute = AdminRoute> = (
  context: AdminContext<R>,
) => Promise<Response>;

/**
 * Answers a read (GET or HEAD) of an object tagged `etag` (`""` when it does
 * not exist): 304 or 412 as the preconditions say, 404 when missing, else
 * the JSON of `body()` with its `ETag`.
 *
 * @throws {HttpError} 404 or 412.
 */
export function readResponse(
  context: AdminContext,
  options: { etag: string; body: () => unknown; what: string },
): Response {
  const { etag } = options;
  checkPreconditions(context, etag);
  if (etag === "") throw new HttpError(404, `${options.what} not found`);
  return jsonResponse(context.method, options.body(), { etag });
}

/**
 * Throws unless the request's preconditions hold for an object tagged
 * `etag`; a GET or HEAD whose `If-None-Match` matches is answered 304.
 *
 * @throws {HttpError} 412; or a 304 carried as {@link NotModified}.
 */
export function checkPreconditions(context: AdminContext, etag: string): void {
  const outcome = evaluatePreconditions(context.request.headers, {
    method: context.method,
    etag,
  });
  if (outcome === "failed") {
    throw new HttpError(412, "Precondition failed: the object has changed");
  }
  if (outcome === "not-modified") throw new NotModified(etag);
}

/** Thrown to answer 304; caught by the API's dispatcher. */
export class NotModified extends Error {
  /** The current tag, sent back with the 304. */
  readonly etag: string;

  /** Creates the signal for `etag`. */
  constructor(etag: string) {
    super("Not modified");
    this.name = "NotModified";
    this.etag = etag;
  }

  /** The 304 response. */
  toResponse(): Response {
    return new Response(null, { status: 304, headers: { ETag: this.etag } });
  }
}

/** Whether the request carries `If-Match` or `If-None-Match`. */
export function isConditional(request: Request): boolean {
  return request.headers.has("if-match") ||
    request.headers.has("if-none-match");
}

/**
 * Refuses writes to group files unless `writableGroups` is set, with 401
 * as the reference says.
 *
 * @throws {HttpError} 401.
 */
export function requireWritable(context: AdminContext): void {
  if (!context.config.writableGroups) {
    throw new HttpError(
      401,
      "Not authorised: group files are read-only (writableGroups is not set)",
      { headers: { "WWW-Authenticate": `basic realm="${ADMIN_REALM}"` } },
    );
  }
}

/** A JSON response (no body for HEAD), with `etag` when given. */
export function jsonResponse(
  method: string,
  body: unknown,
  options: { etag?: string; status?: number } = {},
): Response {
  const headers = new Headers({
    "Content-Type": "application/json",
    "Cache-Control": "no-cache",
  });
  if (options.etag) headers.set("ETag", options.etag);
  const text = JSON.stringify(body);
  return new Response(method === "HEAD" ? null : text, {
    status: options.status ?? 200,
    headers,
  });
}

/** The answer to a write: 201 when it created the object, else 204. */
export function writeResponse(
  options: { created: boolean; etag?: string; location?: string },
): Response {
  const headers = new Headers();
  if (options.etag) headers.set("ETag", options.etag);
  if (options.location !== undefined) {
    headers.set("Location", options.location);
  }
  return new Response(null, {
    status: options.created ? 201 : 204,
    headers,
  });
}

/**
 * Returns the group's description, refusing a missing (404) or broken
 * (500, naming the problem) file.
 *
 * @throws {HttpError} 404 or 500.
 */
export function existingGroup(
  file: GroupFile | undefined,
  group: string,
): Extract<GroupFile, { state: "ok" }> {
  if (!file || file.state === "missing") {
    throw new HttpError(404, `Group ${JSON.stringify(group)} not found`);
  }
  if (file.state === "invalid") {
    throw new HttpError(500, `Group file is invalid: ${file.problem}`);
  }
  return file;
}

/** Re-exported for handlers that only need the type. */
export type { ServerConfig };
