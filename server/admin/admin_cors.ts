/**
 * The Origin check of the administrative API: browsers may call it from
 * the same host or from an origin listed in `allowAdminOrigin`.
 *
 * @module
 */

import type { ServerConfig } from "../config/server_config.ts";
import { originAllowed } from "../http/websocket_route.ts";

/** Headers a browser may send cross-origin, and those it may read back. */
const ALLOW_HEADERS = "Authorization, Content-Type, If-Match, If-None-Match";
const EXPOSE_HEADERS = "ETag, Location";

/**
 * Returns the CORS headers for a request from `origin` to `host`, or `null`
 * when the origin is not allowed. A request without an Origin (not a
 * browser) and a same-host one need none.
 *
 * @example
 * ```ts
 * const headers = adminCorsHeaders("https://ops.example", {
 *   host: "galene.example", config,
 * });
 * if (headers === null) throw new HttpError(403, "Origin not allowed");
 * ```
 */
export function adminCorsHeaders(
  origin: string | null,
  options: {
    host: string | null;
    config: Pick<ServerConfig, "allowAdminOrigin">;
  },
): Record<string, string> | null {
  const allowed = originAllowed(origin, options.host, {
    allowOrigin: options.config.allowAdminOrigin,
    publicServer: false,
  });
  if (!allowed) return null;
  if (origin === null || sameHost(origin, options.host)) return {};
  return {
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Allow-Credentials": "true",
    "Access-Control-Expose-Headers": EXPOSE_HEADERS,
    Vary: "Origin",
  };
}

/** The answer to a preflight for a route answering `methods`. */
export function preflightHeaders(
  methods: readonly string[],
): Record<string, string> {
  return {
    "Access-Control-Allow-Methods": ["OPTIONS", ...methods].join(", "),
    "Access-Control-Allow-Headers": ALLOW_HEADERS,
    "Access-Control-Max-Age": "600",
  };
}

function sameHost(origin: string, host: string | null): boolean {
  try {
    return host !== null && new URL(origin).host === host;
  } catch {
    return false;
  }
}
