/**
 * nereidctl's HTTP client of the administrative API: credentials, TLS
 * trust and error messages in one place.
 *
 * @module
 */

/** A failure to report to the user; exit status 1. */
export class CtlError extends Error {
  override name = "CtlError";
}

/** Options of {@link ApiClient}. */
export interface ApiClientOptions {
  /** Base URL, e.g. `https://localhost:8443`. */
  server: string;
  username?: string;
  password?: string;
  /** Sent as `Authorization: Bearer`, preferred over Basic as galenectl. */
  token?: string;
  /** Extra PEM certificates to trust (`-ca`), e.g. Nereid's self-signed one. */
  caCerts?: string[];
  /** `-insecure` was asked for: only changes the advice on a TLS failure. */
  insecure?: boolean;
}

/** A response with its body read. */
export interface ApiResult {
  status: number;
  headers: Headers;
  text: string;
}

/** Options of {@link ApiClient.call}. */
export interface CallOptions {
  body?: string;
  /** Content-Type of `body`; default `application/json`. */
  type?: string;
  headers?: Record<string, string>;
  /** Statuses that are not failures; default 200, 201, 204. */
  ok?: readonly number[];
}

/**
 * Calls `/galene-api/v0/…` on one server.
 *
 * @example
 * ```ts
 * const client = new ApiClient({ server: "https://localhost:8443", username: "admin", password: "pw" });
 * const { value } = await client.getJson(".groups/");
 * client.close();
 * ```
 */
export class ApiClient {
  #base: string;
  #authorization: string | undefined;
  #http: Deno.HttpClient | undefined;
  #insecure: boolean;

  /**
   * Creates a client.
   *
   * @throws {CtlError} When the server URL is not an http(s) URL.
   */
  constructor(options: ApiClientOptions) {
    let url: URL;
    try {
      url = new URL(options.server);
    } catch {
      throw new CtlError(
        `Invalid server URL ${JSON.stringify(options.server)}`,
      );
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new CtlError(`Server URL must be http or https: ${options.server}`);
    }
    this.#base = url.href.replace(/\/+$/, "") + "/galene-api/v0/";
    if (options.token) {
      this.#authorization = `Bearer ${options.token}`;
    } else if (options.username !== undefined && options.username !== "") {
      const bytes = new TextEncoder().encode(
        `${options.username}:${options.password ?? ""}`,
      );
      this.#authorization = `Basic ${btoa(String.fromCharCode(...bytes))}`;
    }
    this.#insecure = options.insecure ?? false;
    if (options.caCerts && options.caCerts.length > 0) {
      this.#http = Deno.createHttpClient({ caCerts: options.caCerts });
    }
  }

  /**
   * Sends a request to `path` (relative to `/galene-api/v0/`).
   *
   * @throws {CtlError} On a network or TLS failure, or a status not in `ok`.
   */
  async call(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<ApiResult> {
    const headers = new Headers(options.headers);
    if (this.#authorization) headers.set("Authorization", this.#authorization);
    if (options.body !== undefined) {
      headers.set("Content-Type", options.type ?? "application/json");
    }
    let response: Response;
    try {
      response = await fetch(this.#base + path, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: options.body }),
        ...(this.#http ? { client: this.#http } : {}),
      });
    } catch (error) {
      throw new CtlError(this.#networkMessage(error));
    }
    const text = await response.text();
    const ok = options.ok ?? [200, 201, 204];
    if (!ok.includes(response.status)) {
      throw new CtlError(explain(method, path, response.status, text));
    }
    return { status: response.status, headers: response.headers, text };
  }

  /**
   * GETs JSON and its ETag.
   *
   * @throws {CtlError} As {@link ApiClient.call}, or on a body that is not JSON.
   */
  async getJson(path: string): Promise<{ value: unknown; etag: string }> {
    const result = await this.call("GET", path, { ok: [200] });
    try {
      return {
        value: JSON.parse(result.text),
        etag: result.headers.get("etag") ?? "",
      };
    } catch {
      throw new CtlError(`GET ${path}: the server did not answer JSON`);
    }
  }

  /** Releases the TLS client, if any. */
  close(): void {
    this.#http?.close();
  }

  #networkMessage(error: unknown): string {
    const detail = error instanceof Error ? error.message : String(error);
    const host = new URL(this.#base).host;
    if (/certificate|UnknownIssuer|tls/i.test(detail)) {
      // Deno offers no per-client switch to skip verification.
      return `TLS failure talking to ${host}: ${detail}\n` +
        "Trust the server's certificate with -ca FILE (Nereid's own " +
        "self-signed one is data/cert.pem)" +
        (this.#insecure
          ? `, or run deno with --unsafely-ignore-certificate-errors=${
            new URL(this.#base).hostname
          } (-insecure alone cannot skip verification under Deno)`
          : "");
    }
    return `Cannot reach ${host}: ${detail}`;
  }
}

function explain(
  method: string,
  path: string,
  status: number,
  text: string,
): string {
  const reason: Record<number, string> = {
    401:
      "not authorised (check the admin credentials, and writableGroups for writes)",
    404: "not found",
    409: "conflict",
    412: "someone else changed it meanwhile; try again",
  };
  const detail = text.trim().split("\n")[0]?.slice(0, 300) ?? "";
  return `${method} ${path}: ${status} ${reason[status] ?? ""}${
    detail ? ` (${detail})` : ""
  }`.replace("  ", " ");
}
