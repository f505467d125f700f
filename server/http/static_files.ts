/**
 * Static files (the web client) served from one directory, confined to it,
 * streamed from disk, with ETags and cache lifetimes as the client expects.
 *
 * @module
 */

import type { Context, MiddlewareHandler, Next } from "hono";
import { extname, join, sep } from "node:path";
import { HttpError } from "./http_error.ts";

/** Options for {@linkcode serveStatic}. */
export interface ServeStaticOptions {
  /** The directory to serve; must exist. */
  root: string;
}

// Text types carry a charset so browsers never guess one.
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".htm": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".otf": "font/otf",
  ".eot": "application/vnd.ms-fontobject",
  ".wasm": "application/wasm",
  ".tflite": "application/octet-stream",
  ".webm": "video/webm",
  ".mp4": "video/mp4",
  ".ogg": "audio/ogg",
  ".opus": "audio/ogg",
  ".wav": "audio/wav",
  ".pdf": "application/pdf",
  ".webmanifest": "application/manifest+json",
};

// Galène's lifetimes: the client's own files may change on upgrade, so half
// an hour; vendored third-party files are versioned by hand, so a day.
const MAX_AGE_SECONDS = 1800;
const THIRD_PARTY_MAX_AGE_SECONDS = 86400;

/**
 * Create a handler serving GET and HEAD requests from `options.root`. Missing
 * files, dot-files and other methods fall through to `next()` so the app can
 * answer; a directory redirects to its trailing-slash form and serves its
 * `index.html` (403 without one).
 *
 * @example
 * ```ts
 * const app = new Hono();
 * app.get("/*", serveStatic({ root: "./client" }));
 * app.notFound(notFoundPage("./client"));
 * ```
 *
 * @throws {TypeError} When `root` is not an existing directory.
 */
export function serveStatic(options: ServeStaticOptions): MiddlewareHandler {
  const root = resolveRoot(options.root);

  return async function serveStatic(c: Context, next: Next) {
    const method = c.req.method;
    if (method !== "GET" && method !== "HEAD") return await next();
    const url = new URL(c.req.url);
    const segments = pathSegments(url.pathname);
    if (segments === undefined) return await next();

    const found = await resolveInside(root, segments);
    if (found === undefined) return await next();
    if (found.info.isDirectory) {
      if (!url.pathname.endsWith("/")) {
        const location = "/" + segments.map(encodeURIComponent).join("/") +
          "/" + url.search;
        return c.redirect(location, 308);
      }
      const index = await resolveInside(root, [...segments, "index.html"]);
      if (index === undefined || !index.info.isFile) {
        throw new HttpError(403, "Directory listing is not allowed");
      }
      return await fileResponse(c, index, { pathname: url.pathname });
    }
    if (!found.info.isFile) return await next();
    return await fileResponse(c, found, { pathname: url.pathname });
  };
}

/**
 * Create a not-found handler serving `<root>/404.html` with status 404, or a
 * plain-text "Not found" when that file is absent.
 *
 * @example
 * ```ts
 * app.notFound(notFoundPage("./client"));
 * ```
 */
export function notFoundPage(root: string): (c: Context) => Promise<Response> {
  const page = join(root, "404.html");
  return async function notFoundPage(_c: Context) {
    let html: string;
    try {
      html = await Deno.readTextFile(page);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      return new Response("Not found", {
        status: 404,
        headers: { "Content-Type": "text/plain; charset=utf-8" },
      });
    }
    return new Response(html, {
      status: 404,
      headers: {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-cache",
      },
    });
  };
}

function resolveRoot(root: unknown): string {
  if (typeof root !== "string" || root === "") {
    throw new TypeError(
      "Cannot serve static files: root must be a directory path",
    );
  }
  let real: string;
  try {
    real = Deno.realPathSync(root);
  } catch (err) {
    throw new TypeError(
      `Cannot serve static files from "${root}": it does not exist`,
      { cause: err },
    );
  }
  if (!Deno.statSync(real).isDirectory) {
    throw new TypeError(
      `Cannot serve static files from "${root}": not a directory`,
    );
  }
  return real;
}

/**
 * Split a raw (still percent-encoded) URL path into decoded segments, or
 * `undefined` for a dot-file, which is never served.
 *
 * @throws {HttpError} 400 for anything that could step outside the root.
 */
function pathSegments(rawPath: string): string[] | undefined {
  const parts = rawPath.split("/").slice(1);
  if (parts.at(-1) === "") parts.pop(); // the trailing slash of a directory
  const segments: string[] = [];
  for (const part of parts) {
    let segment: string;
    try {
      segment = decodeURIComponent(part);
    } catch {
      throw new HttpError(400, `Bad path "${rawPath}": malformed escape`);
    }
    // "/" here came from %2F; "\\" is a separator on Windows; "" is "//".
    if (
      segment === "" || segment === "." || segment === ".." ||
      /[/\\\0]/.test(segment)
    ) {
      throw new HttpError(400, `Bad path "${rawPath}"`);
    }
    if (segment.startsWith(".")) return undefined;
    segments.push(segment);
  }
  return segments;
}

interface Found {
  path: string;
  info: Deno.FileInfo;
}

/**
 * The real path and stat of `segments` under `root`, or `undefined` when it
 * does not exist or a symlink leads outside the root.
 */
async function resolveInside(
  root: string,
  segments: string[],
): Promise<Found | undefined> {
  let real: string;
  try {
    real = await Deno.realPath(join(root, ...segments));
  } catch (err) {
    if (
      err instanceof Deno.errors.NotFound ||
      err instanceof Deno.errors.NotADirectory
    ) return undefined;
    throw err;
  }
  if (
    real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep)
  ) {
    return undefined;
  }
  return { path: real, info: await Deno.stat(real) };
}

async function fileResponse(
  c: Context,
  found: Found,
  options: { pathname: string },
): Promise<Response> {
  // Hono strips HEAD bodies itself, but an opened, never-read file would hold
  // its descriptor until garbage collection: for HEAD, do not open it at all.
  const file = c.req.method === "HEAD"
    ? undefined
    : await Deno.open(found.path, { read: true });
  try {
    // Stat the open file so the headers describe exactly what is streamed.
    const info = file ? await file.stat() : found.info;
    const headers = fileHeaders(found.path, info, options);
    const etag = headers.get("ETag");
    if (etag !== null && matchesEtag(c.req.header("If-None-Match"), etag)) {
      file?.close();
      headers.delete("Content-Type");
      return new Response(null, { status: 304, headers });
    }
    headers.set("Content-Length", String(info.size));
    return new Response(file?.readable ?? null, { status: 200, headers });
  } catch (err) {
    file?.close();
    throw err;
  }
}

function fileHeaders(
  path: string,
  info: Deno.FileInfo,
  options: { pathname: string },
): Headers {
  const maxAge = options.pathname.startsWith("/third-party/")
    ? THIRD_PARTY_MAX_AGE_SECONDS
    : MAX_AGE_SECONDS;
  const headers = new Headers({
    "Content-Type": CONTENT_TYPES[extname(path).toLowerCase()] ??
      "application/octet-stream",
    "Cache-Control": `max-age=${maxAge}`,
  });
  if (info.mtime) {
    // Deno exposes mtime in milliseconds only, so the tag is size-mtimeMs.
    headers.set("ETag", `"${info.size}-${info.mtime.getTime()}"`);
    headers.set("Last-Modified", info.mtime.toUTCString());
  }
  return headers;
}

/** RFC 9110 §13.1.2: weak comparison, a list of tags, or "*". */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(",").some((candidate) => {
    const tag = candidate.trim();
    return tag === "*" || tag === etag || tag === `W/${etag}`;
  });
}
