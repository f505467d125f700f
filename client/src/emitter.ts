/**
 * A tiny typed event emitter: listeners per event name, called in order,
 * one listener's exception never stops the others.
 *
 * @module
 */

/** Listener of one event. */
export type Listener<T> = (value: T) => void;

/** Typed events keyed by name; `Events` maps each name to its payload. */
export class Emitter<Events extends object> {
  #listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(
    name: K,
    listener: Listener<Events[K]>,
  ): () => void {
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  /** Calls every listener of `name` with `value`. */
  emit<K extends keyof Events>(name: K, value: Events[K]): void {
    for (const l of [...(this.#listeners.get(name) ?? [])]) {
      try {
        (l as Listener<Events[K]>)(value);
      } catch (e) {
        console.error(`Listener of "${String(name)}" failed:`, e);
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.#listeners.clear();
  }
}
