/**
 * What a nereidctl subcommand is, what it receives, and the helpers they
 * share (API paths, user selection, password input).
 *
 * @module
 */

import { isValidGroupName, isValidUsername } from "../config/group_name.ts";
import type { ApiClient } from "./api_client.ts";
import type { CtlConfig } from "./ctl_config.ts";
import {
  flagsHelp,
  type FlagSpecs,
  type ParsedFlags,
  UsageError,
} from "./ctl_flags.ts";

/** The outside world, replaceable in tests. */
export interface CtlIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** The whole standard input. */
  readStdin(): Promise<string>;
  env(name: string): string | undefined;
  now(): number;
  os: string;
}

/** What a subcommand runs with. */
export interface CommandContext {
  io: CtlIo;
  /** The API client, created on first use. */
  client(): ApiClient;
  /** The global settings after flags and `nereidctl.json`. */
  settings: CtlConfig & { configFile: string };
}

/** A subcommand with typed flags. */
export interface Command<S extends FlagSpecs = FlagSpecs> {
  summary: string;
  /** Arguments after the flags, for the usage line, e.g. `[pattern...]`. */
  operands?: string;
  flags: S;
  run(context: CommandContext, flags: ParsedFlags<S>): Promise<void>;
}

/** Declares a command, keeping its flags' types. */
export function defineCommand<S extends FlagSpecs>(
  command: Command<S>,
): Command {
  return command as unknown as Command;
}

/** The usage text of one command. */
export function commandHelp(name: string, command: Command): string {
  const operands = command.operands ? ` ${command.operands}` : "";
  const flags = Object.keys(command.flags).length > 0
    ? `\n\nFlags:\n${flagsHelp(command.flags)}`
    : "";
  return `Usage: nereidctl [global flags] ${name} [flags]${operands}\n\n${command.summary}${flags}`;
}

/** Flags naming a user: `-user NAME` (possibly empty) or `-wildcard`. */
export const USER_FLAGS = {
  user: {
    type: "string",
    default: "",
    help: "username (may be empty)",
    value: "name",
  },
  wildcard: { type: "bool", default: false, help: "the wildcard user" },
} as const;

/** The `-group` flag. */
export const GROUP_FLAG = {
  group: { type: "string", default: "", help: "group name", value: "name" },
} as const;

/**
 * Returns the group named by `-group`.
 *
 * @throws {UsageError} When it is missing or invalid (unless `allowRoot`
 * and given empty: the root of global tokens).
 */
export function requireGroup(
  flags: ParsedFlags<typeof GROUP_FLAG>,
  options: { allowRoot?: boolean } = {},
): string {
  const group = flags.values.group;
  if (!flags.given.has("group")) throw new UsageError("-group is required");
  if (group === "" && options.allowRoot) return "";
  if (!isValidGroupName(group)) {
    throw new UsageError(`Invalid group name ${JSON.stringify(group)}`);
  }
  return group;
}

/** The API path of a group (`.groups/a/b`), each segment escaped. */
export function groupPath(group: string): string {
  return `.groups/${group.split("/").map(encodeURIComponent).join("/")}`;
}

/**
 * The API path of the user named by `-user`/`-wildcard` in `group`.
 *
 * @throws {UsageError} When neither or both are given.
 */
export function userPath(
  group: string,
  flags: ParsedFlags<typeof USER_FLAGS>,
): string {
  const hasUser = flags.given.has("user");
  const wildcard = flags.values.wildcard;
  if (hasUser === wildcard) {
    throw new UsageError("Give exactly one of -user and -wildcard");
  }
  if (wildcard) return `${groupPath(group)}/.wildcard-user`;
  const name = flags.values.user;
  if (name === "") return `${groupPath(group)}/.empty-user`;
  if (!isValidUsername(name)) {
    throw new UsageError(`Invalid username ${JSON.stringify(name)}`);
  }
  return `${groupPath(group)}/.users/${
    name.split("/").map(encodeURIComponent).join("/")
  }`;
}

/** The user's description for messages. */
export function userLabel(flags: ParsedFlags<typeof USER_FLAGS>): string {
  return flags.values.wildcard
    ? "the wildcard user"
    : JSON.stringify(flags.values.user);
}

/**
 * Returns `-password`, or the first line of standard input.
 *
 * @throws {UsageError} When neither gives one.
 */
export async function passwordFrom(
  context: CommandContext,
  flags: { values: { password: string }; given: ReadonlySet<string> },
): Promise<string> {
  if (flags.given.has("password")) return flags.values.password;
  const input = await context.io.readStdin();
  const line = input.split(/\r?\n/)[0] ?? "";
  if (input === "") {
    throw new UsageError(
      "Give the password with -password or on standard input",
    );
  }
  return line;
}

/** Prints JSON, indented, with a final newline. */
export function printJson(context: CommandContext, value: unknown): void {
  context.io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
