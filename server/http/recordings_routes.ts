/**
 * `/recordings/GROUP/`: the recordings of a group, for users whose group
 * credentials carry `record` (HTTP Basic): a listing, downloads with Range
 * requests, and deletion by form, as Galène serves them. `/recordings/` itself is a
 * page that says where a group's recordings are.
 *
 * A delete is refused (403) when a browser sends it from another site: its
 * Origin must be this host or one listed in `allowOrigin`, the rule `/ws`
 * uses, so a page elsewhere cannot use the credentials the browser keeps.
 *
 * @module
 */

import { Hono } from "hono";
import { join } from "node:path";
import { readBody } from "../admin/request_body.ts";
import { authenticateUser } from "../config/group_description.ts";
import { isValidGroupName } from "../config/group_name.ts";
import type { ServerConfig } from "../config/server_config.ts";
import { Group } from "../group/group.ts";
import type { GroupRegistry } from "../group/group_registry.ts";
import { logText } from "../log_text.ts";
import { isSafeRecordingName } from "../recording/recording_names.ts";
import { HttpError } from "./http_error.ts";
import {
  encodeGroupPath,
  indexPage,
  listingPage,
  type RecordingRow,
} from "./recordings_page.ts";
import { originAllowed } from "./websocket_route.ts";

/** What the recordings routes need. */
export interface RecordingsRoutesDeps {
  /** The root recordings folder; a group's files are in `<root>/<group>/`. */
  recordingsDir: string;
  groups: Pick<GroupRegistry, "get">;
  /** For `allowOrigin`, checked on deletes. */
  config: () => Promise<Pick<ServerConfig, "allowOrigin">>;
  now: () => number;
  /** Delay before answering a failed login (Galène: 200 ms). */
  failureDelay?: number;
  log?: (message: string) => void;
}

/** A delete form is a few hundred bytes; anything much larger is not one. */
const MAX_FORM_BYTES = 64 * 1024;
const FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data"];

/** Files modified this recently may still be written (ms): not cached. */
const FRESH_MS = 60_000;
const TYPES: Record<string, string> = {
  webm: "video/webm",
  mkv: "video/x-matroska",
};

/** Splits `/recordings/a/b/file` into the group and the file (null for the folder). */
export function parseRecordingsPath(
  path: string,
): { group: string; file: string | null } | "root" | null {
  if (!path.startsWith("/recordings/")) return null;
  const rest = path.slice("/recordings/".length);
  if (rest === "") return "root";
  if (rest.endsWith("/")) return { group: rest.slice(0, -1), file: null };
  const slash = rest.lastIndexOf("/");
  if (slash < 0) return { group: rest, file: null };
  return { group: rest.slice(0, slash), file: rest.slice(slash + 1) };
}

function basicCredentials(
  header: string | undefined,
): { username: string; password: string } | null {
  const m = header?.match(/^basic\s+(\S+)$/i);
  if (!m) return null;
  let text: string;
  try {
    text = new TextDecoder().decode(
      Uint8Array.from(atob(m[1]!), (c) => c.charCodeAt(0)),
    );
  } catch {
    return null;
  }
  const colon = text.indexOf(":");
  if (colon < 0) return null;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** A single byte range of a file of `size` bytes, or "bad" when unsatisfiable. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | "bad" | null {
  if (!header) return null;
  const m = header.match(/^bytes=(\d*)-(\d*)$/);
  if (!m || (m[1] === "" && m[2] === "")) return null; // multiple ranges: whole file
  let start: number;
  let end: number;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) return "bad";
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return "bad";
  return { start, end };
}

async function fileBody(
  path: string,
  start: number,
  length: number,
): Promise<ReadableStream<Uint8Array>> {
  const file = await Deno.open(path, { read: true });
  await file.seek(start, Deno.SeekMode.Start);
  let left = length;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buf = new Uint8Array(Math.min(64 * 1024, left));
      const n = left > 0 ? await file.read(buf) : null;
      if (n === null || n === 0) {
        file.close();
        controller.close();
        return;
      }
      left -= n;
      controller.enqueue(buf.subarray(0, n));
    },
    cancel() {
      file.close();
    },
  });
}

async function listing(dir: string, group: string): Promise<string> {
  const rows: RecordingRow[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile || !isSafeRecordingName(e.name)) continue;
      const st = await Deno.stat(join(dir, e.name));
      rows.push({ name: e.name, size: st.size, mtime: st.mtime });
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  rows.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return listingPage(group, rows);
}

/**
 * The routes under `/recordings`, to be mounted with
 * `app.route("/recordings", recordingsRoutes(deps))`.
 */
export function recordingsRoutes(deps: RecordingsRoutesDeps): Hono {
  const failureDelay = deps.failureDelay ?? 200;
  const app = new Hono();

  async function authorise(group: string, header: string | undefined) {
    const credentials = basicCredentials(header);
    const found = credentials ? await deps.groups.get(group, deps.now()) : null;
    const permissions = credentials && found instanceof Group
      ? await authenticateUser(found.description, credentials)
      : null;
    if (permissions?.includes("record")) return;
    if (credentials) await new Promise((r) => setTimeout(r, failureDelay));
    const realm = `recordings/${group}`.replace(/["\\]/g, "\\$&");
    throw new HttpError(401, "Authentication required", {
      headers: { "WWW-Authenticate": `basic realm="${realm}"` },
    });
  }

  /** Refuses a state-changing request sent by a page of another site. */
  async function checkOrigin(req: Request): Promise<void> {
    const origin = req.headers.get("origin");
    const host = req.headers.get("host") ?? new URL(req.url).host;
    const { allowOrigin } = await deps.config();
    if (originAllowed(origin, host, { allowOrigin, publicServer: false })) {
      return;
    }
    deps.log?.(`recordings: refused Origin ${logText(origin)}`);
    throw new HttpError(403, "Origin not allowed");
  }

  app.all("/*", async (c) => {
    let path: string;
    try {
      path = decodeURIComponent(c.req.path);
    } catch {
      throw new HttpError(400, "Bad path");
    }
    if (path === "/recordings") return c.redirect("/recordings/", 308);
    const method = c.req.method;
    if (method !== "GET" && method !== "HEAD") await checkOrigin(c.req.raw);
    const parsed = parseRecordingsPath(path);
    if (parsed === "root") return root(c.req.raw);
    if (parsed === null) throw new HttpError(400, "Bad group name");
    const { group, file } = parsed;
    if (!isValidGroupName(group)) throw new HttpError(400, "Bad group name");
    if (file === null && !path.endsWith("/")) {
      return c.redirect(`/recordings/${encodeGroupPath(group)}/`, 308);
    }
    await authorise(group, c.req.header("authorization"));
    const dir = join(deps.recordingsDir, group);
    if (file === null) {
      if (method === "POST") return await remove(c.req.raw, dir, group);
      if (method !== "GET" && method !== "HEAD") {
        throw new HttpError(405, "Method not allowed", {
          headers: { Allow: "GET, HEAD, POST" },
        });
      }
      c.header("Cache-Control", "no-cache");
      return c.html(await listing(dir, group));
    }
    if (method !== "GET" && method !== "HEAD") {
      throw new HttpError(405, "Method not allowed", {
        headers: { Allow: "GET, HEAD" },
      });
    }
    if (!isSafeRecordingName(file)) throw new HttpError(404, "Not found");
    return await serveFile(c.req.raw, join(dir, file), deps.now());
  });

  return app;
}

/**
 * `/recordings/`: the page that says where recordings are; with
 * `?group=NAME` (its form), a redirect to that group's listing.
 */
function root(req: Request): Response {
  const html = (body: string, status: number) =>
    new Response(body, {
      status,
      headers: { "Content-Type": "text/html; charset=utf-8" },
    });
  if (req.method !== "GET" && req.method !== "HEAD") {
    throw new HttpError(405, "Method not allowed", {
      headers: { Allow: "GET, HEAD" },
    });
  }
  const group = new URL(req.url).searchParams.get("group")?.trim();
  if (group === undefined) return html(indexPage(), 200);
  if (!isValidGroupName(group)) {
    return html(indexPage("There is no group of that name."), 400);
  }
  return new Response(null, {
    status: 303,
    headers: { Location: `/recordings/${encodeGroupPath(group)}/` },
  });
}

async function remove(
  req: Request,
  dir: string,
  group: string,
): Promise<Response> {
  const text = await readBody(req, {
    types: FORM_TYPES,
    limit: MAX_FORM_BYTES,
  });
  const form = await new Response(text, {
    headers: { "Content-Type": req.headers.get("content-type") ?? "" },
  }).formData().catch(() => {
    throw new HttpError(400, "Bad form");
  });
  if (form.get("q") !== "delete") throw new HttpError(400, "Unknown query");
  const name = form.get("filename");
  if (typeof name !== "string" || !isSafeRecordingName(name)) {
    throw new HttpError(400, "Bad file name");
  }
  const path = join(dir, name);
  try {
    const st = await Deno.lstat(path);
    if (!st.isFile) throw new HttpError(404, "Not found");
    await Deno.remove(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new HttpError(404, "Not found");
    }
    throw e;
  }
  return new Response(null, {
    status: 303,
    headers: { Location: `/recordings/${encodeGroupPath(group)}/` },
  });
}

async function serveFile(
  req: Request,
  path: string,
  now: number,
): Promise<Response> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new HttpError(404, "Not found");
    }
    throw e;
  }
  if (!st.isFile) throw new HttpError(404, "Not found");
  const ext = path.slice(path.lastIndexOf(".") + 1);
  const headers = new Headers({
    "Content-Type": TYPES[ext] ?? "application/octet-stream",
    "Accept-Ranges": "bytes",
  });
  if (st.mtime) {
    headers.set("Last-Modified", st.mtime.toUTCString());
    // Still being written: do not let a cache keep a partial file.
    if (now - st.mtime.getTime() < FRESH_MS) {
      headers.set("Cache-Control", "no-cache");
    }
  }
  const range = parseRange(req.headers.get("range") ?? undefined, st.size);
  if (range === "bad") {
    headers.set("Content-Range", `bytes */${st.size}`);
    return new Response(null, { status: 416, headers });
  }
  const start = range?.start ?? 0;
  const length = range ? range.end - range.start + 1 : st.size;
  headers.set("Content-Length", String(length));
  if (range) {
    headers.set(
      "Content-Range",
      `bytes ${range.start}-${range.end}/${st.size}`,
    );
  }
  const status = range ? 206 : 200;
  if (req.method === "HEAD") return new Response(null, { status, headers });
  return new Response(await fileBody(path, start, length), { status, headers });
}
