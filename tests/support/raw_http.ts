/**
 * A bare HTTP/1.1 request over TCP, for what `fetch` will not send: paths
 * with `..` or `\` that URL parsing would rewrite, a chosen `Host`, and
 * WebSocket upgrade headers.
 *
 * @module
 */

/** The parts of a response a test looks at. */
export interface RawResponse {
  status: number;
  /** Header names in lower case. */
  headers: Map<string, string>;
  body: string;
}

/**
 * Sends one request with `Connection: close` and reads the whole response.
 * `headers` may override `Host`.
 */
export async function rawRequest(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string> },
): Promise<RawResponse> {
  const headers: Record<string, string> = {
    host: `127.0.0.1:${port}`,
    connection: "close",
  };
  for (const [k, v] of Object.entries(options.headers ?? {})) {
    headers[k.toLowerCase()] = v;
  }
  const lines = [`${options.method ?? "GET"} ${options.path} HTTP/1.1`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(16384);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
      // An upgrade refusal or a redirect may leave the socket open; the
      // head and a short body are all a test needs once they are complete.
      const text = new TextDecoder().decode(concat(chunks));
      if (complete(text)) break;
    }
    return parse(new TextDecoder().decode(concat(chunks)));
  } finally {
    conn.close();
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

function complete(text: string): boolean {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const head = text.slice(0, end).toLowerCase();
  if (head.startsWith("http/1.1 101")) return true;
  const length = /\r\ncontent-length: *(\d+)/.exec(head);
  if (length) return text.length - end - 4 >= Number(length[1]);
  return false;
}

function parse(text: string): RawResponse {
  const end = text.indexOf("\r\n\r\n");
  const head = end < 0 ? text : text.slice(0, end);
  const [statusLine = "", ...headerLines] = head.split("\r\n");
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      headers.set(
        line.slice(0, colon).trim().toLowerCase(),
        line.slice(colon + 1).trim(),
      );
    }
  }
  return {
    status: Number(statusLine.split(" ")[1] ?? 0),
    headers,
    body: end < 0 ? "" : text.slice(end + 4),
  };
}

/** Opens a bare TCP connection to the server's loopback port. */
export function rawConnect(port: number): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: "127.0.0.1", port });
}

/** Writes text to a raw connection. */
export async function rawWrite(conn: Deno.Conn, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += await conn.write(bytes.subarray(written));
  }
}

/**
 * Reads until the server closes the connection (end of stream or reset),
 * discarding what arrives; resolves with the milliseconds it took. Rejects,
 * and closes the connection, when it is still open after `timeoutMs`.
 */
export async function serverClosed(
  conn: Deno.Conn,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  const buffer = new Uint8Array(16384);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.close();
  }, timeoutMs);
  try {
    for (;;) {
      let n: number | null;
      try {
        n = await conn.read(buffer);
      } catch (e) {
        if (timedOut) break;
        if (e instanceof Deno.errors.ConnectionReset) {
          return Date.now() - started;
        }
        throw e;
      }
      if (n === null) return Date.now() - started;
    }
    throw new Error(`The server kept the connection open for ${timeoutMs} ms`);
  } finally {
    clearTimeout(timer);
    if (!timedOut) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  }
}

/**
 * Opens a WebSocket by hand on a raw connection: sends the upgrade request
 * and reads up to the end of the `101` head. The connection then carries
 * frames that the test reads or ignores as it likes (a client that never
 * answers a close frame, for instance).
 * @throws {Error} when the server does not switch protocols
 */
export async function rawWebSocket(port: number): Promise<Deno.TcpConn> {
  const conn = await rawConnect(port);
  const key = btoa(
    String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))),
  );
  await rawWrite(
    conn,
    [
      "GET /ws HTTP/1.1",
      `host: 127.0.0.1:${port}`,
      "upgrade: websocket",
      "connection: Upgrade",
      `sec-websocket-key: ${key}`,
      "sec-websocket-version: 13",
      "",
      "",
    ].join("\r\n"),
  );
  // Read byte by byte so that no frame after the head is consumed.
  const one = new Uint8Array(1);
  let head = "";
  while (!head.endsWith("\r\n\r\n")) {
    const n = await conn.read(one);
    if (n === null) {
      conn.close();
      throw new Error(`Upgrade refused: ${JSON.stringify(head)}`);
    }
    head += String.fromCharCode(one[0]!);
  }
  if (!head.startsWith("HTTP/1.1 101")) {
    conn.close();
    throw new Error(`Upgrade refused: ${JSON.stringify(head.slice(0, 80))}`);
  }
  return conn;
}
