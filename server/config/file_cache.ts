/**
 * A cache of parsed JSON files that re-reads a file only when it changed on
 * disk, so configuration edits take effect without a restart.
 *
 * Paths come from clients (a group name is a path), so the cache keeps only
 * files that exist, never a failed lookup, and holds a bounded number of
 * them.
 *
 * @module
 */

/** The outcome of {@link FileCache.read}. */
export type CachedRead<T> =
  | { state: "missing" }
  | { state: "ok"; value: T; stamp: string; fresh: boolean }
  | { state: "error"; error: Error; stamp: string; fresh: boolean };

type Entry<T> =
  | { state: "ok"; value: T; stamp: string }
  | { state: "error"; error: Error; stamp: string };

/** Files a {@link FileCache} holds by default: far more than any groups folder. */
export const MAX_CACHED_FILES = 10_000;

/** Options of the {@link FileCache} constructor. */
export interface FileCacheOptions<T> {
  parse: (json: unknown, file: string) => T;
  /** Most files held; the least recently read goes first. */
  maxEntries?: number;
}

/**
 * Parses JSON files through `parse` and remembers the result per path, keyed
 * by a stamp of (size, mtime, ctime, inode). Each call costs one `stat`.
 * `fresh` is `true` for exactly one caller per change of a file, so callers
 * can log a problem once rather than on every lookup. A path that cannot be
 * stat'ed is not remembered: a missing file, or a name too long for the file
 * system, is `missing`; any other failure is an `error` that is `fresh`
 * every time.
 *
 * @example
 * ```ts
 * const cache = new FileCache({ parse: (json) => json });
 * const result = await cache.read("data/config.json");
 * ```
 */
export class FileCache<T> {
  #parse: (json: unknown, file: string) => T;
  #maxEntries: number;
  /** In order of last use, least recent first. */
  #entries = new Map<string, Entry<T>>();

  /** Creates a cache whose values come from `options.parse`. */
  constructor(options: FileCacheOptions<T>) {
    this.#parse = options.parse;
    this.#maxEntries = options.maxEntries ?? MAX_CACHED_FILES;
  }

  /** Number of files currently cached. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Returns the parsed content of `path`, re-reading it only if its stamp
   * changed. A parse failure is returned as `state: "error"`, never thrown.
   */
  async read(path: string): Promise<CachedRead<T>> {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch (error) {
      this.#entries.delete(path);
      if (isMissing(error)) return { state: "missing" };
      return {
        state: "error",
        error: asError(error, path),
        stamp: "",
        fresh: true,
      };
    }
    if (!info.isFile) {
      this.#entries.delete(path);
      return { state: "missing" };
    }
    const stamp = stampOf(info);
    const cached = this.#entries.get(path);
    if (cached?.stamp === stamp) {
      this.#touch(path, cached);
      return { ...cached, fresh: false };
    }
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        this.#entries.delete(path);
        return { state: "missing" };
      }
      return this.#store(path, {
        state: "error",
        error: asError(error, path),
        stamp,
      });
    }
    // The stamp was taken before reading: if the file changes meanwhile, the
    // next stat differs and the file is read again.
    return this.#store(path, this.#decode(text, { path, stamp }));
  }

  /** Forgets `path`, so the next read parses it again. */
  forget(path: string): void {
    this.#entries.delete(path);
  }

  #decode(text: string, options: { path: string; stamp: string }): Entry<T> {
    const { path, stamp } = options;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return {
        state: "error",
        error: new SyntaxError(`${path}: invalid JSON: ${detail}`),
        stamp,
      };
    }
    try {
      return { state: "ok", value: this.#parse(json, path), stamp };
    } catch (error) {
      return { state: "error", error: asError(error, path), stamp };
    }
  }

  #store(path: string, entry: Entry<T>): CachedRead<T> {
    // A concurrent reader may have stored the same version first: only the
    // first one reports it as fresh.
    const existing = this.#entries.get(path);
    if (existing && existing.stamp === entry.stamp) {
      return { ...existing, fresh: false };
    }
    this.#touch(path, entry);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(oldest);
    }
    return { ...entry, fresh: true };
  }

  /** Stores `entry` as the most recently used. */
  #touch(path: string, entry: Entry<T>): void {
    this.#entries.delete(path);
    this.#entries.set(path, entry);
  }
}

/**
 * Whether a failed `stat` means there is no such file: it is absent, a
 * directory on the way is a file, or the name is too long to be one.
 */
function isMissing(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound ||
    error instanceof Deno.errors.NotADirectory ||
    (error instanceof Error &&
      (error as { code?: unknown }).code === "ENAMETOOLONG");
}

function stampOf(info: Deno.FileInfo): string {
  return [info.size, info.mtime?.getTime(), info.ctime?.getTime(), info.ino]
    .join(":");
}

function asError(error: unknown, path: string): Error {
  if (error instanceof Error) return error;
  return new Error(`${path}: ${String(error)}`);
}
