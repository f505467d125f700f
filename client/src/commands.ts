/**
 * Chat commands, Galène's client's: lines starting with `/`. A table of small
 * handlers; each names the permissions it needs so `/help` lists only what
 * the user may run. No DOM: the interface's own actions arrive as callbacks.
 *
 * @module
 */

import {
  type Command,
  type CommandConnection,
  type CommandContext,
  CommandError,
  findUser,
  firstWord,
} from "./command.ts";
import { INVITATION_COMMANDS } from "./invitation_commands.ts";
import { SETTINGS_COMMANDS } from "./settings_commands.ts";

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
  replace: {
    description: "Publish your streams again (after a device change)",
    run: (ctx) => ctx.replace(),
  },
  "relay-test": {
    description: "Check that media can go through the TURN relay",
    run: (ctx) => ctx.relayTest(),
  },
  ...SETTINGS_COMMANDS,
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
  ...INVITATION_COMMANDS,
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
