/**
 * `list-users`, `create-user`, `update-user`, `delete-user`.
 *
 * @module
 */

import { isJsonObject } from "../config/json_fields.ts";
import { parsePermissionSpec } from "../config/permissions.ts";
import { CtlError } from "./api_client.ts";
import {
  type Command,
  defineCommand,
  GROUP_FLAG,
  groupPath,
  requireGroup,
  USER_FLAGS,
  userPath,
} from "./ctl_command.ts";
import { UsageError } from "./ctl_flags.ts";

const PERMISSIONS_FLAG = {
  permissions: {
    type: "string",
    default: "present",
    help:
      "a permission set (op, present, message, observe, caption, admin) or a comma-separated list",
    value: "perms",
  },
} as const;

/**
 * Reads `-permissions`: a named set, or a comma-separated list of
 * permission names.
 *
 * @throws {UsageError} Naming an unknown permission.
 */
export function permissionsValue(text: string): string | string[] {
  const value = text.includes(",")
    ? text.split(",").map((s) => s.trim()).filter((s) => s)
    : text;
  try {
    const spec = parsePermissionSpec(value, "-permissions");
    return typeof spec === "string" ? spec : [...spec];
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(error.message);
    throw error;
  }
}

/** Shell-style matching with `*` and `?`, for `list-users PATTERN`. */
function globMatches(pattern: string, name: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`, "s").test(name);
}

const listUsers = defineCommand({
  summary:
    "Lists a group's users, those matching a pattern if given (* and ?).",
  operands: "[pattern...]",
  flags: {
    ...GROUP_FLAG,
    l: { type: "bool", default: false, help: "show each user's permissions" },
  },
  async run(context, flags) {
    const group = requireGroup(flags);
    const client = context.client();
    const { value } = await client.getJson(`${groupPath(group)}/.users/`);
    const names = (value as string[]).filter((name) =>
      flags.rest.length === 0 || flags.rest.some((p) => globMatches(p, name))
    );
    for (const name of names) {
      if (!flags.values.l) {
        context.io.stdout(`${name}\n`);
        continue;
      }
      const path = `${groupPath(group)}/.users/${
        name.split("/").map(encodeURIComponent).join("/")
      }`;
      const { value: user } = await client.getJson(path);
      const permissions = isJsonObject(user) ? user["permissions"] : undefined;
      context.io.stdout(`${name} ${JSON.stringify(permissions ?? [])}\n`);
    }
  },
});

const createUser = defineCommand({
  summary:
    "Creates a user (without a password: use set-password); fails if it exists.",
  flags: { ...GROUP_FLAG, ...USER_FLAGS, ...PERMISSIONS_FLAG },
  async run(context, flags) {
    const path = userPath(requireGroup(flags), flags);
    await context.client().call("PUT", path, {
      body: JSON.stringify({
        permissions: permissionsValue(flags.values.permissions),
      }),
      headers: { "If-None-Match": "*" },
    });
  },
});

const updateUser = defineCommand({
  summary:
    "Changes a user's permissions; fails if someone changed it meanwhile.",
  flags: { ...GROUP_FLAG, ...USER_FLAGS, ...PERMISSIONS_FLAG },
  async run(context, flags) {
    const path = userPath(requireGroup(flags), flags);
    const client = context.client();
    const { value, etag } = await client.getJson(path);
    if (!isJsonObject(value)) throw new CtlError("Unexpected user description");
    const user = { ...value };
    if (flags.given.has("permissions")) {
      user["permissions"] = permissionsValue(flags.values.permissions);
    }
    await client.call("PUT", path, {
      body: JSON.stringify(user),
      headers: etag ? { "If-Match": etag } : {},
    });
  },
});

const deleteUser = defineCommand({
  summary: "Deletes a user.",
  flags: { ...GROUP_FLAG, ...USER_FLAGS },
  async run(context, flags) {
    await context.client().call("DELETE", userPath(requireGroup(flags), flags));
  },
});

/** The user subcommands by name. */
export const USER_COMMANDS: Record<string, Command> = {
  "list-users": listUsers,
  "create-user": createUser,
  "update-user": updateUser,
  "delete-user": deleteUser,
};
