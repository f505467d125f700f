/**
 * Minimal assertions for tests (the Deno standard library is not reachable).
 *
 * @module
 */

import { deepStrictEqual } from "node:assert";

/** Throws when `condition` is false. */
export function assert(
  condition: unknown,
  message = "Assertion failed",
): asserts condition {
  if (!condition) throw new Error(message);
}

/** Throws when `actual` and `expected` differ (deep, strict). */
export function assertEquals<T>(
  actual: T,
  expected: T,
  message?: string,
): void {
  deepStrictEqual(actual, expected, message);
}
