/**
 * What a chat command is and what it may touch: the connection subset, the
 * interface's callbacks, and the error shown to the user when a command is
 * misused. The table of commands lives in `commands.ts`.
 *
 * @module
 */

import type { User } from "./protocol.ts";
import type { Settings } from "./settings.ts";

/** The connection as commands see it (a subset of ServerConnection). */
export interface CommandConnection {
  readonly id: string;
  readonly users: ReadonlyMap<string, User>;
  can(permission: string): boolean;
  chat(m: { value: string; kind?: string; dest?: string }): void;
  userMessage(
    kind: string,
    m: { dest?: string; value?: unknown; noecho?: boolean },
  ): void;
  groupAction(kind: string, value?: unknown): void;
  userAction(kind: string, dest: string, value?: unknown): void;
}

/** The user's local settings as `/set` and `/unset` see them. */
export interface CommandSettings {
  readonly value: Readonly<Settings>;
  /** Stores a change and applies it, as the settings pane would. */
  change(change: Partial<Settings>): void;
}

/** What commands need from the interface. */
export interface CommandContext {
  conn: CommandConnection;
  /** Shows a local, system-style line in the chat. */
  print(text: string): void;
  leave(): void;
  renegotiate(): void;
  shareScreen(on: boolean): void;
  presentFile(): void;
  sendFile(userId: string): void;
  setHand(raised: boolean): void;
  /** Publishes every up stream again in place of itself (`/replace`). */
  replace(): void;
  /** Checks that media can flow through the TURN relay (`/relay-test`). */
  relayTest(): void;
  settings: CommandSettings;
  /** The clock, passed in so that expiry dates are testable. */
  now?: () => number;
}

/** One command. */
export interface Command {
  /** Arguments for `/help`, e.g. `user [message]`. */
  params?: string;
  description: string;
  /** Permissions needed (all of them). */
  needs?: readonly string[];
  run(ctx: CommandContext, args: string): void;
}

/** Thrown for a command the user typed wrongly; the message is for them. */
export class CommandError extends Error {
  override name = "CommandError";
}

/** Splits `args` into its first word and the rest. */
export function firstWord(args: string): [string, string] {
  const m = /^\s*(\S*)\s*([\s\S]*)$/.exec(args);
  return [m?.[1] ?? "", m?.[2]?.trim() ?? ""];
}

/**
 * Finds a member by id or username (ids win).
 *
 * @throws {CommandError} When nobody matches.
 */
export function findUser(conn: CommandConnection, who: string): User {
  if (!who) throw new CommandError("Which user? Give a username");
  const byId = conn.users.get(who);
  if (byId) return byId;
  for (const u of conn.users.values()) if (u.username === who) return u;
  throw new CommandError(`No user called "${who}" here`);
}
