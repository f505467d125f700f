/**
 * `data/ice-servers.json`: the STUN/TURN servers handed to clients (and
 * used by the server's own peer connections), including coturn's
 * `use-auth-secret` scheme (`credentialType: "hmac-sha1"`).
 *
 * @module
 */

import { createHmac } from "node:crypto";

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
    const expiry = Math.floor(now / 1000) + HMAC_VALIDITY_SECONDS;
    const username = `${expiry}:${entry.username ?? ""}`;
    out.username = username;
    out.credential = createHmac("sha1", entry.credential ?? "").update(username)
      .digest("base64");
    return out;
  }
  if (entry.username !== undefined) out.username = entry.username;
  if (entry.credential !== undefined) out.credential = entry.credential;
  return out;
}

/** Reads the file when asked; a missing file means no servers. */
export async function loadIceServers(
  file: string,
  log: (m: string) => void,
): Promise<IceServerEntry[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    log(`${file}: ${e}`);
    return [];
  }
  try {
    return parseIceServers(JSON.parse(text), file);
  } catch (e) {
    log(`${file}: ${e instanceof Error ? e.message : e}`);
    return [];
  }
}
