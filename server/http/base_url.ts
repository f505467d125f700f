/**
 * The server's external URLs (`location`, `endpoint`) as clients must see
 * them: from `proxyURL` when the server sits behind a reverse proxy, else
 * from the request itself.
 *
 * @module
 */

/** Where the server is reachable, for one request. */
export interface BaseUrls {
  /** `https://host[/prefix]`, no trailing slash. */
  http: string;
  /** `wss://host[/prefix]`, no trailing slash. */
  ws: string;
}

/** Computes the base URLs from `proxyURL` or from the request. */
export function baseUrls(
  request: Request,
  options: { proxyURL?: string | undefined; secure: boolean },
): BaseUrls {
  let base: URL;
  if (options.proxyURL) {
    base = new URL(options.proxyURL);
  } else {
    const host = request.headers.get("host") ?? new URL(request.url).host;
    base = new URL(`${options.secure ? "https" : "http"}://${host}`);
  }
  const path = base.pathname.replace(/\/+$/, "");
  const http = `${base.protocol}//${base.host}${path}`;
  const ws = `${
    base.protocol === "https:" ? "wss" : "ws"
  }://${base.host}${path}`;
  return { http, ws };
}
