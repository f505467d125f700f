/**
 * The bridge from chat commands to a joined session: the connection, with
 * our own private messages echoed locally (the server does not echo
 * them), and the interface's actions.
 *
 * @module
 */

import {
  type CommandContext,
  CommandError,
  type CommandSettings,
} from "./command.ts";
import { runLine } from "./commands.ts";
import type { ServerConnection } from "./protocol.ts";
import type { ChatPane } from "./ui/chat.ts";

/** The interface actions commands can trigger. */
export interface CommandActions {
  leave(): void;
  renegotiate(): void;
  shareScreen(on: boolean): void;
  presentFile(): void;
  sendFile(userId: string): void;
  setHand(raised: boolean): void;
  replace(): void;
  relayTest(): void;
  settings: CommandSettings;
}

/** A CommandContext over `conn` that prints into `chat`. */
export function commandContext(
  conn: ServerConnection,
  chat: ChatPane,
  actions: CommandActions,
): CommandContext {
  return {
    conn: {
      id: conn.id,
      users: conn.users,
      can: (p) => conn.can(p),
      chat: (m) => {
        conn.chat(m);
        if (!m.dest) return;
        chat.add({
          message: {
            type: "chat",
            id: "",
            source: conn.id,
            username: conn.username,
            dest: m.dest,
            kind: m.kind ?? "",
            value: m.value,
            privileged: false,
            time: Date.now(),
          },
          private: {
            peer: conn.users.get(m.dest)?.username ?? "?",
            sent: true,
          },
        });
      },
      userMessage: (k, m) => conn.userMessage(k, m),
      groupAction: (k, v) => conn.groupAction(k, v),
      userAction: (k, d, v) => conn.userAction(k, d, v),
    },
    print: (t) => chat.system(t),
    now: () => Date.now(),
    ...actions,
  };
}

/**
 * Runs a typed line; a misused command or a failure to send is explained
 * in the chat rather than thrown.
 */
export function runCommandLine(
  conn: ServerConnection,
  chat: ChatPane,
  options: { actions: CommandActions; line: string },
): void {
  try {
    runLine(commandContext(conn, chat, options.actions), options.line);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    chat.system(
      e instanceof CommandError ? message : `Cannot send: ${message}`,
      "error",
    );
  }
}
