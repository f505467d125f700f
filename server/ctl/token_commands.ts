/**
 * `list-tokens`, `create-token`, `update-token`, `revoke-token`,
 * `delete-token`. An empty `-group ''` names the root (global tokens).
 *
 * @module
 */

import { formatTime } from "../auth/stateful_token.ts";
import { isJsonObject } from "../config/json_fields.ts";
import {
  expandPermissions,
  parsePermissionSpec,
  type Permission,
} from "../config/permissions.ts";
import { CtlError } from "./api_client.ts";
import {
  type Command,
  defineCommand,
  GROUP_FLAG,
  groupPath,
  printJson,
  requireGroup,
} from "./ctl_command.ts";
import { type ParsedFlags, UsageError } from "./ctl_flags.ts";
import { parseGoDuration } from "./go_duration.ts";

const TOKEN_FLAG = {
  token: {
    type: "string",
    default: "",
    help: "the token's name",
    value: "name",
  },
} as const;
const EDIT_FLAGS = {
  permissions: {
    type: "string",
    default: "present",
    help:
      "a permission set (expanded to its permissions) or a comma-separated list",
    value: "perms",
  },
  duration: {
    type: "string",
    default: "24h",
    help: "validity from now (Go duration: 24h, 90m)",
    value: "duration",
  },
} as const;

function tokensPath(group: string): string {
  return group === "" ? ".groups/.tokens/" : `${groupPath(group)}/.tokens/`;
}

function tokenPath(
  group: string,
  flags: ParsedFlags<typeof TOKEN_FLAG>,
): string {
  const name = flags.values.token;
  if (name === "" || name.includes("/")) {
    throw new UsageError("-token is required and names one token");
  }
  return tokensPath(group) + encodeURIComponent(name);
}

/**
 * Expands `-permissions` into the internal names tokens carry: a named set
 * as a group without options would give it.
 *
 * @throws {UsageError} On an unknown name.
 */
export function tokenPermissions(text: string): Permission[] {
  const value = text.includes(",")
    ? text.split(",").map((s) => s.trim()).filter((s) => s)
    : text;
  try {
    const spec = parsePermissionSpec(value, "-permissions");
    return expandPermissions(spec, {
      allowRecording: false,
      unrestrictedTokens: false,
    });
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(error.message);
    throw error;
  }
}

function expiry(now: number, duration: string): string {
  try {
    return formatTime(now + parseGoDuration(duration));
  } catch (error) {
    if (error instanceof SyntaxError) throw new UsageError(error.message);
    throw error;
  }
}

const listTokens = defineCommand({
  summary: "Lists a group's tokens (-group '' for global ones).",
  flags: {
    ...GROUP_FLAG,
    l: { type: "bool", default: false, help: "show each token" },
  },
  async run(context, flags) {
    const group = requireGroup(flags, { allowRoot: true });
    const client = context.client();
    const { value } = await client.getJson(tokensPath(group));
    for (const name of value as string[]) {
      if (!flags.values.l) {
        context.io.stdout(`${name}\n`);
        continue;
      }
      const { value: token } = await client.getJson(
        tokensPath(group) + encodeURIComponent(name),
      );
      context.io.stdout(`${name} ${JSON.stringify(token)}\n`);
    }
  },
});

const createToken = defineCommand({
  summary: "Creates a token and prints its name.",
  flags: {
    ...GROUP_FLAG,
    "include-subgroups": {
      type: "bool",
      default: false,
      help: "also valid in subgroups",
    },
    user: {
      type: "string",
      default: "",
      help: "username imposed on the holder",
      value: "name",
    },
    ...EDIT_FLAGS,
  },
  async run(context, flags) {
    const group = requireGroup(flags, { allowRoot: true });
    const body: Record<string, unknown> = {
      permissions: tokenPermissions(flags.values.permissions),
      expires: expiry(context.io.now(), flags.values.duration),
    };
    if (flags.values["include-subgroups"]) body["includeSubgroups"] = true;
    if (flags.given.has("user")) body["username"] = flags.values.user;
    const result = await context.client().call("POST", tokensPath(group), {
      body: JSON.stringify(body),
    });
    const name = result.headers.get("location");
    if (!name) throw new CtlError("The server did not name the new token");
    context.io.stdout(`${name}\n`);
  },
});

const showToken = async (
  context: Parameters<Command["run"]>[0],
  path: string,
) => {
  const { value, etag } = await context.client().getJson(path);
  if (!isJsonObject(value)) throw new CtlError("Unexpected token");
  return { token: { ...value }, etag };
};

const updateToken = defineCommand({
  summary: "Changes a token's permissions or extends it from now.",
  flags: { ...GROUP_FLAG, ...TOKEN_FLAG, ...EDIT_FLAGS },
  async run(context, flags) {
    const path = tokenPath(requireGroup(flags, { allowRoot: true }), flags);
    const { token, etag } = await showToken(context, path);
    if (flags.given.has("permissions")) {
      token["permissions"] = tokenPermissions(flags.values.permissions);
    }
    if (flags.given.has("duration")) {
      token["expires"] = expiry(context.io.now(), flags.values.duration);
    }
    await context.client().call("PUT", path, {
      body: JSON.stringify(token),
      headers: { "If-Match": etag },
    });
  },
});

const revokeToken = defineCommand({
  summary: "Makes a token expire (a minute ago); delete-token removes it.",
  flags: { ...GROUP_FLAG, ...TOKEN_FLAG },
  async run(context, flags) {
    const path = tokenPath(requireGroup(flags, { allowRoot: true }), flags);
    const { token, etag } = await showToken(context, path);
    token["expires"] = formatTime(context.io.now() - 60_000);
    await context.client().call("PUT", path, {
      body: JSON.stringify(token),
      headers: { "If-Match": etag },
    });
  },
});

const deleteToken = defineCommand({
  summary: "Deletes a token.",
  flags: { ...GROUP_FLAG, ...TOKEN_FLAG },
  async run(context, flags) {
    const path = tokenPath(requireGroup(flags, { allowRoot: true }), flags);
    await context.client().call("DELETE", path);
  },
});

const showTokenCommand = defineCommand({
  summary: "Shows a token.",
  flags: { ...GROUP_FLAG, ...TOKEN_FLAG },
  async run(context, flags) {
    const path = tokenPath(requireGroup(flags, { allowRoot: true }), flags);
    printJson(context, (await showToken(context, path)).token);
  },
});

/** The token subcommands by name. */
export const TOKEN_COMMANDS: Record<string, Command> = {
  "list-tokens": listTokens,
  "show-token": showTokenCommand,
  "create-token": createToken,
  "update-token": updateToken,
  "revoke-token": revokeToken,
  "delete-token": deleteToken,
};
