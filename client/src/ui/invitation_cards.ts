/**
 * Invitations shown in the chat: the card for a new or edited invitation
 * (its link in a read-only field and a Copy button) and the readable list
 * `/listtokens` asks for, each entry with Copy link and, for operators,
 * Revoke.
 *
 * @module
 */

import {
  describeInvitation,
  type Invitation,
  invitationLink,
  invitationState,
} from "../invitations.ts";
import { copyText } from "./clipboard.ts";
import { el } from "./dom.ts";

/** What the cards need. */
export interface InvitationCardOptions {
  /** `https://host`, for the links. */
  origin: string;
  group: string;
  now: number;
  /** Offers Revoke when set (operators holding `token`). */
  onRevoke?: (inv: Invitation) => void;
}

function linkRow(inv: Invitation, o: InvitationCardOptions): HTMLElement {
  const link = invitationLink(o.origin, inv.group || o.group, inv.token);
  const field = el("input", {
    class: "invitation-link",
    attrs: {
      type: "text",
      readonly: "",
      value: link,
      "aria-label": `Invitation link ${inv.token}`,
      "data-token": inv.token,
    },
  });
  field.addEventListener("focus", () => field.select());
  const copy = el("button", {
    class: "secondary",
    text: "Copy link",
    attrs: {
      type: "button",
      "aria-label": `Copy invitation link ${inv.token}`,
    },
  });
  copy.addEventListener("click", () => {
    copyText(link, { field, what: "Invitation link" });
  });
  const row = el("div", { class: "invitation-row" }, field, copy);
  if (o.onRevoke && invitationState(inv, o.now) !== "expired") {
    const revoke = el("button", {
      class: "secondary danger",
      text: "Revoke",
      attrs: { type: "button", "aria-label": `Revoke invitation ${inv.token}` },
    });
    revoke.addEventListener("click", () => o.onRevoke?.(inv));
    row.append(revoke);
  }
  return row;
}

/** The card for one invitation the server just made or changed. */
export function invitationCard(
  inv: Invitation,
  o: InvitationCardOptions,
): HTMLElement {
  const state = invitationState(inv, o.now);
  const title = state === "expired"
    ? "Invitation revoked"
    : "Invitation link — send it to your guest";
  return el(
    "li",
    { class: `msg system invitation ${state}` },
    el("p", { class: "msg-header" }, el("strong", { text: title })),
    el("p", { class: "msg-body", text: describeInvitation(inv, o.now) }),
    ...(state === "expired" ? [] : [linkRow(inv, o)]),
  );
}

/** The readable answer to `/listtokens`. */
export function invitationListCard(
  list: readonly Invitation[],
  o: InvitationCardOptions,
): HTMLElement {
  const heading = list.length === 0
    ? "This group has no invitations"
    : `Invitations of this group (${list.length})`;
  const items = list.map((inv) =>
    el(
      "li",
      {
        class: `invitation-item ${invitationState(inv, o.now)}`,
        attrs: { "data-token": inv.token },
      },
      el("p", { class: "msg-body", text: describeInvitation(inv, o.now) }),
      linkRow(inv, o),
    )
  );
  return el(
    "li",
    { class: "msg system invitation-list" },
    el("p", { class: "msg-header" }, el("strong", { text: heading })),
    ...(items.length
      ? [el("ul", { class: "invitation-items" }, ...items)]
      : []),
  );
}
