/**
 * What the client does with each `usermessage` kind: a
 * table of small handlers. Server notices and moderation need `privileged`
 * (the server sets it for operators and itself); peer-to-peer file
 * transfer messages are handled by FileTransfers, not here.
 *
 * @module
 */

import {
  type Invitation,
  parseInvitation,
  parseInvitationList,
} from "./invitations.ts";
import type { UserMessageMessage } from "./protocol.ts";
import type { ToastKind } from "./ui/toast.ts";

/** What the handlers act on. */
export interface UserMessageContext {
  /** A line in the chat from the client itself. */
  system(text: string, kind?: "info" | "error"): void;
  toast(text: string, kind?: ToastKind): void;
  /** Clears all, one user's or one chat message. */
  clearChat(filter?: { id?: string; userId?: string }): void;
  /** An operator muted our microphone. */
  mute(): void;
  /** We are about to be disconnected; `why` is for the login page. */
  kicked(why: string): void;
  invitation(inv: Invitation): void;
  invitationList(list: Invitation[]): void;
}

type Handler = (m: UserMessageMessage, ctx: UserMessageContext) => void;

function text(m: UserMessageMessage): string {
  return typeof m.value === "string" ? m.value : "";
}

function notice(m: UserMessageMessage, ctx: UserMessageContext): void {
  if (!m.privileged) return;
  const t = text(m);
  // Trickled candidates may reach the server after it replaced or closed
  // their stream: a harmless race, not worth a notice.
  if (/^unknown stream/.test(t)) {
    console.info(`Server: ${t}`);
    return;
  }
  const line = m.source ? `${m.username || "Someone"}: ${t}` : t;
  ctx.toast(line, m.kind === "info" ? "info" : m.kind as ToastKind);
  ctx.system(line, m.kind === "error" ? "error" : "info");
}

function guarded(f: Handler): Handler {
  return (m, ctx) => {
    try {
      f(m, ctx);
    } catch (e) {
      ctx.system(e instanceof Error ? e.message : String(e), "error");
    }
  };
}

/** Handlers by kind; kinds not listed are ignored. */
export const USER_MESSAGE_HANDLERS: Readonly<Record<string, Handler>> = {
  error: notice,
  warning: notice,
  info: notice,
  kicked(m, ctx) {
    const why = text(m);
    ctx.kicked(
      `${
        m.username ? `${m.username} made you leave` : "You were made to leave"
      }${why ? `: ${why}` : ""}`,
    );
  },
  mute(m, ctx) {
    if (!m.privileged) return;
    ctx.mute();
    ctx.toast(
      `${m.username || "An operator"} muted your microphone`,
      "warning",
    );
  },
  clearchat(m, ctx) {
    if (!m.privileged) return;
    const v = m.value;
    if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      ctx.clearChat({
        ...(typeof o["id"] === "string" ? { id: o["id"] } : {}),
        ...(typeof o["userId"] === "string" ? { userId: o["userId"] } : {}),
      });
    } else {
      ctx.clearChat();
    }
  },
  token: guarded((m, ctx) => {
    if (!m.privileged) return;
    if (m.error) {
      ctx.system(`Cannot make the invitation: ${String(m.value)}`, "error");
      return;
    }
    ctx.invitation(parseInvitation(m.value));
  }),
  tokenlist: guarded((m, ctx) => {
    if (!m.privileged) return;
    ctx.invitationList(parseInvitationList(m.value));
  }),
  userinfo(m, ctx) {
    if (!m.privileged) return;
    const v = (m.value ?? {}) as Record<string, unknown>;
    ctx.system(
      `${String(v["username"] ?? "?")} connects from ${
        String(v["address"] ?? "an unknown address")
      }`,
    );
  },
};

/** Runs the handler for `m.kind`, if any. */
export function handleUserMessage(
  m: UserMessageMessage,
  ctx: UserMessageContext,
): void {
  if (Object.hasOwn(USER_MESSAGE_HANDLERS, m.kind)) {
    USER_MESSAGE_HANDLERS[m.kind]?.(m, ctx);
  }
}
