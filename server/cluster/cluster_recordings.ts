/**
 * `/recordings/GROUP/` on a cluster edge: the files of this edge's own
 * recordings folder and of every live media node (from the registry),
 * asked over HTTP on each node's control port (node_recordings.ts) with an
 * edge token for that node. A listing merges them by name (the edge's own
 * first: when every node writes into one shared folder that the edge also
 * reads, each file shows once); a file is served from the first place
 * that has it (its bytes stream through the edge, Range requests
 * included); a deletion removes it everywhere. A node that does not answer
 * within 5 s is left out and logged; nothing else is contacted.
 *
 * @module
 */

import { HttpError } from "../http/http_error.ts";
import { mergeRows, type RecordingStore } from "../http/recording_store.ts";
import { encodeGroupPath, type RecordingRow } from "../http/recordings_page.ts";
import { isSafeRecordingName } from "../recording/recording_names.ts";
import type { EdgeTokens } from "./edge_token.ts";
import { listMediaNodes, type MediaNodeRecord } from "./media_node_registry.ts";
import {
  type RedisConnection,
  RedisUnavailableError,
} from "./redis_connection.ts";

/** Options of {@link ClusterRecordings}. */
export interface ClusterRecordingsOptions {
  /** This edge's own folder (`-recordings`). */
  local: RecordingStore;
  redis: RedisConnection;
  tokens: EdgeTokens;
  /** This edge's id (the subject of its edge tokens). */
  edgeId: string;
  log(message: string): void;
  /** How long a node has to answer (default 5000 ms). */
  timeoutMs?: number;
}

/** Response headers passed on from a node. */
const PASSED_HEADERS = [
  "content-type",
  "content-length",
  "content-range",
  "accept-ranges",
  "last-modified",
  "cache-control",
];

/** The HTTP base of a node, from its control URL. */
export function nodeHttpBase(controlUrl: string): string {
  const url = new URL(controlUrl);
  url.protocol = url.protocol === "wss:" ? "https:" : "http:";
  return url.origin;
}

function parseRows(value: unknown): RecordingRow[] {
  if (!Array.isArray(value)) throw new TypeError("not a list");
  return value.flatMap((v) => {
    const { name, size, mtime } = (v ?? {}) as Record<string, unknown>;
    if (
      typeof name !== "string" || !isSafeRecordingName(name) ||
      typeof size !== "number" ||
      (mtime !== null && typeof mtime !== "number")
    ) {
      return [];
    }
    return [{ name, size, mtime: mtime === null ? null : new Date(mtime) }];
  });
}

/** See the module documentation. */
export class ClusterRecordings implements RecordingStore {
  readonly #options: ClusterRecordingsOptions;

  constructor(options: ClusterRecordingsOptions) {
    this.#options = options;
  }

  async #nodes(): Promise<MediaNodeRecord[]> {
    try {
      return await listMediaNodes(this.#options.redis);
    } catch (e) {
      if (!(e instanceof RedisUnavailableError)) throw e;
      this.#options.log(`recordings: media nodes unknown: ${e.message}`);
      return [];
    }
  }

  /** A request to a node; undefined (logged) when it does not answer. */
  async #fetch(
    node: MediaNodeRecord,
    group: string,
    file: string | null,
    init: { method: string; headers?: Record<string, string> },
  ): Promise<Response | undefined> {
    const o = this.#options;
    const path = `/recordings/${encodeGroupPath(group)}/${
      file === null ? "" : encodeURIComponent(file)
    }`;
    try {
      const token = await o.tokens.mint({
        edgeId: o.edgeId,
        nodeId: node.id,
        now: Date.now(),
      });
      return await fetch(nodeHttpBase(node.controlUrl) + path, {
        method: init.method,
        headers: { ...init.headers, Authorization: `Bearer ${token}` },
        redirect: "manual",
        signal: AbortSignal.timeout(o.timeoutMs ?? 5000),
      });
    } catch (e) {
      o.log(
        `recordings: media node ${node.id} did not answer: ${
          e instanceof Error ? e.message.slice(0, 200) : String(e)
        }`,
      );
      return undefined;
    }
  }

  async list(group: string): Promise<RecordingRow[]> {
    const nodes = await this.#nodes();
    const lists = await Promise.all(nodes.map(async (node) => {
      const res = await this.#fetch(node, group, null, { method: "GET" });
      if (res === undefined) return [];
      try {
        if (!res.ok) throw new TypeError(`status ${res.status}`);
        return parseRows(await res.json());
      } catch (e) {
        await res.body?.cancel().catch(() => {});
        this.#options.log(`recordings: media node ${node.id}: ${e}`);
        return [];
      }
    }));
    return mergeRows([
      ...await this.#options.local.list(group),
      ...lists.flat(),
    ]);
  }

  async serve(req: Request, group: string, file: string): Promise<Response> {
    try {
      return await this.#options.local.serve(req, group, file);
    } catch (e) {
      if (!(e instanceof HttpError) || e.status !== 404) throw e;
    }
    const range = req.headers.get("range");
    for (const node of await this.#nodes()) {
      const res = await this.#fetch(node, group, file, {
        method: req.method === "HEAD" ? "HEAD" : "GET",
        headers: range === null ? {} : { Range: range },
      });
      if (res === undefined) continue;
      if (res.status === 404 || res.status >= 500 || res.status === 401) {
        await res.body?.cancel().catch(() => {});
        continue;
      }
      const headers = new Headers();
      for (const h of PASSED_HEADERS) {
        const v = res.headers.get(h);
        if (v !== null) headers.set(h, v);
      }
      return new Response(res.body, { status: res.status, headers });
    }
    throw new HttpError(404, "Not found");
  }

  async remove(group: string, file: string): Promise<boolean> {
    const local = await this.#options.local.remove(group, file);
    const nodes = await Promise.all(
      (await this.#nodes()).map(async (node) => {
        const res = await this.#fetch(node, group, file, { method: "DELETE" });
        await res?.body?.cancel().catch(() => {});
        return res?.status === 204;
      }),
    );
    return local || nodes.includes(true);
  }
}
