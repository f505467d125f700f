/**
 * Permissions: the internal names carried in `joined.permissions`, and the
 * named sets used in group files (`"permissions": "op"`).
 *
 * @module
 */

/** An internal permission name (Galène's). */
export type Permission =
  | "op"
  | "present"
  | "message"
  | "caption"
  | "token"
  | "record"
  | "admin"
  | "system";

/** Every internal permission, in the canonical order used for sorting. */
export const PERMISSIONS: readonly Permission[] = Object.freeze([
  "op",
  "present",
  "message",
  "caption",
  "token",
  "record",
  "admin",
  "system",
]);

/** A named permission set as written in group files. */
export type PermissionSetName =
  | "op"
  | "present"
  | "message"
  | "observe"
  | "caption"
  | "admin";

/** The named sets, in the order used in error messages. */
export const PERMISSION_SET_NAMES: readonly PermissionSetName[] = Object.freeze(
  [
    "op",
    "present",
    "message",
    "observe",
    "caption",
    "admin",
  ],
);

/**
 * A `permissions` value from a group file: a named set, or a raw array of
 * internal names (Galène allows it but does not recommend it).
 */
export type PermissionSpec = PermissionSetName | readonly Permission[];

/** The group settings that widen named sets. */
export interface PermissionContext {
  /** `allow-recording`: `op` also gets `record`. */
  allowRecording: boolean;
  /** `unrestricted-tokens`: `present` also gets `token`. */
  unrestrictedTokens: boolean;
}

/** Returns `true` when `name` is an internal permission name. */
export function isPermission(name: string): name is Permission {
  return (PERMISSIONS as readonly string[]).includes(name);
}

/** Returns `true` when `name` is a named permission set. */
export function isPermissionSetName(name: string): name is PermissionSetName {
  return (PERMISSION_SET_NAMES as readonly string[]).includes(name);
}

/**
 * Validates a `permissions` value read from JSON.
 *
 * @example
 * ```ts
 * parsePermissionSpec("present", "groups/a.json"); // "present"
 * parsePermissionSpec(["message", "caption"], "groups/a.json");
 * ```
 * @throws {TypeError} Naming `where` when the value has the wrong type or
 * contains an unknown name.
 */
export function parsePermissionSpec(
  value: unknown,
  where: string,
): PermissionSpec {
  if (typeof value === "string") {
    if (!isPermissionSetName(value)) {
      throw new TypeError(
        `${where} names unknown permission set ${JSON.stringify(value)} ` +
          `(expected one of ${PERMISSION_SET_NAMES.join(", ")})`,
      );
    }
    return value;
  }
  if (Array.isArray(value)) {
    const result: Permission[] = [];
    for (const item of value) {
      if (typeof item !== "string" || !isPermission(item)) {
        throw new TypeError(
          `${where} contains unknown permission ${JSON.stringify(item)} ` +
            `(expected one of ${PERMISSIONS.join(", ")})`,
        );
      }
      if (!result.includes(item)) result.push(item);
    }
    return Object.freeze(result);
  }
  throw new TypeError(
    `${where} must be a permission set name or an array of permission names`,
  );
}

/**
 * Expands a permission spec into internal permissions, in canonical order
 * (as Galène: `op` gains `record` with allow-recording, `present` gains
 * `token` with unrestricted-tokens, `observe` is empty).
 */
export function expandPermissions(
  spec: PermissionSpec,
  group: PermissionContext,
): Permission[] {
  if (typeof spec !== "string") return sortPermissions(spec);
  switch (spec) {
    case "op":
      return sortPermissions([
        "op",
        "present",
        "message",
        "caption",
        "token",
        ...(group.allowRecording ? ["record" as const] : []),
      ]);
    case "present":
      return sortPermissions([
        "present",
        "message",
        ...(group.unrestrictedTokens ? ["token" as const] : []),
      ]);
    case "message":
      return ["message"];
    case "observe":
      return [];
    case "caption":
      return ["caption"];
    case "admin":
      return ["admin"];
  }
}

/** Returns the distinct permissions of `list` in canonical order. */
export function sortPermissions(list: Iterable<Permission>): Permission[] {
  const present = new Set(list);
  return PERMISSIONS.filter((p) => present.has(p));
}
