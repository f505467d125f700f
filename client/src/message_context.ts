/**
 * The session side of `usermessage` handling: what the handlers in
 * `user_messages.ts` do to the chat, the toasts, the microphone and the
 * end of the session.
 *
 * @module
 */

import type { Invitation } from "./invitations.ts";
import type { ServerConnection } from "./protocol.ts";
import type { UserMessageContext } from "./user_messages.ts";
import type { ChatPane } from "./ui/chat.ts";
import {
  invitationCard,
  type InvitationCardOptions,
  invitationListCard,
} from "./ui/invitation_cards.ts";
import { toast } from "./ui/toast.ts";

/** What the handlers reach. */
export interface MessageContextDeps {
  conn: ServerConnection;
  chat: ChatPane;
  /** Runs a chat command line (Revoke buttons run `/revoke`). */
  run: (line: string) => void;
  mute: () => void;
  kicked: (why: string) => void;
  /** Counts an unread item when the chat is hidden. */
  unread: () => void;
}

/** A UserMessageContext over a session's interface. */
export function messageContext(d: MessageContextDeps): UserMessageContext {
  const cards = (): InvitationCardOptions => ({
    origin: location.origin,
    group: d.conn.group,
    now: Date.now(),
    ...(d.conn.can("op") && d.conn.can("token")
      ? { onRevoke: (inv: Invitation) => d.run(`/revoke ${inv.token}`) }
      : {}),
  });
  return {
    system: (text, kind) => d.chat.system(text, kind),
    toast,
    clearChat: (filter) => d.chat.clear(filter),
    mute: d.mute,
    kicked: d.kicked,
    invitation: (inv) => {
      d.chat.card(invitationCard(inv, cards()));
      d.unread();
    },
    invitationList: (list) => {
      d.chat.card(invitationListCard(list, cards()));
      d.unread();
    },
  };
}
