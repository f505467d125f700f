/**
 * A group's broadcast chat history: bounded in length and in age, kept in
 * memory only (like Galène, never written to disk).
 *
 * @module
 */

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

/** Bounded chat history with age-based expiry. */
export class ChatHistory {
  #entries: ChatEntry[] = [];
  readonly #maxEntries: number;

  /** @param maxEntries Galène keeps 50 entries. */
  constructor(maxEntries = 50) {
    this.#maxEntries = maxEntries;
  }

  /** Appends an entry, dropping the oldest beyond the length bound. */
  add(entry: ChatEntry): void {
    this.#entries.push(entry);
    if (this.#entries.length > this.#maxEntries) {
      this.#entries.splice(0, this.#entries.length - this.#maxEntries);
    }
  }

  /** The entries younger than `maxAgeMs` at `now`, oldest first. */
  entries(now: number, maxAgeMs: number): readonly ChatEntry[] {
    const cutoff = now - maxAgeMs;
    const first = this.#entries.findIndex((e) => e.time >= cutoff);
    if (first < 0) this.#entries = [];
    else if (first > 0) this.#entries.splice(0, first);
    return this.#entries;
  }

  /** Deletes what the selector names; returns how many entries went. */
  clear(selector: ClearSelector): number {
    const before = this.#entries.length;
    if ("all" in selector) {
      this.#entries = [];
    } else {
      const { userId, id } = selector;
      this.#entries = this.#entries.filter((e) =>
        e.source !== userId || (id !== undefined && e.id !== id)
      );
    }
    return before - this.#entries.length;
  }
}
