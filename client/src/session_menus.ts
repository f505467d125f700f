/**
 * Opens the popup menus of a joined session: on a member (user list) and on
 * a chat message, with the actions the viewer's permissions allow.
 *
 * @module
 */

import type { ServerConnection, User } from "./protocol.ts";
import type { ChatLine, ChatPane } from "./ui/chat.ts";
import { copyText } from "./ui/clipboard.ts";
import { showMenu } from "./ui/menu.ts";
import { messageMenu } from "./ui/message_menu.ts";
import { userMenu } from "./ui/user_menu.ts";

/** What the menus act on. */
export interface SessionMenuDeps {
  conn: ServerConnection;
  chat: ChatPane;
  /** Runs a chat command line. */
  run: (line: string) => void;
  /** Lets the user pick a file and sends it to `userId`. */
  sendFile: (userId: string) => void;
  handRaised: () => boolean;
  recording: () => boolean;
}

/** Opens the menu of `user` under `button`. */
export function openUserMenu(
  user: User,
  button: HTMLElement,
  d: SessionMenuDeps,
): void {
  const items = userMenu(user, {
    conn: d.conn,
    hand: d.handRaised(),
    locked: d.conn.status.locked === true,
    recording: d.recording(),
    run: d.run,
    message: (u) => d.chat.prefill(`/msg ${u.username} `),
    sendFile: (u) => d.sendFile(u.id),
  });
  showMenu(button, user.username || "Anonymous", items);
}

/** Opens the menu of a chat message at `anchor` (or a pointer position). */
export function openMessageMenu(
  line: ChatLine,
  anchor: HTMLElement,
  d: SessionMenuDeps & { at?: { x: number; y: number } | undefined },
): void {
  const conn = d.conn;
  const items = messageMenu(line, {
    selfId: conn.id,
    users: conn.users,
    can: (p) => conn.can(p),
    reply: (u) => d.chat.prefill(`/msg ${u.username} `),
    copy: (text) => copyText(text),
    deleteMessage: (id, userId) =>
      conn.groupAction("clearchat", { id, userId }),
    kick: (u) => conn.userAction("kick", u.id),
    clearAll: () => conn.groupAction("clearchat"),
  });
  const from = line.message.username || "Anonymous";
  showMenu(anchor, `Message from ${from}`, items, d.at);
}
