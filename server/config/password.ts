/**
 * Passwords as stored in group files and `config.json`, in Galène's forms:
 * plain text, PBKDF2-SHA-256, bcrypt, wildcard, or none.
 *
 * @module
 */

import bcrypt from "bcryptjs";
import {
  childOf,
  expectObject,
  readString,
  rejectUnknownKeys,
} from "./json_fields.ts";
import { Semaphore } from "./semaphore.ts";

/** A stored password. `none` (missing or empty type) never matches. */
export type Password =
  | { type: "plain"; key: string }
  | {
    type: "pbkdf2";
    hash: "sha-256";
    key: string;
    salt: string;
    iterations: number;
  }
  | { type: "bcrypt"; key: string }
  | { type: "wildcard" }
  | { type: "none" };

/** How {@link hashPassword} should hash. */
export type HashOptions =
  | { type: "bcrypt"; cost?: number }
  | {
    type: "pbkdf2";
    iterations?: number;
    keyLength?: number;
    saltLength?: number;
  }
  | { type: "wildcard" };

/** Options shared by the functions that hash. */
export interface HashingOptions {
  /** Bounds concurrent hashing; defaults to the process-wide limiter. */
  limiter?: Semaphore;
}

/**
 * Hashing is CPU-bound and a burst of logins must not starve the media plane,
 * so hashes run at most two at a time (Galène uses GOMAXPROCS; we have two
 * cores to share). This is the one process-wide object here on purpose: a
 * per-caller limiter would not bound anything.
 */
const DEFAULT_LIMITER = new Semaphore(2);

const PASSWORD_KEYS: ReadonlySet<string> = new Set([
  "type",
  "hash",
  "key",
  "salt",
  "iterations",
]);
const BCRYPT_HASH = /^\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/**
 * Parses a password value: a JSON string is a plain password, an object is
 * `{type, hash?, key?, salt?, iterations?}`.
 *
 * @example
 * ```ts
 * parsePassword("secret", "groups/a.json"); // { type: "plain", key: "secret" }
 * ```
 * @throws {TypeError} Naming `where` and the key when a field is missing,
 * has the wrong type, or the type is unknown.
 */
export function parsePassword(value: unknown, where: string): Password {
  if (typeof value === "string") return { type: "plain", key: value };
  if (value === null || value === undefined) return { type: "none" };
  const object = expectObject(value, where);
  rejectUnknownKeys(object, { allowed: PASSWORD_KEYS, where });
  const type = readString(object, "type", where) ?? "";
  const key = () => {
    const k = readString(object, "key", where);
    if (k === undefined) {
      throw new TypeError(`${childOf(where, "key")} is required for ${type}`);
    }
    return k;
  };
  switch (type) {
    case "":
      return { type: "none" };
    case "plain":
      return { type: "plain", key: key() };
    case "wildcard":
      return { type: "wildcard" };
    case "bcrypt": {
      const k = key();
      if (!BCRYPT_HASH.test(k)) {
        throw new TypeError(
          `${childOf(where, "key")} is not a bcrypt hash ($2a$, $2b$ or $2y$)`,
        );
      }
      return { type: "bcrypt", key: k };
    }
    case "pbkdf2":
      return parsePbkdf2(object, { key: key(), where });
    default:
      throw new TypeError(
        `${childOf(where, "type")} is unknown password type ${
          JSON.stringify(type)
        }`,
      );
  }
}

function parsePbkdf2(
  object: Record<string, unknown>,
  options: { key: string; where: string },
): Password {
  const { key, where } = options;
  const hash = readString(object, "hash", where);
  if (hash?.toLowerCase() !== "sha-256") {
    throw new TypeError(`${childOf(where, "hash")} must be "sha-256"`);
  }
  if (!HEX.test(key) || key.length === 0) {
    throw new TypeError(
      `${childOf(where, "key")} must be a non-empty hexadecimal string`,
    );
  }
  const salt = readString(object, "salt", where) ?? "";
  if (!HEX.test(salt)) {
    throw new TypeError(
      `${childOf(where, "salt")} must be a hexadecimal string`,
    );
  }
  const iterations = object["iterations"];
  if (
    typeof iterations !== "number" || !Number.isSafeInteger(iterations) ||
    iterations < 1
  ) {
    throw new TypeError(
      `${childOf(where, "iterations")} must be a positive integer`,
    );
  }
  return { type: "pbkdf2", hash: "sha-256", key, salt, iterations };
}

/**
 * Checks `given` against a stored password; plain passwords are compared in
 * constant time, hashes run under the hashing limiter.
 */
export function checkPassword(
  password: Password,
  given: string,
  options: HashingOptions = {},
): Promise<boolean> {
  const limiter = options.limiter ?? DEFAULT_LIMITER;
  switch (password.type) {
    case "none":
      return Promise.resolve(false);
    case "wildcard":
      return Promise.resolve(true);
    case "plain":
      return Promise.resolve(
        constantTimeEqual(utf8(password.key), utf8(given)),
      );
    case "bcrypt":
      return limiter.run(() => bcrypt.compare(given, password.key));
    case "pbkdf2":
      return limiter.run(async () => {
        const expected = fromHex(password.key);
        const derived = await pbkdf2(given, {
          salt: fromHex(password.salt),
          iterations: password.iterations,
          length: expected.length,
        });
        return constantTimeEqual(derived, expected);
      });
  }
}

/**
 * Hashes `cleartext` as galenectl would (bcrypt cost 8; PBKDF2 4096
 * iterations, 32-byte key, 8-byte salt).
 *
 * @throws {RangeError} (as a rejection) When a cost, length or iteration
 * count is out of range.
 */
export async function hashPassword(
  cleartext: string,
  options: HashOptions & HashingOptions,
): Promise<Password> {
  const limiter = options.limiter ?? DEFAULT_LIMITER;
  switch (options.type) {
    case "wildcard":
      return { type: "wildcard" };
    case "bcrypt": {
      const cost = options.cost ?? 8;
      if (!Number.isSafeInteger(cost) || cost < 4 || cost > 31) {
        throw new RangeError(
          `bcrypt cost must be an integer from 4 to 31, got ${cost}`,
        );
      }
      return await limiter.run(async () => ({
        type: "bcrypt",
        key: await bcrypt.hash(cleartext, cost),
      }));
    }
    case "pbkdf2": {
      const iterations = positive(
        options.iterations ?? 4096,
        "PBKDF2 iterations",
      );
      const keyLength = positive(options.keyLength ?? 32, "PBKDF2 key length");
      const salt = crypto.getRandomValues(
        new Uint8Array(positive(options.saltLength ?? 8, "PBKDF2 salt length")),
      );
      return await limiter.run(async () => {
        const key = await pbkdf2(cleartext, {
          salt,
          iterations,
          length: keyLength,
        });
        return {
          type: "pbkdf2",
          hash: "sha-256",
          key: toHex(key),
          salt: toHex(salt),
          iterations,
        };
      });
    }
  }
}

/**
 * Returns the JSON form Galène writes: a plain password as a bare string,
 * others as objects, `none` as `undefined` (the key is left out).
 */
export function serializePassword(password: Password): unknown {
  switch (password.type) {
    case "plain":
      return password.key;
    case "none":
      return undefined;
    default:
      return { ...password };
  }
}

async function pbkdf2(
  cleartext: string,
  options: {
    salt: Uint8Array<ArrayBuffer>;
    iterations: number;
    length: number;
  },
): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey(
    "raw",
    utf8(cleartext),
    "PBKDF2",
    false,
    [
      "deriveBits",
    ],
  );
  const bits = await crypto.subtle.deriveBits(
    {
      name: "PBKDF2",
      hash: "SHA-256",
      salt: options.salt,
      iterations: options.iterations,
    },
    material,
    options.length * 8,
  );
  return new Uint8Array(bits);
}

/** Compares without an early exit, so timing does not reveal the prefix. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) {
    difference |= (a[i] ?? 0) ^ (b[i % Math.max(b.length, 1)] ?? 0);
  }
  return difference === 0;
}

function positive(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${what} must be a positive integer, got ${value}`);
  }
  return value;
}

function utf8(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text);
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return bytes;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
