/**
 * Latency samples of one measurement step, kept in a preallocated array so
 * that recording costs no allocation per packet.
 *
 * @module
 */

/** Collects up to `capacity` samples (ms); later ones overwrite at random. */
export class LatencyRecorder {
  readonly #samples: Float64Array;
  #count = 0;
  #seen = 0;

  constructor(capacity = 100_000) {
    this.#samples = new Float64Array(capacity);
  }

  /** Samples recorded in this step. */
  get count(): number {
    return this.#seen;
  }

  /** Records one sample; beyond capacity, reservoir sampling keeps it fair. */
  add(ms: number): void {
    this.#seen++;
    if (this.#count < this.#samples.length) {
      this.#samples[this.#count++] = ms;
      return;
    }
    const slot = Math.floor(Math.random() * this.#seen);
    if (slot < this.#samples.length) this.#samples[slot] = ms;
  }

  /** Forgets every sample. */
  reset(): void {
    this.#count = 0;
    this.#seen = 0;
  }

  /** The `q` quantile (0…1) of the samples, NaN when there are none. */
  quantile(q: number): number {
    return quantile(this.#samples.subarray(0, this.#count), q);
  }
}

/** The `q` quantile (0…1, nearest rank) of `values`; NaN when empty. */
export function quantile(values: Float64Array, q: number): number {
  if (values.length === 0) return NaN;
  const sorted = values.slice().sort();
  const rank = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil(q * sorted.length) - 1),
  );
  return sorted[rank]!;
}
