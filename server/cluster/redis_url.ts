/**
 * The `-redis` address: `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]`,
 * parsed once into connection settings and a display form that never
 * carries the credentials (for logs and error messages).
 *
 * @module
 */

/** Where Redis is and how to log in, from {@link parseRedisUrl}. */
export interface RedisAddress {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** `redis://HOST:PORT[/DB]`: safe to log. */
  display: string;
}

const DEFAULT_PORT = 6379;

/**
 * Parses a `redis://` URL.
 *
 * @example
 * ```ts
 * parseRedisUrl("redis://:pw@127.0.0.1:6380/2").display; // "redis://127.0.0.1:6380/2"
 * ```
 *
 * @throws {TypeError} Naming the problem; the message never repeats the
 * URL's credentials.
 */
export function parseRedisUrl(text: string): RedisAddress {
  const url = URL.parse(text);
  if (url === null) throw new TypeError("Redis URL is not a URL");
  if (url.protocol !== "redis:") {
    throw new TypeError(
      `Redis URL must start with redis://, not ${
        JSON.stringify(url.protocol.slice(0, 20))
      }`,
    );
  }
  if (url.hostname === "") throw new TypeError("Redis URL has no host");
  if (url.search !== "" || url.hash !== "") {
    throw new TypeError("Redis URL must not have a query or a fragment");
  }
  const port = url.port === "" ? DEFAULT_PORT : Number(url.port);
  const path = url.pathname;
  let db = 0;
  if (path !== "" && path !== "/") {
    const match = /^\/(\d{1,5})$/.exec(path);
    if (match === null) {
      throw new TypeError("Redis URL path must be a database number, as /0");
    }
    db = Number(match[1]);
  }
  // URL keeps IPv6 hosts in brackets; the socket wants them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const address: RedisAddress = {
    host,
    port,
    db,
    display: `redis://${url.host}${db === 0 ? "" : `/${db}`}`,
  };
  if (url.username !== "") address.username = decode(url.username);
  if (url.password !== "") address.password = decode(url.password);
  return address;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new TypeError("Redis URL credentials are not valid percent-encoding");
  }
}
