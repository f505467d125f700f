/**
 * The stateful token file `<dataDir>/var/tokens.jsonl`, in Galène's format
 * so that its tokens keep working: one JSON object per line. Several
 * processes may share it (cluster edges sharing `data/`): each reads it
 * again when it changed on disk, and writes under a lock file
 * (`tokens.jsonl.lock`), so that no write is lost.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { writeFileAtomically } from "../files/atomic_file.ts";
import {
  parseStatefulToken,
  serializeToken,
  type StatefulToken,
} from "./stateful_token.ts";

/** Why a store operation was refused. */
export type TokenStoreFailure = "exists" | "not-found" | "precondition";

/** A refused store operation; callers map `reason` to 409, 404 or 412. */
export class TokenStoreError extends Error {
  /** What went wrong. */
  readonly reason: TokenStoreFailure;

  /** Creates an error for `reason`. */
  constructor(reason: TokenStoreFailure, message: string) {
    super(message);
    this.name = "TokenStoreError";
    this.reason = reason;
  }
}

/** Options of the writing operations. */
export interface WriteOptions {
  /** Refuse the write unless the file's current {@link TokenStore.etag} is this. */
  ifMatch?: string;
}

// Galène purges tokens that expired more than a week ago.
const PURGE_AFTER = 7 * 24 * 3600 * 1000;
/** A lock file older than this was left by a process that died (ms). */
const STALE_LOCK_MS = 10_000;

/**
 * The token file, cached in memory and re-read when it changed on disk.
 * Every operation runs in turn (one queue per store), so concurrent writers
 * in this process lose nothing, and writes take a lock file that other
 * processes respect; each write replaces the file atomically
 * ({@link writeFileAtomically}), with mode 0600. Lines that cannot
 * be parsed are logged, ignored and written back unchanged.
 *
 * @example
 * ```ts
 * const store = new TokenStore({ dataDir: "data", log: console.log });
 * const token = await store.get("hR8x2kQp0aE");
 * ```
 */
export class TokenStore {
  #file: string;
  #log: (message: string) => void;
  #tokens = new Map<string, StatefulToken>();
  #unparsed: string[] = [];
  /** `null` before the first read, `""` while the file does not exist. */
  #stamp: string | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  /** Creates a store for `<dataDir>/var/tokens.jsonl`; nothing is read yet. */
  constructor(options: { dataDir: string; log: (message: string) => void }) {
    this.#file = join(options.dataDir, "var", "tokens.jsonl");
    this.#log = options.log;
  }

  /** The path of the token file. */
  get file(): string {
    return this.#file;
  }

  /** Returns the token called `name`, or `undefined`. */
  get(name: string): Promise<StatefulToken | undefined> {
    return this.#exclusive(async () => {
      await this.#refresh();
      const token = this.#tokens.get(name);
      return token ? copy(token) : undefined;
    });
  }

  /** Returns every token, or those whose group is exactly `group`. */
  list(group?: string): Promise<StatefulToken[]> {
    return this.#exclusive(async () => {
      await this.#refresh();
      const all = [...this.#tokens.values()];
      return all.filter((t) => group === undefined || t.group === group).map(
        copy,
      );
    });
  }

  /**
   * Adds a token.
   *
   * @throws {TokenStoreError} `exists` when the name is taken, `precondition`
   * when `ifMatch` does not match.
   * @throws {TypeError} When the token would not read back (bad group,
   * username or permission).
   */
  add(token: StatefulToken, options: WriteOptions = {}): Promise<void> {
    return this.#exclusiveWrite(async () => {
      const checked = validated(token);
      await this.#refresh();
      this.#precondition(options);
      if (this.#tokens.has(checked.token)) {
        throw new TokenStoreError("exists", "A token with this name exists");
      }
      const next = new Map(this.#tokens);
      next.set(checked.token, checked);
      await this.#commit(next);
    });
  }

  /**
   * Replaces the token called `name` by `change(current)`, reading and
   * writing under the store's queue so that no concurrent change is lost.
   * An exception thrown by `change` leaves the file untouched.
   *
   * @throws {TokenStoreError} `not-found`, or `precondition`.
   * @throws {TypeError} When `change` renames the token or returns one that
   * would not read back.
   */
  update(
    name: string,
    change: (current: StatefulToken) => StatefulToken,
    options: WriteOptions = {},
  ): Promise<StatefulToken> {
    return this.#exclusiveWrite(async () => {
      await this.#refresh();
      this.#precondition(options);
      const current = this.#tokens.get(name);
      if (!current) {
        throw new TokenStoreError("not-found", "No token with this name");
      }
      const updated = validated(change(copy(current)));
      if (updated.token !== name) {
        throw new TypeError("Cannot update a token: its name cannot change");
      }
      const next = new Map(this.#tokens);
      next.set(name, updated);
      await this.#commit(next);
      return copy(updated);
    });
  }

  /**
   * Deletes the token called `name`.
   *
   * @throws {TokenStoreError} `not-found`, or `precondition`.
   */
  delete(name: string, options: WriteOptions = {}): Promise<void> {
    return this.#exclusiveWrite(async () => {
      await this.#refresh();
      this.#precondition(options);
      if (!this.#tokens.has(name)) {
        throw new TokenStoreError("not-found", "No token with this name");
      }
      const next = new Map(this.#tokens);
      next.delete(name);
      await this.#commit(next);
    });
  }

  /**
   * Drops the tokens that expired more than seven days before `now` and
   * returns how many; the caller runs it periodically (Galène: 15 min).
   */
  purge(now: number): Promise<number> {
    return this.#exclusiveWrite(async () => {
      await this.#refresh();
      const next = new Map(this.#tokens);
      for (const [name, token] of next) {
        if (token.expires !== undefined && token.expires < now - PURGE_AFTER) {
          next.delete(name);
        }
      }
      const purged = this.#tokens.size - next.size;
      if (purged > 0) {
        await this.#commit(next);
        this.#log(`${this.#file}: purged ${purged} expired token(s)`);
      }
      return purged;
    });
  }

  /**
   * Returns the file's entity tag, `""` when it does not exist. It changes
   * with every write: the size and mtime as Galène, plus ctime and inode
   * because mtime has only millisecond precision here.
   */
  etag(): Promise<string> {
    return this.#exclusive(async () => {
      await this.#refresh();
      return this.#etag();
    });
  }

  #etag(): string {
    return this.#stamp ? `"${this.#stamp}"` : "";
  }

  #precondition(options: WriteOptions): void {
    if (options.ifMatch !== undefined && options.ifMatch !== this.#etag()) {
      throw new TokenStoreError(
        "precondition",
        `${this.#file} changed since it was read`,
      );
    }
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs a read-modify-write under the lock file, so that another process
   * writing the same file at once loses nothing (its change is read first).
   */
  #exclusiveWrite<T>(task: () => Promise<T>): Promise<T> {
    return this.#exclusive(async () => {
      const lock = `${this.#file}.lock`;
      await Deno.mkdir(dirname(lock), { recursive: true, mode: 0o700 });
      for (;;) {
        try {
          (await Deno.open(lock, { createNew: true, write: true })).close();
          break;
        } catch (error) {
          if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
        }
        const mtime = await Deno.stat(lock).then(
          (s) => s.mtime?.getTime() ?? 0,
          () => null,
        );
        if (mtime !== null && Date.now() - mtime > STALE_LOCK_MS) {
          this.#log(`${lock}: removing a lock left for more than 10 s`);
          await Deno.remove(lock).catch(() => {});
        } else {
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 15));
        }
      }
      try {
        return await task();
      } finally {
        await Deno.remove(lock).catch(() => {});
      }
    });
  }

  /** Re-reads the file if its stamp changed since the last read or write. */
  async #refresh(): Promise<void> {
    const stamp = await this.#currentStamp();
    if (stamp === this.#stamp) return;
    let text = "";
    if (stamp !== "") {
      try {
        text = await Deno.readTextFile(this.#file);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
    this.#parse(text);
    this.#stamp = stamp;
  }

  #parse(text: string): void {
    const tokens = new Map<string, StatefulToken>();
    const unparsed: string[] = [];
    text.split("\n").forEach((raw, index) => {
      const line = raw.trim();
      if (line === "") return;
      const where = `${this.#file}:${index + 1}`;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        // The parser's message quotes the line, which holds a secret.
        this.#log(`${where}: not valid JSON, line ignored`);
        unparsed.push(line);
        return;
      }
      try {
        const token = parseStatefulToken(json, where);
        if (tokens.has(token.token)) {
          this.#log(`${where}: duplicate token name, this later line wins`);
        }
        tokens.set(token.token, token);
      } catch (error) {
        if (!(error instanceof TypeError)) throw error;
        this.#log(`${error.message}; line ignored`);
        unparsed.push(line);
      }
    });
    this.#tokens = tokens;
    this.#unparsed = unparsed;
  }

  async #currentStamp(): Promise<string> {
    try {
      const info = await Deno.stat(this.#file);
      return [
        info.size,
        info.mtime?.getTime() ?? 0,
        info.ctime?.getTime() ?? 0,
        info.ino ?? 0,
      ].join("-");
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return "";
      throw error;
    }
  }

  /** Writes `tokens` atomically, then makes them the cached state. */
  async #commit(tokens: Map<string, StatefulToken>): Promise<void> {
    const lines = [...tokens.values()].map((t) =>
      JSON.stringify(serializeToken(t))
    );
    lines.push(...this.#unparsed);
    const text = lines.map((line) => `${line}\n`).join("");
    // Tokens are secrets: readable by the server's user only, whatever
    // mode the file had before.
    await writeFileAtomically(this.#file, new TextEncoder().encode(text), {
      mode: 0o600,
      replaceMode: true,
    });
    this.#tokens = tokens;
    this.#stamp = await this.#currentStamp();
  }
}

function validated(token: StatefulToken): StatefulToken {
  return parseStatefulToken(serializeToken(token), "Token");
}

function copy(token: StatefulToken): StatefulToken {
  return { ...token, permissions: [...token.permissions] };
}
