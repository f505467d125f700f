/**
 * Chat commands (reference §4): lines starting with `/`. A table of small
 * handlers; each names the permissions it needs so `/help` lists only what
 * the user may run. No DOM: the interface's own actions arrive as callbacks.
 *
 * @module
 */

import type { User } from "./protocol.ts";

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

/** Finds a member by id or username (ids win). */
export function findUser(conn: CommandConnection, who: string): User {
  if (!who) throw new CommandError("Which user? Give a username");
  const byId = conn.users.get(who);
  if (byId) return byId;
  for (const u of conn.users.values()) if (u.username === who) return u;
  throw new CommandError(`No user called "${who}" here`);
}

/**
 * Parses Galène's durations: `30min`, `2h`, `1d`, `2w`, `1mon`, `1yr`, `45s`.
 *
 * @returns milliseconds.
 * @throws {CommandError} When `text` is not a duration.
 */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|min|h|d|w|mon|yr)$/.exec(text.trim());
  if (!m) {
    throw new CommandError(`"${text}" is not a duration like 30min, 2h or 1d`);
  }
  const unit: Record<string, number> = {
    s: 1000,
    min: 60_000,
    h: 3_600_000,
    d: 86_400_000,
    w: 7 * 86_400_000,
    mon: 31 * 86_400_000,
    yr: 365 * 86_400_000,
  };
  return Number(m[1]) * (unit[m[2] ?? "s"] ?? 1000);
}

function userAction(kind: string, description: string): Command {
  return {
    params: "user",
    description,
    needs: ["op"],
    run(ctx, args) {
      const [who] = firstWord(args);
      ctx.conn.userAction(kind, findUser(ctx.conn, who).id);
    },
  };
}

function groupAction(
  kind: string,
  description: string,
  needs: string[],
): Command {
  return {
    description,
    needs,
    run: (ctx, args) => ctx.conn.groupAction(kind, args || undefined),
  };
}

/** Every command, by name. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  help: {
    description: "List the commands you can use",
    run: (ctx) => ctx.print(helpText(ctx.conn)),
  },
  me: {
    params: "text",
    description: "Say what you are doing",
    needs: ["message"],
    run(ctx, args) {
      if (!args) throw new CommandError("Usage: /me text");
      ctx.conn.chat({ kind: "me", value: args });
    },
  },
  msg: {
    params: "user text",
    description: "Send a private message",
    needs: ["message"],
    run(ctx, args) {
      const [who, text] = firstWord(args);
      const user = findUser(ctx.conn, who);
      if (!text) throw new CommandError("Usage: /msg user text");
      ctx.conn.chat({ value: text, dest: user.id });
    },
  },
  leave: { description: "Leave the group", run: (ctx) => ctx.leave() },
  renegotiate: {
    description: "Restart the media connections",
    run: (ctx) => ctx.renegotiate(),
  },
  sharescreen: {
    description: "Share your screen",
    needs: ["present"],
    run: (ctx) => ctx.shareScreen(true),
  },
  unsharescreen: {
    description: "Stop sharing your screen",
    needs: ["present"],
    run: (ctx) => ctx.shareScreen(false),
  },
  presentfile: {
    description: "Play a local video file to everyone",
    needs: ["present"],
    run: (ctx) => ctx.presentFile(),
  },
  sendfile: {
    params: "user",
    description: "Send a file to a user",
    run(ctx, args) {
      ctx.sendFile(findUser(ctx.conn, firstWord(args)[0]).id);
    },
  },
  raise: { description: "Raise your hand", run: (ctx) => ctx.setHand(true) },
  unraise: { description: "Lower your hand", run: (ctx) => ctx.setHand(false) },
  clear: {
    description: "Clear the chat for everyone",
    needs: ["op"],
    run: (ctx) => ctx.conn.groupAction("clearchat"),
  },
  lock: groupAction("lock", "Lock the group; [message] tells newcomers why", [
    "op",
  ]),
  unlock: groupAction("unlock", "Unlock the group", ["op"]),
  record: groupAction("record", "Start recording", ["record"]),
  unrecord: groupAction("unrecord", "Stop recording", ["record"]),
  subgroups: groupAction("subgroups", "List the subgroups in use", ["op"]),
  invite: {
    params: "[user] [duration]",
    description: "Make an invitation link (duration like 2h, default 1d)",
    needs: ["token"],
    run(ctx, args) {
      const words = args.split(/\s+/).filter((w) => w);
      let expires = 86_400_000;
      const last = words[words.length - 1];
      if (last !== undefined && /^\d/.test(last)) {
        expires = parseDuration(last);
        words.pop();
      }
      const username = words[0];
      ctx.conn.groupAction("maketoken", {
        expires,
        ...(username ? { username } : {}),
        permissions: ["present", "message"].filter((p) => ctx.conn.can(p)),
      });
    },
  },
  listtokens: {
    description: "List this group's invitations",
    needs: ["op", "token"],
    run: (ctx) => ctx.conn.groupAction("listtokens"),
  },
  kick: {
    params: "user [message]",
    description: "Make a user leave",
    needs: ["op"],
    run(ctx, args) {
      const [who, reason] = firstWord(args);
      ctx.conn.userAction(
        "kick",
        findUser(ctx.conn, who).id,
        reason || undefined,
      );
    },
  },
  identify: userAction("identify", "Show a user's address"),
  op: userAction("op", "Make a user an operator"),
  unop: userAction("unop", "Take operator rights away"),
  present: userAction("present", "Allow a user to present"),
  unpresent: userAction("unpresent", "Stop a user presenting"),
  shutup: userAction("shutup", "Stop a user chatting"),
  unshutup: userAction("unshutup", "Let a user chat again"),
  mute: {
    params: "user",
    description: "Mute a user's microphone",
    needs: ["op"],
    run(ctx, args) {
      ctx.conn.userMessage("mute", {
        dest: findUser(ctx.conn, firstWord(args)[0]).id,
      });
    },
  },
  muteall: {
    description: "Mute everyone else",
    needs: ["op"],
    run: (ctx) => ctx.conn.userMessage("mute", { noecho: true }),
  },
  warn: {
    params: "user message",
    description: "Send a warning to a user",
    needs: ["op"],
    run(ctx, args) {
      const [who, text] = firstWord(args);
      if (!text) throw new CommandError("Usage: /warn user message");
      ctx.conn.userMessage("warning", {
        dest: findUser(ctx.conn, who).id,
        value: text,
      });
    },
  },
  wall: {
    params: "message",
    description: "Send a warning to everyone",
    needs: ["op"],
    run(ctx, args) {
      if (!args) throw new CommandError("Usage: /wall message");
      ctx.conn.userMessage("warning", { value: args });
    },
  },
};

/** True when `conn` may run `command`. */
export function allowed(
  conn: Pick<CommandConnection, "can">,
  command: Command,
): boolean {
  return (command.needs ?? []).every((p) => conn.can(p));
}

/** The `/help` text: the commands this user may run. */
export function helpText(conn: Pick<CommandConnection, "can">): string {
  return Object.entries(COMMANDS)
    .filter(([, c]) => allowed(conn, c))
    .map(([name, c]) =>
      `/${name}${c.params ? ` ${c.params}` : ""} — ${c.description}`
    )
    .join("\n");
}

/**
 * Runs one chat line. Lines without a leading `/` (or with `//`) are sent
 * as chat.
 *
 * @throws {CommandError} When the command is unknown, not allowed or misused.
 */
export function runLine(ctx: CommandContext, line: string): void {
  const text = line.trim();
  if (!text) return;
  if (!text.startsWith("/") || text.startsWith("//")) {
    ctx.conn.chat({ value: text.startsWith("//") ? text.slice(1) : text });
    return;
  }
  const [word, rest] = firstWord(text.slice(1));
  const name = word.toLowerCase();
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) throw new CommandError(`Unknown command /${word}; try /help`);
  if (!allowed(ctx.conn, command)) {
    throw new CommandError(`You are not allowed to use /${name}`);
  }
  command.run(ctx, rest);
}
