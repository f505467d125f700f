/**
 * Conditional updates that must be atomic in Redis (Lua scripts): change
 * or drop a key only while it still holds the value the caller wrote, so
 * that a stale holder never undoes a newer owner's write.
 *
 * @module
 */

import type { RedisConnection } from "./redis_connection.ts";

const COMPARE_AND_DELETE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

const COMPARE_AND_EXPIRE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;

/** Deletes `key` if it holds `expected`; `true` when it did. */
export async function compareAndDelete(
  connection: RedisConnection,
  key: string,
  expected: string,
): Promise<boolean> {
  const result = await connection.command((r) =>
    r.eval(COMPARE_AND_DELETE, 1, key, expected)
  );
  return result === 1;
}

/** Sets `key`'s time to live if it holds `expected`; `true` when it did. */
export async function compareAndExpire(
  connection: RedisConnection,
  key: string,
  options: { expected: string; ttlMs: number },
): Promise<boolean> {
  const result = await connection.command((r) =>
    r.eval(COMPARE_AND_EXPIRE, 1, key, options.expected, options.ttlMs)
  );
  return result === 1;
}

/**
 * Replaces `key`'s value `expected` by `value` with a time to live;
 * `true` when it did (`false`: the key held something else, or nothing).
 */
export async function compareAndSet(
  connection: RedisConnection,
  key: string,
  options: { expected: string; value: string; ttlMs: number },
): Promise<boolean> {
  const { expected, value, ttlMs } = options;
  const result = await connection.command((r) =>
    r.eval(COMPARE_AND_SET, 1, key, expected, value, ttlMs)
  );
  return result === 1;
}
