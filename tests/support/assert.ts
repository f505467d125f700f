/**
 * The two assertions the tests use, under the Deno standard library's names
 * (`assert`, `assertEquals`) so tests read as std's do, on top of
 * `node:assert`: a type-narrowing `assert` and a deep, strict `assertEquals`.
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
