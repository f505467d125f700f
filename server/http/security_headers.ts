/**
 * Security headers for pages and files: a Content-Security-Policy that lets
 * the web client open WebSockets and play blob: media and nothing else,
 * no Referer leaks (group names and tokens live in URLs), and no MIME sniffing.
 *
 * @module
 */

import type { Context, MiddlewareHandler, Next } from "hono";

/** Options for {@linkcode securityHeaders}. */
export interface SecurityHeadersOptions {
  /**
   * Extra origins the page may connect to, per request: typically a group's
   * `authServer`. URLs are reduced to their origin; anything that is not an
   * http(s) URL is left out and logged.
   */
  extraConnectSrc?: (c: Context) => string[];
}

/**
 * Create middleware that adds `Content-Security-Policy`, `Referrer-Policy`
 * and `X-Content-Type-Options` to every response that lacks them.
 *
 * @example
 * ```ts
 * const app = new Hono();
 * app.use(securityHeaders());
 * ```
 *
 * @throws {TypeError} When `extraConnectSrc` is given but is not a function.
 */
export function securityHeaders(
  options: SecurityHeadersOptions = {},
): MiddlewareHandler {
  const { extraConnectSrc } = options;
  if (extraConnectSrc !== undefined && typeof extraConnectSrc !== "function") {
    throw new TypeError(
      "Cannot create securityHeaders: extraConnectSrc must be a function",
    );
  }

  return async function securityHeaders(c: Context, next: Next) {
    await next();
    const extra = extraConnectSrc ? originsOf(extraConnectSrc(c)) : [];
    setIfAbsent(c, "Content-Security-Policy", contentSecurityPolicy(extra));
    setIfAbsent(c, "Referrer-Policy", "no-referrer");
    setIfAbsent(c, "X-Content-Type-Options", "nosniff");
  };
}

function setIfAbsent(c: Context, name: string, value: string): void {
  // c.header() copies a finalized response when its headers are immutable.
  if (!c.res.headers.has(name)) c.header(name, value);
}

function contentSecurityPolicy(extraOrigins: string[]): string {
  return [
    // The client talks to the server over ws:/wss: (the endpoint may be on
    // another host behind a proxy) and fetches tokens from authServer.
    `connect-src ${[...extraOrigins, "ws:", "wss:", "'self'"].join(" ")}`,
    // data: and blob: for avatars and snapshots drawn by the client.
    "img-src 'self' data: blob:",
    // Remote streams and recordings play from MediaStream/blob URLs.
    "media-src blob: 'self'",
    // The stock client's filter code needs eval-like constructs.
    "script-src 'unsafe-eval' 'self'",
    "default-src 'self'",
    // Third-party widgets (toasts, menus) set inline styles.
    "style-src 'self' 'unsafe-inline'",
  ].join("; ");
}

function originsOf(urls: string[]): string[] {
  const origins: string[] = [];
  for (const url of urls) {
    let origin: string | undefined;
    try {
      const parsed = new URL(url);
      if (parsed.protocol === "https:" || parsed.protocol === "http:") {
        origin = parsed.origin;
      }
    } catch {
      // Reported below together with non-http URLs.
    }
    if (origin === undefined) {
      console.warn(`Leaving "${url}" out of connect-src: not an http(s) URL`);
    } else if (!origins.includes(origin)) {
      origins.push(origin);
    }
  }
  return origins;
}
