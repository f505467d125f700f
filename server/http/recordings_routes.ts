/**
 * `/recordings/GROUP/`: the recordings of a group, for users whose group
 * credentials carry `record` (HTTP Basic): a listing, downloads with Range
 * requests, and deletion by form, as Galène serves them. `/recordings/` itself is a
 * page that says where a group's recordings are.
 *
 * The files come from a {@link RecordingStore}: this machine's folder, or,
 * on a cluster edge, every media node's too.
 *
 * A delete is refused (403) when a browser sends it from another site: its
 * Origin must be this host or one listed in `allowOrigin`, the rule `/ws`
 * uses, so a page elsewhere cannot use the credentials the browser keeps.
 *
 * @module
 */

import { Hono } from "hono";
import { readBody } from "../admin/request_body.ts";
import { authenticateUser } from "../config/group_description.ts";
import { isValidGroupName } from "../config/group_name.ts";
import type { ServerConfig } from "../config/server_config.ts";
import { Group } from "../group/group.ts";
import type { GroupRegistry } from "../group/group_registry.ts";
import { logText } from "../log_text.ts";
import { isSafeRecordingName } from "../recording/recording_names.ts";
import { HttpError } from "./http_error.ts";
import { encodeGroupPath, indexPage, listingPage } from "./recordings_page.ts";
import {
  FolderRecordings,
  parseRecordingsPath,
  type RecordingStore,
} from "./recording_store.ts";
import { originAllowed } from "./websocket_route.ts";

/** What the recordings routes need. */
export interface RecordingsRoutesDeps {
  /** The root recordings folder; a group's files are in `<root>/<group>/`. */
  recordingsDir: string;
  /** Where the files are (default: the folder `recordingsDir`). */
  store?: RecordingStore;
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

export { parseRange, parseRecordingsPath } from "./recording_store.ts";

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

/**
 * The routes under `/recordings`, to be mounted with
 * `app.route("/recordings", recordingsRoutes(deps))`.
 */
export function recordingsRoutes(deps: RecordingsRoutesDeps): Hono {
  const failureDelay = deps.failureDelay ?? 200;
  const store = deps.store ??
    new FolderRecordings(deps.recordingsDir, { now: deps.now });
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
    if (file === null) {
      if (method === "POST") return await remove(c.req.raw, store, group);
      if (method !== "GET" && method !== "HEAD") {
        throw new HttpError(405, "Method not allowed", {
          headers: { Allow: "GET, HEAD, POST" },
        });
      }
      c.header("Cache-Control", "no-cache");
      return c.html(listingPage(group, await store.list(group)));
    }
    if (method !== "GET" && method !== "HEAD") {
      throw new HttpError(405, "Method not allowed", {
        headers: { Allow: "GET, HEAD" },
      });
    }
    if (!isSafeRecordingName(file)) throw new HttpError(404, "Not found");
    return await store.serve(c.req.raw, group, file);
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
  store: RecordingStore,
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
  if (!await store.remove(group, name)) throw new HttpError(404, "Not found");
  return new Response(null, {
    status: 303,
    headers: { Location: `/recordings/${encodeGroupPath(group)}/` },
  });
}
