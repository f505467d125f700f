/**
 * Where `/recordings/GROUP/` finds a group's files: a {@link RecordingStore}
 * lists, serves and deletes them. {@link FolderRecordings} is a
 * recordings folder on this machine (`<root>/<group>/`); a cluster edge
 * uses the one of server/cluster/cluster_recordings.ts, which adds the
 * files of every media node.
 *
 * File names are checked by the caller ({@link isSafeRecordingName}) and
 * again here; a file is served with single-range requests, as Galène does.
 *
 * @module
 */

import { join } from "node:path";
import { isSafeRecordingName } from "../recording/recording_names.ts";
import { HttpError } from "./http_error.ts";
import type { RecordingRow } from "./recordings_page.ts";

/** A group's recordings, wherever they are. */
export interface RecordingStore {
  /** The group's files, sorted by name. */
  list(group: string): Promise<RecordingRow[]>;
  /**
   * The file as a response to `req` (GET or HEAD, with a Range header).
   * @throws {HttpError} 404 when there is no such file.
   */
  serve(req: Request, group: string, file: string): Promise<Response>;
  /** Deletes the file; `false` when there was none. */
  remove(group: string, file: string): Promise<boolean>;
}

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

function byName(a: RecordingRow, b: RecordingRow): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Sorts rows by name, keeping the first of each name. */
export function mergeRows(rows: readonly RecordingRow[]): RecordingRow[] {
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.name) && seen.add(r.name)).sort(
    byName,
  );
}

/** The recordings folder `<root>/<group>/` of this machine. */
export class FolderRecordings implements RecordingStore {
  readonly #root: string;
  readonly #now: () => number;

  constructor(root: string, options: { now?: () => number } = {}) {
    this.#root = root;
    this.#now = options.now ?? (() => Date.now());
  }

  #path(group: string, file: string): string {
    if (!isSafeRecordingName(file)) throw new HttpError(404, "Not found");
    return join(this.#root, group, file);
  }

  async list(group: string): Promise<RecordingRow[]> {
    const dir = join(this.#root, group);
    const rows: RecordingRow[] = [];
    try {
      for await (const e of Deno.readDir(dir)) {
        if (!e.isFile || !isSafeRecordingName(e.name)) continue;
        const st = await Deno.stat(join(dir, e.name)).catch(() => null);
        if (st) rows.push({ name: e.name, size: st.size, mtime: st.mtime });
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return rows.sort(byName);
  }

  async remove(group: string, file: string): Promise<boolean> {
    const path = this.#path(group, file);
    try {
      const st = await Deno.lstat(path);
      if (!st.isFile) return false;
      await Deno.remove(path);
      return true;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return false;
      throw e;
    }
  }

  async serve(req: Request, group: string, file: string): Promise<Response> {
    const path = this.#path(group, file);
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
      if (this.#now() - st.mtime.getTime() < FRESH_MS) {
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
    return new Response(await fileBody(path, start, length), {
      status,
      headers,
    });
  }
}
