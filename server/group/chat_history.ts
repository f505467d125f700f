/**
 * A group's broadcast chat history: bounded in length, in bytes and in age,
 * kept in memory only (like Galène, never written to disk).
 *
 * The byte bound is what keeps the group joinable: a joiner is sent the
 * whole history at once, so it must fit well within the outgoing buffer a
 * client may fill before it is dropped as too slow (8 MiB). Each entry is
 * weighed as the `chathistory` message that carries it, escapes included.
 *
 * @module
 */

import { utf8Length } from "../protocol/byte_limits.ts";

/**
 * Most bytes of chat history a group keeps (and a joiner is sent): 2 MiB,
 * room for any single message (at most 1 MiB) and a quarter of the outgoing
 * buffer limit, leaving the rest for the user list.
 */
export const MAX_HISTORY_BYTES = 2 << 20;

/**
 * What a `chathistory` message adds to the stored entry: its `type`, and a
 * time written as RFC 3339 rather than as milliseconds.
 */
const WIRE_OVERHEAD = 64;

/** One stored chat message. */
export interface ChatEntry {
  id: string;
  source: string;
  username: string;
  /** Milliseconds since the epoch. */
  time: number;
  kind: string;
  value: string;
}

/** What to delete, as the `clearchat` group action's value says. */
export type ClearSelector =
  | { all: true }
  | { userId: string; id?: string };

/** Options of the {@link ChatHistory} constructor. */
export interface ChatHistoryOptions {
  /** Most entries kept; Galène keeps 50. */
  maxEntries?: number;
  /** Most bytes kept; default {@link MAX_HISTORY_BYTES}. */
  maxBytes?: number;
}

/** Bounded chat history with age-based expiry. */
export class ChatHistory {
  #entries: ChatEntry[] = [];
  /** The weight of each entry of `#entries`, at the same index. */
  #sizes: number[] = [];
  #bytes = 0;
  readonly #maxEntries: number;
  readonly #maxBytes: number;

  constructor(options: ChatHistoryOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 50;
    this.#maxBytes = options.maxBytes ?? MAX_HISTORY_BYTES;
  }

  /** The bytes the kept entries weigh on the wire. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Appends an entry, dropping the oldest beyond the length or byte bound
   * (an entry heavier than the whole bound is not kept at all).
   */
  add(entry: ChatEntry): void {
    const size = utf8Length(JSON.stringify(entry)) + WIRE_OVERHEAD;
    this.#entries.push(entry);
    this.#sizes.push(size);
    this.#bytes += size;
    let drop = Math.max(0, this.#entries.length - this.#maxEntries);
    let bytes = this.#bytes;
    for (let i = 0; i < drop; i++) bytes -= this.#sizes[i]!;
    while (bytes > this.#maxBytes) bytes -= this.#sizes[drop++]!;
    this.#dropOldest(drop);
  }

  /** The entries younger than `maxAgeMs` at `now`, oldest first. */
  entries(now: number, maxAgeMs: number): readonly ChatEntry[] {
    const cutoff = now - maxAgeMs;
    const first = this.#entries.findIndex((e) => e.time >= cutoff);
    this.#dropOldest(first < 0 ? this.#entries.length : first);
    return this.#entries;
  }

  /** Deletes what the selector names; returns how many entries went. */
  clear(selector: ClearSelector): number {
    const before = this.#entries.length;
    const keep = "all" in selector
      ? () => false
      : (e: ChatEntry) =>
        e.source !== selector.userId ||
        (selector.id !== undefined && e.id !== selector.id);
    const entries: ChatEntry[] = [];
    const sizes: number[] = [];
    this.#entries.forEach((e, i) => {
      if (!keep(e)) return;
      entries.push(e);
      sizes.push(this.#sizes[i]!);
    });
    this.#entries = entries;
    this.#sizes = sizes;
    this.#bytes = sizes.reduce((a, b) => a + b, 0);
    return before - entries.length;
  }

  #dropOldest(count: number): void {
    if (count <= 0) return;
    for (const size of this.#sizes.splice(0, count)) this.#bytes -= size;
    this.#entries.splice(0, count);
  }
}
