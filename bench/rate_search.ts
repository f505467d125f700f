/**
 * The search for the highest rates an SFU forwards under two criteria at
 * once:
 *
 * - `loss`: under 1 % loss (the loss-only maximum);
 * - `latency`: under 1 % loss AND p99 latency within the bound (the
 *   latency-qualified maximum, at most the loss-only one).
 *
 * Each criterion keeps its own bracket (best pass, lowest failure): doubling
 * from a start rate until a step fails, then bisecting (geometrically). The
 * latency bracket is narrowed first (its rates are the lower ones), then the
 * loss bracket; every step informs both, so a step taken for one criterion
 * is not taken again for the other.
 *
 * Pure: the caller runs each step and reports its outcome.
 *
 * @example
 * ```ts
 * const search = new RateSearch({ start: 2000 });
 * for (let rate = search.next(); rate !== null; rate = search.next()) {
 *   search.record(rate, rate < 5000 ? "pass" : rate < 9000 ? "late" : "fail");
 * }
 * search.best("latency"); // 4350 < best < 5000
 * search.best("loss"); // 7800 < best < 9000
 * ```
 *
 * @module
 */

/**
 * What one step showed: `pass` both criteria; `late`: loss under the bound
 * but p99 latency above it; `fail`: too much loss; `invalid`: the bots, not
 * the SFU, were the limit.
 */
export type StepOutcome = "pass" | "late" | "fail" | "invalid";

/** The two criteria a step is judged by. */
export type Criterion = "loss" | "latency";

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
  /** At most this many steps, both criteria together. Default 12. */
  maxSteps?: number;
}

/** One criterion's bracket: its best pass and lowest failure. */
class Bracket {
  best = 0;
  lowestFail = Infinity;
  end: SearchEnd | null = null;

  /** The next rate this bracket wants, or the reason it is done. */
  next(o: Required<RateSearchOptions>): number | SearchEnd {
    if (this.end !== null) return this.end;
    if (this.lowestFail === Infinity) {
      if (this.best >= o.max) return "rate-cap";
      return this.best === 0 ? o.start : Math.min(o.max, this.best * 2);
    }
    if (this.best === 0) {
      // Even the lowest rate tried failed: halve, down to 1/16 of the start.
      const lower = this.lowestFail / 2;
      return lower < o.start / 16 ? "nothing-passed" : Math.round(lower);
    }
    if (this.lowestFail / this.best <= o.precision) return "converged";
    return Math.round(Math.sqrt(this.best * this.lowestFail));
  }

  record(rate: number, passed: boolean): void {
    if (!passed) {
      this.lowestFail = Math.min(this.lowestFail, rate);
      return;
    }
    this.best = Math.max(this.best, rate);
    if (rate >= this.lowestFail) {
      // A pass above a failure: that failure was noise (a busy machine).
      // Search on from this pass, even when the bracket had closed.
      this.lowestFail = Infinity;
      if (this.end === "converged" || this.end === "nothing-passed") {
        this.end = null;
      }
    }
  }
}

/** State of one search; see the module comment. */
export class RateSearch {
  readonly #options: Required<RateSearchOptions>;
  readonly #brackets: Record<Criterion, Bracket> = {
    latency: new Bracket(),
    loss: new Bracket(),
  };
  #steps = 0;

  /** @throws {RangeError} when start is not positive or precision not above 1 */
  constructor(options: RateSearchOptions) {
    if (!(options.start > 0)) {
      throw new RangeError(`Cannot search from rate ${options.start}`);
    }
    const precision = options.precision ?? 1.15;
    if (!(precision > 1)) {
      throw new RangeError(`Cannot search to precision ${precision}`);
    }
    this.#options = {
      start: options.start,
      max: options.max ?? 1_000_000,
      precision,
      maxSteps: options.maxSteps ?? 12,
    };
  }

  /** The highest rate that passed `criterion` (default loss), 0 when none did. */
  best(criterion: Criterion = "loss"): number {
    return this.#brackets[criterion].best;
  }

  /** Why the search for `criterion` (default loss) ended, or null while it runs. */
  end(criterion: Criterion = "loss"): SearchEnd | null {
    return this.#brackets[criterion].end;
  }

  /** The next rate to try, or null when both searches are over. */
  next(): number | null {
    for (const criterion of ["latency", "loss"] as const) {
      const bracket = this.#brackets[criterion];
      if (bracket.end !== null) continue;
      if (this.#steps >= this.#options.maxSteps) {
        bracket.end = "step-limit";
        continue;
      }
      const next = bracket.next(this.#options);
      if (typeof next === "number") return next;
      bracket.end = next;
    }
    return null;
  }

  /** Reports the outcome of the step at `rate`. */
  record(rate: number, outcome: StepOutcome): void {
    this.#steps++;
    const { latency, loss } = this.#brackets;
    if (outcome === "invalid") {
      latency.end ??= "bot-limit";
      loss.end ??= "bot-limit";
      return;
    }
    latency.record(rate, outcome === "pass");
    loss.record(rate, outcome !== "fail");
  }
}
