/**
 * Headers of the WHIP and WHEP endpoints: the ICE servers as `Link`
 * headers (RFC 9725 §4.6, as Galène sends them) and CORS for the Origins
 * the server allows (`allowOrigin`, as for `/ws`).
 *
 * @module
 */

/** An ICE server as handed to clients. */
export interface LinkIceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** A quoted-string (RFC 9110 §5.6.4). */
function quoted(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => "\\" + c)}"`;
}

/**
 * One `Link` value per URL: `<turn:…>; rel="ice-server"` with the
 * credentials for servers that have them.
 */
export function iceServerLinks(servers: readonly LinkIceServer[]): string[] {
  const links: string[] = [];
  for (const server of servers) {
    const urls = typeof server.urls === "string" ? [server.urls] : server.urls;
    for (const url of urls) {
      let link = `<${url}>; rel="ice-server"`;
      if (server.username !== undefined && server.credential !== undefined) {
        link += `; username=${quoted(server.username)}; credential=${
          quoted(server.credential)
        }; credential-type="password"`;
      }
      links.push(link);
    }
  }
  return links;
}

/** What a CORS answer says, by resource. */
export interface CorsOptions {
  /** The request's Origin when the server allows it, else null. */
  allowedOrigin: string | null;
  methods: string;
  /** Response headers a page may read. */
  expose: string;
}

/** The CORS headers of a response (and of a preflight's). */
export function corsHeaders(options: CorsOptions): Headers {
  const headers = new Headers({
    "Access-Control-Allow-Methods": options.methods,
    "Access-Control-Allow-Headers":
      "Authorization, Content-Type, If-Match, If-None-Match",
    "Access-Control-Expose-Headers": options.expose,
    "Vary": "Origin",
  });
  if (options.allowedOrigin !== null) {
    headers.set("Access-Control-Allow-Origin", options.allowedOrigin);
  }
  return headers;
}
