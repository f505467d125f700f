/**
 * The actions offered on a member, by the viewer's permissions: on another
 * member (message, file, moderation), on oneself (hand, group actions).
 *
 * @module
 */

import type { User } from "../protocol.ts";
import type { MenuItem } from "./menu.ts";

/** What the menu needs to know and do. */
export interface UserMenuContext {
  conn: { id: string; can(permission: string): boolean };
  hand: boolean;
  locked: boolean;
  recording: boolean;
  /** Runs a chat command line. */
  run: (line: string) => void;
  message: (user: User) => void;
  sendFile: (user: User) => void;
}

/** Items for `user` as seen by the viewer. */
export function userMenu(user: User, ctx: UserMenuContext): MenuItem[] {
  const can = (p: string) => ctx.conn.can(p);
  const items: MenuItem[] = [];
  const target = user.id;
  if (user.id === ctx.conn.id) {
    items.push({
      label: ctx.hand ? "Lower my hand" : "Raise my hand",
      action: () => ctx.run(ctx.hand ? "/unraise" : "/raise"),
    });
    if (can("op")) {
      items.push(
        ctx.locked
          ? { label: "Unlock the group", action: () => ctx.run("/unlock") }
          : { label: "Lock the group", action: () => ctx.run("/lock") },
      );
    }
    if (can("record")) {
      items.push(
        ctx.recording
          ? { label: "Stop recording", action: () => ctx.run("/unrecord") }
          : { label: "Start recording", action: () => ctx.run("/record") },
      );
    }
    if (can("token")) {
      items.push({
        label: "Make an invitation link",
        action: () => ctx.run("/invite"),
      });
    }
    if (can("op")) {
      items.push({
        label: "List subgroups",
        action: () => ctx.run("/subgroups"),
      });
      items.push({
        label: "Mute everyone else",
        action: () => ctx.run("/muteall"),
      });
      items.push({
        label: "Clear the chat",
        danger: true,
        action: () => ctx.run("/clear"),
      });
    }
    return items;
  }
  if (can("message")) {
    items.push({
      label: "Send a private message",
      action: () => ctx.message(user),
    });
  }
  if (!user.permissions.includes("system")) {
    items.push({
      label: "Send a file…",
      action: () => ctx.sendFile(user),
    });
  }
  if (can("op")) {
    const op = user.permissions.includes("op");
    const presents = user.permissions.includes("present");
    items.push(
      {
        label: op ? "Remove operator rights" : "Make operator",
        action: () => ctx.run(`/${op ? "unop" : "op"} ${target}`),
      },
      {
        label: presents ? "Stop them presenting" : "Allow them to present",
        action: () =>
          ctx.run(`/${presents ? "unpresent" : "present"} ${target}`),
      },
      {
        label: "Mute their microphone",
        action: () => ctx.run(`/mute ${target}`),
      },
      {
        label: "Show their address",
        action: () => ctx.run(`/identify ${target}`),
      },
      { label: "Kick", danger: true, action: () => ctx.run(`/kick ${target}`) },
    );
  }
  return items;
}
