/**
 * `list-groups`, `show-group`, `create-group`, `update-group`,
 * `delete-group`.
 *
 * @module
 */

import { isJsonObject, type JsonObject } from "../config/json_fields.ts";
import { CtlError } from "./api_client.ts";
import {
  type Command,
  type CommandContext,
  defineCommand,
  GROUP_FLAG,
  groupPath,
  printJson,
  requireGroup,
} from "./ctl_command.ts";
import type { ParsedFlags } from "./ctl_flags.ts";

const GROUP_EDIT_FLAGS = {
  ...GROUP_FLAG,
  "unrestricted-tokens": {
    type: "bool",
    default: false,
    help: "let users with present create tokens",
  },
  "auto-subgroups": {
    type: "bool",
    default: false,
    help: "create subgroups on demand",
  },
  json: {
    type: "bool",
    default: false,
    help: "read a JSON template from standard input",
  },
} as const;

/** Reads the `-json` template; `null` values mean "remove this key". */
async function template(
  context: CommandContext,
  flags: ParsedFlags<typeof GROUP_EDIT_FLAGS>,
): Promise<JsonObject> {
  const result: JsonObject = {};
  if (flags.values.json) {
    let json: unknown;
    try {
      json = JSON.parse(await context.io.readStdin());
    } catch {
      throw new CtlError("The template on standard input is not valid JSON");
    }
    if (!isJsonObject(json)) {
      throw new CtlError(
        "The template on standard input must be a JSON object",
      );
    }
    Object.assign(result, json);
  }
  for (const key of ["unrestricted-tokens", "auto-subgroups"] as const) {
    if (flags.given.has(key)) result[key] = flags.values[key];
  }
  return result;
}

function merge(base: JsonObject, changes: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete out[key];
    else out[key] = value;
  }
  return out;
}

const listGroups = defineCommand({
  summary: "Lists every group.",
  flags: {},
  async run(context) {
    const { value } = await context.client().getJson(".groups/");
    for (const name of value as string[]) context.io.stdout(`${name}\n`);
  },
});

const showGroup = defineCommand({
  summary: "Shows a group's description (without users and keys).",
  flags: GROUP_FLAG,
  async run(context, flags) {
    const { value } = await context.client().getJson(
      groupPath(requireGroup(flags)),
    );
    printJson(context, value);
  },
});

const createGroup = defineCommand({
  summary: "Creates a group; fails if it exists.",
  flags: GROUP_EDIT_FLAGS,
  async run(context, flags) {
    const group = requireGroup(flags);
    const body = merge({}, await template(context, flags));
    await context.client().call("PUT", groupPath(group), {
      body: JSON.stringify(body),
      headers: { "If-None-Match": "*" },
    });
  },
});

const updateGroup = defineCommand({
  summary:
    "Changes a group: the -json template is merged into its description " +
    "(a null value removes a key); fails if someone changed it meanwhile.",
  flags: GROUP_EDIT_FLAGS,
  async run(context, flags) {
    const group = requireGroup(flags);
    const changes = await template(context, flags);
    const client = context.client();
    const { value, etag } = await client.getJson(groupPath(group));
    if (!isJsonObject(value)) {
      throw new CtlError("Unexpected group description");
    }
    await client.call("PUT", groupPath(group), {
      body: JSON.stringify(merge(value, changes)),
      headers: etag ? { "If-Match": etag } : {},
    });
  },
});

const deleteGroup = defineCommand({
  summary: "Deletes a group's file.",
  flags: GROUP_FLAG,
  async run(context, flags) {
    await context.client().call("DELETE", groupPath(requireGroup(flags)));
  },
});

/** The group subcommands by name. */
export const GROUP_COMMANDS: Record<string, Command> = {
  "list-groups": listGroups,
  "show-group": showGroup,
  "create-group": createGroup,
  "update-group": updateGroup,
  "delete-group": deleteGroup,
};
