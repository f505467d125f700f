/**
 * A lock per key (a file path), so that a read–check–write on one file runs
 * alone within the process while other files proceed.
 *
 * @module
 */

/**
 * Runs tasks one at a time per key, in arrival order; tasks on different
 * keys run concurrently. A failing task does not block the next one.
 *
 * @example
 * ```ts
 * const lock = new KeyedLock();
 * await lock.run("groups/a.json", async () => {
 *   // read, check the ETag, write
 * });
 * ```
 */
export class KeyedLock {
  #tails = new Map<string, Promise<unknown>>();

  /** Number of keys with a task running or waiting. */
  get size(): number {
    return this.#tails.size;
  }

  /** Runs `task` once every earlier task on `key` has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(() => undefined, () => undefined);
    this.#tails.set(key, tail);
    // Forget the key once nothing is queued behind this task, so the map
    // does not grow with every group ever written.
    tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
