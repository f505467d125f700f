/**
 * A group's chat history kept in Redis, so that a member joining through
 * any edge reads the same history: the cluster's counterpart of the
 * in-memory `ChatHistory` (same entries, same `clearchat` selectors).
 *
 * It is a Redis stream per group (`nereid:group:<name>:chat`), one entry
 * per message, chosen over a list because a stream id carries its time:
 * age expiry is one `XTRIM MINID` and a joiner's read is one `XRANGE`
 * from the cutoff, with no timestamps to parse or filter on our side; the
 * same ids will let an edge that reconnects catch up from the last id it
 * saw. An append is one Lua script, so that concurrent edges never see a
 * half-trimmed history: it adds the entry (its id's time is the caller's
 * clock, never earlier than the newest entry's, so edges with skewed
 * clocks still append in order), then drops entries beyond the count
 * bound, older than the age bound and, oldest first, beyond the byte bound
 * (bytes of the stored JSON), and sets the stream to expire when its
 * newest entry would. An entry larger than the byte bound on its own is
 * refused.
 *
 * @example
 * ```ts
 * const history = new SharedChatHistory(connection);
 * await history.append("night-watch", entry, { now, maxAgeMs: 4 * 3600_000 });
 * const entries = await history.entries("night-watch", { now, maxAgeMs });
 * ```
 *
 * @module
 */

import type { ChatEntry, ClearSelector } from "../group/chat_history.ts";
import { groupChatKey } from "./cluster_keys.ts";
import type { RedisConnection } from "./redis_connection.ts";

/** Options of {@link SharedChatHistory}. */
export interface SharedChatHistoryOptions {
  /** Entries kept per group (default 50, as Galène). */
  maxEntries?: number;
  /** Bytes of entries kept per group (default 1 MiB: one largest message). */
  maxBytes?: number;
}

/** When and for how long, for one call. */
export interface HistoryTime {
  /** The caller's clock, in ms since the epoch. */
  now: number;
  /** The group's `max-history-age`, in ms. */
  maxAgeMs: number;
}

const APPEND = `
local now = tonumber(ARGV[1])
local maxAge = tonumber(ARGV[5])
local ms = now
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #last > 0 then
  local lastMs = tonumber(string.match(last[1][1], '^(%d+)-'))
  if lastMs > ms then ms = lastMs end
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3],
  string.format('%.0f-*', ms), 'e', ARGV[2])
redis.call('XTRIM', KEYS[1], 'MINID', string.format('%.0f', now - maxAge))
local entries = redis.call('XREVRANGE', KEYS[1], '+', '-')
local total = 0
for i, entry in ipairs(entries) do
  total = total + #entry[2][2]
  if total > tonumber(ARGV[4]) then
    if i == 1 then
      redis.call('DEL', KEYS[1])
    else
      redis.call('XTRIM', KEYS[1], 'MINID', entries[i - 1][1])
    end
    break
  end
end
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', ms - now + maxAge))
return id`;

/** See the module documentation. */
export class SharedChatHistory {
  readonly #connection: RedisConnection;
  readonly #maxEntries: number;
  readonly #maxBytes: number;

  /** @throws {RangeError} When a bound is not a positive integer. */
  constructor(
    connection: RedisConnection,
    options: SharedChatHistoryOptions = {},
  ) {
    this.#connection = connection;
    this.#maxEntries = options.maxEntries ?? 50;
    this.#maxBytes = options.maxBytes ?? 1 << 20;
    for (const bound of [this.#maxEntries, this.#maxBytes]) {
      if (!Number.isSafeInteger(bound) || bound < 1) {
        throw new RangeError("Chat history bounds must be positive integers");
      }
    }
  }

  /**
   * Appends an entry and applies the bounds.
   *
   * @throws {RangeError} When the entry alone exceeds the byte bound.
   * @throws {RedisUnavailableError} When Redis is unreachable.
   */
  async append(
    group: string,
    entry: ChatEntry,
    time: HistoryTime,
  ): Promise<void> {
    const json = JSON.stringify(entry);
    const bytes = new TextEncoder().encode(json).length;
    if (bytes > this.#maxBytes) {
      throw new RangeError(
        `Chat message of ${bytes} bytes exceeds the history's ${this.#maxBytes}`,
      );
    }
    await this.#connection.command((r) =>
      r.eval(
        APPEND,
        1,
        groupChatKey(group),
        Math.floor(time.now),
        json,
        this.#maxEntries,
        this.#maxBytes,
        Math.max(1, Math.floor(time.maxAgeMs)),
      )
    );
  }

  /**
   * The entries younger than `maxAgeMs` at `now`, oldest first (what a
   * joiner is sent). Entries that do not parse are skipped.
   *
   * @throws {RedisUnavailableError} When Redis is unreachable.
   */
  async entries(group: string, time: HistoryTime): Promise<ChatEntry[]> {
    const cutoff = Math.max(0, Math.floor(time.now - time.maxAgeMs));
    const raw = await this.#connection.command((r) =>
      r.xrange(
        groupChatKey(group),
        String(cutoff),
        "+",
        "COUNT",
        this.#maxEntries,
      )
    );
    return raw.flatMap(([, fields]) => {
      const entry = parseEntry(fields);
      return entry === undefined ? [] : [entry];
    });
  }

  /**
   * Deletes what the selector names, as `clearchat` does; returns how many
   * entries went.
   *
   * @throws {RedisUnavailableError} When Redis is unreachable.
   */
  async clear(group: string, selector: ClearSelector): Promise<number> {
    const key = groupChatKey(group);
    if ("all" in selector) {
      const [[, length]] = await this.#connection.command((r) =>
        r.multi().xlen(key).del(key).exec()
      ) as [[unknown, number]];
      return length;
    }
    const { userId, id } = selector;
    const raw = await this.#connection.command((r) =>
      r.xrange(key, "-", "+", "COUNT", this.#maxEntries)
    );
    const doomed = raw.flatMap(([streamId, fields]) => {
      const e = parseEntry(fields);
      return e !== undefined && e.source === userId &&
          (id === undefined || e.id === id)
        ? [streamId]
        : [];
    });
    if (doomed.length === 0) return 0;
    return await this.#connection.command((r) => r.xdel(key, ...doomed));
  }
}

/** Parses a stream entry's fields (`e` → JSON); `undefined` if malformed. */
function parseEntry(fields: string[]): ChatEntry | undefined {
  if (fields.length !== 2 || fields[0] !== "e") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(fields[1]!);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const { id, source, username, time, kind } = v;
  const text = v["value"];
  if (
    typeof id !== "string" || typeof source !== "string" ||
    typeof username !== "string" || typeof time !== "number" ||
    !Number.isFinite(time) || typeof kind !== "string" ||
    typeof text !== "string"
  ) {
    return undefined;
  }
  return { id, source, username, time, kind, value: text };
}
