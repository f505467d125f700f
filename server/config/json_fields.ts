/**
 * Typed reads of fields from untrusted JSON objects, with error messages that
 * name the file and the key path.
 *
 * A location ("where") is a string: the root of a file is `"FILE:"`, a child
 * appends the key (`FILE: "users"["bob"]`). Every message starts with the
 * location, so an operator can find the offending line.
 *
 * @module
 */

/** A decoded JSON object. */
export type JsonObject = { [key: string]: unknown };

/** Returns the location of the top level of `file`. */
export function rootOf(file: string): string {
  return `${file}:`;
}

/** Returns the location of `key` inside the object at `where`. */
export function childOf(where: string, key: string): string {
  const quoted = JSON.stringify(key);
  return where.endsWith(":") ? `${where} ${quoted}` : `${where}[${quoted}]`;
}

/** Returns `true` when `value` is a JSON object (not `null`, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks that `value` is a JSON object.
 *
 * @throws {TypeError} When it is not, naming `where`.
 */
export function expectObject(value: unknown, where: string): JsonObject {
  if (!isJsonObject(value)) {
    throw new TypeError(`${subject(where)} must be a JSON object`);
  }
  return value;
}

/**
 * Rejects keys of `object` that are not in `allowed`, as Galène's decoder does.
 *
 * @throws {TypeError} Naming the first unknown key.
 */
export function rejectUnknownKeys(
  object: JsonObject,
  options: { allowed: ReadonlySet<string>; where: string },
): void {
  for (const key of Object.keys(object)) {
    if (!options.allowed.has(key)) {
      const prefix = options.where.endsWith(":")
        ? options.where
        : `${options.where}:`;
      throw new TypeError(`${prefix} unknown key ${JSON.stringify(key)}`);
    }
  }
}

/**
 * Reads an optional boolean; `null` counts as absent.
 *
 * @throws {TypeError} When present with another type.
 */
export function readBoolean(
  object: JsonObject,
  key: string,
  where: string,
): boolean | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") {
    throw new TypeError(`${childOf(where, key)} must be a boolean`);
  }
  return value;
}

/**
 * Reads an optional string; `null` counts as absent.
 *
 * @throws {TypeError} When present with another type.
 */
export function readString(
  object: JsonObject,
  key: string,
  where: string,
): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw new TypeError(`${childOf(where, key)} must be a string`);
  }
  return value;
}

/**
 * Reads an optional array of strings; `null` counts as absent.
 *
 * @throws {TypeError} When present and not an array of strings.
 */
export function readStringArray(
  object: JsonObject,
  key: string,
  where: string,
): string[] | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (
    !Array.isArray(value) || !value.every((item) => typeof item === "string")
  ) {
    throw new TypeError(`${childOf(where, key)} must be an array of strings`);
  }
  return [...value];
}

/**
 * Reads an optional non-negative integer; `null` counts as absent.
 *
 * @throws {TypeError} When present and not a non-negative safe integer.
 */
export function readNonNegativeInteger(
  object: JsonObject,
  key: string,
  where: string,
): number | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(
      `${childOf(where, key)} must be a non-negative integer`,
    );
  }
  return value;
}

/** The location as the subject of a sentence (the root reads as "the file"). */
function subject(where: string): string {
  return where.endsWith(":") ? `${where} the file` : where;
}
