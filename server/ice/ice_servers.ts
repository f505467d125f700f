/**
 * `data/ice-servers.json`: the STUN/TURN servers handed to clients and used
 * by the server's own peer connections, including coturn's
 * `use-auth-secret` scheme (`credentialType: "hmac-sha1"`). Both take the
 * list from one {@link IceServers}, per join and per connection, so an edit
 * to the file reaches both and time-limited credentials are always fresh.
 *
 * @module
 */

import { issueCredentials } from "../turn/turn_credentials.ts";
import { FileCache } from "../config/file_cache.ts";

/** An ICE server as written in the file. */
export interface IceServerEntry {
  urls: string[];
  username?: string;
  credential?: string;
  credentialType?: "" | "password" | "oauth" | "hmac-sha1";
}

/** An ICE server as clients receive it. */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** Temporary TURN credentials last 24 hours, as Galène issues them. */
const HMAC_VALIDITY_SECONDS = 24 * 3600;

/**
 * Parses the file's content.
 * @throws {TypeError} naming the file and the entry that is wrong
 */
export function parseIceServers(json: unknown, file: string): IceServerEntry[] {
  if (!Array.isArray(json)) throw new TypeError(`${file}: must be a list`);
  return json.map((e, i): IceServerEntry => {
    const where = `${file}: entry ${i}`;
    if (typeof e !== "object" || e === null) {
      throw new TypeError(`${where} must be an object`);
    }
    const r = e as Record<string, unknown>;
    const urls = typeof r["urls"] === "string" ? [r["urls"]] : r["urls"];
    if (!Array.isArray(urls) || !urls.every((u) => typeof u === "string")) {
      throw new TypeError(
        `${where}: "urls" must be a string or a list of strings`,
      );
    }
    const out: IceServerEntry = { urls };
    for (const k of ["username", "credential"] as const) {
      const v = r[k];
      if (v === undefined || v === null) continue;
      if (typeof v !== "string") {
        throw new TypeError(`${where}: "${k}" must be a string`);
      }
      out[k] = v;
    }
    const t = r["credentialType"] ?? "";
    if (t !== "" && t !== "password" && t !== "oauth" && t !== "hmac-sha1") {
      throw new TypeError(
        `${where}: unknown credentialType ${JSON.stringify(t)}`,
      );
    }
    out.credentialType = t;
    return out;
  });
}

/** What clients receive for an entry at `now` (ms). */
export function resolveIceServer(
  entry: IceServerEntry,
  now: number,
): IceServer {
  const out: IceServer = { urls: entry.urls };
  if (entry.credentialType === "hmac-sha1") {
    return {
      ...out,
      ...issueCredentials(entry.credential ?? "", {
        name: entry.username ?? "",
        now,
        validitySeconds: HMAC_VALIDITY_SECONDS,
      }),
    };
  }
  if (entry.username !== undefined) out.username = entry.username;
  if (entry.credential !== undefined) out.credential = entry.credential;
  return out;
}

/** Options of {@link IceServers}. */
export interface IceServersOptions {
  /** The file, `data/ice-servers.json`. */
  file: string;
  log: (message: string) => void;
  /** Wall clock, ms since the epoch: time-limited credentials start from it. */
  now: () => number;
}

/**
 * The servers of the file as they are now. {@link IceServers.refresh}
 * follows the file (one `stat` while it is unchanged): a missing file means
 * no servers; one that cannot be used is logged once and the previous list
 * kept. {@link IceServers.current} is the list for a connection made now,
 * with time-limited credentials computed at that moment.
 *
 * @example
 * ```ts
 * const ice = new IceServers({ file, log: console.log, now: Date.now });
 * await ice.refresh();
 * const servers = ice.current();
 * ```
 */
export class IceServers {
  readonly #file: string;
  readonly #log: (message: string) => void;
  readonly #now: () => number;
  readonly #cache = new FileCache({ parse: parseIceServers });
  #entries: IceServerEntry[] = [];

  constructor(options: IceServersOptions) {
    this.#file = options.file;
    this.#log = options.log;
    this.#now = options.now;
  }

  /** Re-reads the file if it changed on disk. */
  async refresh(): Promise<void> {
    const read = await this.#cache.read(this.#file);
    if (read.state === "missing") {
      this.#entries = [];
    } else if (read.state === "ok") {
      this.#entries = read.value;
      if (read.fresh) {
        this.#log(`${this.#file}: ${read.value.length} ICE server(s)`);
      }
    } else if (read.fresh) {
      const message = read.error.message;
      this.#log(
        `${
          message.includes(this.#file) ? message : `${this.#file}: ${message}`
        }; keeping the previous ${this.#entries.length} ICE server(s)`,
      );
    }
  }

  /** How many servers the file lists. */
  get count(): number {
    return this.#entries.length;
  }

  /** True when some server's credentials are time-limited (`hmac-sha1`). */
  get expiring(): boolean {
    return this.#entries.some((e) => e.credentialType === "hmac-sha1");
  }

  /** The servers for a connection made now. */
  current(): IceServer[] {
    const now = this.#now();
    return this.#entries.map((e) => resolveIceServer(e, now));
  }
}
