/**
 * The actions offered on a chat message: reply privately, copy, and for
 * operators delete it, kick its sender or clear the chat.
 *
 * @module
 */

import type { User } from "../protocol.ts";
import type { ChatLine } from "./chat.ts";
import type { MenuItem } from "./menu.ts";

/** What the menu needs to know and do. */
export interface MessageMenuContext {
  selfId: string;
  users: ReadonlyMap<string, User>;
  can(permission: string): boolean;
  reply(user: User): void;
  copy(text: string): void;
  deleteMessage(id: string, userId: string): void;
  kick(user: User): void;
  clearAll(): void;
}

/** Items for `line` as seen by the viewer. */
export function messageMenu(
  line: ChatLine,
  ctx: MessageMenuContext,
): MenuItem[] {
  const m = line.message;
  const items: MenuItem[] = [];
  const sender = ctx.users.get(m.source);
  const other = sender && sender.id !== ctx.selfId ? sender : null;
  if (other && ctx.can("message")) {
    items.push({
      label: `Reply privately to ${other.username}`,
      action: () => ctx.reply(other),
    });
  }
  items.push({ label: "Copy text", action: () => ctx.copy(m.value) });
  if (!ctx.can("op")) return items;
  if (m.id && !line.private) {
    items.push({
      label: "Delete this message",
      action: () => ctx.deleteMessage(m.id, m.source),
    });
  }
  if (other) {
    items.push({
      label: `Kick ${other.username}`,
      danger: true,
      action: () => ctx.kick(other),
    });
  }
  items.push({
    label: "Clear the chat for everyone",
    danger: true,
    action: () => ctx.clearAll(),
  });
  return items;
}
