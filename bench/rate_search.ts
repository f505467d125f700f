/**
 * The search for the highest rate an SFU forwards with under 1 % loss:
 * doubling from a start rate until a step fails, then bisecting
 * (geometrically) between the best pass and the lowest failure.
 *
 * Pure: the caller runs each step and reports its outcome.
 *
 * @example
 * ```ts
 * const search = new RateSearch({ start: 2000 });
 * for (let rate = search.next(); rate !== null; rate = search.next()) {
 *   search.record(rate, rate < 9000 ? "pass" : "fail");
 * }
 * search.best; // 8000 < best ≤ 9000
 * ```
 *
 * @module
 */

/** What one step showed. `invalid`: the bots, not the SFU, were the limit. */
export type StepOutcome = "pass" | "fail" | "invalid";

/** Why a search ended. */
export type SearchEnd =
  | "converged"
  | "bot-limit"
  | "rate-cap"
  | "step-limit"
  | "nothing-passed";

/** Options of {@link RateSearch}. */
export interface RateSearchOptions {
  /** First rate tried. */
  start: number;
  /** Highest rate tried. Default 1,000,000. */
  max?: number;
  /** Stop when lowest failure ÷ best pass is at most this. Default 1.15. */
  precision?: number;
  /** At most this many steps. Default 12. */
  maxSteps?: number;
}

/** State of one search; see the module comment. */
export class RateSearch {
  readonly #start: number;
  readonly #max: number;
  readonly #precision: number;
  readonly #maxSteps: number;
  #best = 0;
  #lowestFail = Infinity;
  #steps = 0;
  #end: SearchEnd | null = null;

  /** @throws {RangeError} when start is not positive or precision not above 1 */
  constructor(options: RateSearchOptions) {
    if (!(options.start > 0)) {
      throw new RangeError(`Cannot search from rate ${options.start}`);
    }
    this.#start = options.start;
    this.#max = options.max ?? 1_000_000;
    this.#precision = options.precision ?? 1.15;
    if (!(this.#precision > 1)) {
      throw new RangeError(`Cannot search to precision ${this.#precision}`);
    }
    this.#maxSteps = options.maxSteps ?? 12;
  }

  /** The highest rate that passed, 0 when none did. */
  get best(): number {
    return this.#best;
  }

  /** Why the search ended, or null while it runs. */
  get end(): SearchEnd | null {
    return this.#end;
  }

  /** The next rate to try, or null when the search is over. */
  next(): number | null {
    if (this.#end !== null) return null;
    if (this.#steps >= this.#maxSteps) return this.#finish("step-limit");
    if (this.#lowestFail === Infinity) {
      if (this.#best >= this.#max) return this.#finish("rate-cap");
      return this.#best === 0
        ? this.#start
        : Math.min(this.#max, this.#best * 2);
    }
    if (this.#best === 0) {
      // Even the start failed: halve, down to 1/16 of it.
      const lower = this.#lowestFail / 2;
      return lower < this.#start / 16
        ? this.#finish("nothing-passed")
        : Math.round(lower);
    }
    if (this.#lowestFail / this.#best <= this.#precision) {
      return this.#finish("converged");
    }
    return Math.round(Math.sqrt(this.#best * this.#lowestFail));
  }

  /** Reports the outcome of the step at `rate`. */
  record(rate: number, outcome: StepOutcome): void {
    this.#steps++;
    if (outcome === "invalid") {
      this.#finish("bot-limit");
    } else if (outcome === "pass") {
      this.#best = Math.max(this.#best, rate);
    } else {
      this.#lowestFail = Math.min(this.#lowestFail, rate);
    }
  }

  #finish(end: SearchEnd): null {
    this.#end = end;
    return null;
  }
}
