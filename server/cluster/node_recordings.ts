/**
 * A media node's recordings, for the edges: on the control endpoint's
 * port, beside `/control`, `GET /recordings/GROUP/` lists the group's files
 * as JSON (`[{name, size, mtime}]`, mtime in ms or null), `GET`/`HEAD
 * /recordings/GROUP/FILE` serves one (single Range requests), and `DELETE`
 * removes it (204, or 404). Each request carries an edge token for this
 * node (`Authorization: Bearer`, edge_token.ts), else 401: only edges of
 * the cluster read or delete recordings; users authenticate on the edge
 * (server/cluster/cluster_recordings.ts is the edge's side).
 *
 * @module
 */

import { isValidGroupName } from "../config/group_name.ts";
import { HttpError } from "../http/http_error.ts";
import {
  parseRecordingsPath,
  type RecordingStore,
} from "../http/recording_store.ts";
import { isSafeRecordingName } from "../recording/recording_names.ts";
import type { EdgeTokens } from "./edge_token.ts";

/** Where a node's recordings are served, under its control endpoint's port. */
export const NODE_RECORDINGS_PATH = "/recordings/";

/** One file, as a node lists it. */
export interface NodeRecording {
  name: string;
  size: number;
  /** Last modification, ms since the epoch, or null where unknown. */
  mtime: number | null;
}

/** Options of {@link nodeRecordingsHandler}. */
export interface NodeRecordingsOptions {
  store: RecordingStore;
  /** This node's id: edge tokens must name it. */
  nodeId: string;
  tokens: EdgeTokens;
  now?: () => number;
}

/** The handler of `/recordings/…` on a media node's control port. */
export function nodeRecordingsHandler(
  options: NodeRecordingsOptions,
): (request: Request) => Promise<Response> {
  const now = options.now ?? (() => Date.now());
  return async function nodeRecordings(request: Request): Promise<Response> {
    try {
      const header = request.headers.get("authorization") ?? "";
      const bearer = /^bearer\s+(\S+)$/i.exec(header)?.[1];
      const verified = bearer === undefined
        ? undefined
        : await options.tokens.verify(bearer, {
          nodeId: options.nodeId,
          now: now(),
        });
      if (!verified?.ok) throw new HttpError(401, "An edge token is required");
      let path: string;
      try {
        path = decodeURIComponent(new URL(request.url).pathname);
      } catch {
        throw new HttpError(400, "Bad path");
      }
      const parsed = parseRecordingsPath(path);
      if (
        parsed === null || parsed === "root" || !isValidGroupName(parsed.group)
      ) {
        throw new HttpError(400, "Bad group name");
      }
      const { group, file } = parsed;
      const method = request.method;
      if (file === null) {
        if (method !== "GET") {
          throw new HttpError(405, "Method not allowed", {
            headers: { Allow: "GET" },
          });
        }
        const rows = await options.store.list(group);
        const list: NodeRecording[] = rows.map((r) => ({
          name: r.name,
          size: r.size,
          mtime: r.mtime?.getTime() ?? null,
        }));
        return Response.json(list);
      }
      if (!isSafeRecordingName(file)) throw new HttpError(404, "Not found");
      if (method === "DELETE") {
        if (!await options.store.remove(group, file)) {
          throw new HttpError(404, "Not found");
        }
        return new Response(null, { status: 204 });
      }
      if (method !== "GET" && method !== "HEAD") {
        throw new HttpError(405, "Method not allowed", {
          headers: { Allow: "GET, HEAD, DELETE" },
        });
      }
      return await options.store.serve(request, group, file);
    } catch (e) {
      if (e instanceof HttpError) return e.toResponse();
      throw e;
    }
  };
}
