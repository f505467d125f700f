/**
 * Waiting on a condition instead of sleeping: polls a check, synchronous
 * or not, until it yields a value, and fails with the condition's name
 * (and the check's last error) when the time runs out.
 *
 * @module
 */

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Time between two checks (default 10 ms). */
  intervalMs?: number;
}

/**
 * Resolves with the first value of `check` that is neither `undefined` nor
 * `false`; a check that throws counts as not yet.
 *
 * @example
 * ```ts
 * await waitFor("the node to expire", async () => (await list()).length === 0);
 * ```
 *
 * @throws {Error} `Timed out waiting for WHAT` after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitForOptions = {},
): Promise<T> {
  const deadline = performance.now() + (options.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (performance.now() > deadline) {
      throw new Error(
        `Timed out waiting for ${what}${last === undefined ? "" : `: ${last}`}`,
      );
    }
    await new Promise((resolve) =>
      setTimeout(resolve, options.intervalMs ?? 10)
    );
  }
}

/**
 * Resolves once `check` stops throwing (an assertion that holds), checking
 * every 200 ms: browsers' pages change at their own pace.
 *
 * @example
 * ```ts
 * await eventually(async () => assertEquals(await titles(page), ["alice"]));
 * ```
 *
 * @throws {Error} `Timed out waiting for an assertion to hold: ` and the
 * check's last error, after `timeoutMs` (default 10 s).
 */
export async function eventually(
  check: () => Promise<void>,
  timeoutMs = 10_000,
): Promise<void> {
  await waitFor("an assertion to hold", async () => {
    await check();
    return true;
  }, { timeoutMs, intervalMs: 200 });
}
