/**
 * The list of members: name, role badges, raised hand; activating a member
 * asks the caller for the actions to offer.
 *
 * @module
 */

import type { User } from "../protocol.ts";
import { el } from "./dom.ts";
import { icon } from "./icons.ts";

/** Options of {@link UserList}. */
export interface UserListOptions {
  /** Our own client id (listed first, marked "you"). */
  selfId: () => string;
  /** A member was clicked or activated with the keyboard. */
  onActivate: (user: User, button: HTMLElement) => void;
}

/** Renders members into a `<ul>`. */
export class UserList {
  readonly #list: HTMLElement;
  readonly #count: HTMLElement | null;
  readonly #options: UserListOptions;

  constructor(
    list: HTMLElement,
    count: HTMLElement | null,
    options: UserListOptions,
  ) {
    this.#list = list;
    this.#count = count;
    this.#options = options;
  }

  /** Redraws from the member map (cheap: groups are small). */
  render(users: ReadonlyMap<string, User>): void {
    const self = this.#options.selfId();
    const focused = (document.activeElement as HTMLElement | null)
      ?.dataset["userId"];
    const sorted = [...users.values()].sort((a, b) => {
      if (a.id === self) return -1;
      if (b.id === self) return 1;
      const ha = a.data["raisehand"] === true ? 0 : 1;
      const hb = b.data["raisehand"] === true ? 0 : 1;
      return ha - hb || a.username.localeCompare(b.username);
    });
    this.#list.replaceChildren(
      ...sorted.map((u) => this.#item(u, u.id === self)),
    );
    if (this.#count) this.#count.textContent = String(users.size);
    if (focused) {
      this.#list.querySelector<HTMLElement>(
        `[data-user-id="${CSS.escape(focused)}"]`,
      )?.focus();
    }
  }

  #item(u: User, isSelf: boolean): HTMLElement {
    const badges = el("span", { class: "user-badges" });
    if (u.data["muted"] === true) {
      badges.append(
        el(
          "span",
          { class: "user-muted", attrs: { title: "Microphone off" } },
          icon("micOff"),
        ),
      );
    }
    const hand = u.data["raisehand"] === true;
    if (hand) {
      badges.append(
        el(
          "span",
          { class: "hand", attrs: { title: "Hand raised" } },
          icon("hand"),
        ),
      );
    }
    const name = u.username || "(anonymous)";
    const role = roleOf(u.permissions);
    const label =
      `${name}${isSelf ? " (you)" : ""}${hand ? ", hand raised" : ""}` +
      `${u.data["muted"] === true ? ", microphone off" : ""}: actions`;
    const button = el(
      "button",
      {
        class: hand ? "user raised" : "user",
        attrs: {
          type: "button",
          "aria-haspopup": "menu",
          "aria-label": label,
          "data-user-id": u.id,
        },
      },
      el("span", {
        class: "user-avatar",
        text: name.slice(0, 1).toUpperCase(),
        attrs: { "aria-hidden": "true" },
      }),
      // The role goes under the name, which keeps the pane's width.
      el(
        "span",
        { class: "user-text" },
        el("span", {
          class: "user-name",
          text: isSelf ? `${name} (you)` : name,
          attrs: { title: name },
        }),
        ...role ? [el("span", { class: "role", text: role })] : [],
      ),
      badges,
    );
    button.addEventListener("click", () => this.#options.onActivate(u, button));
    return el("li", {}, button);
  }
}

/** The role shown under a member's name, or "" for none. */
function roleOf(permissions: readonly string[]): string {
  if (permissions.includes("system")) return "system";
  if (permissions.includes("op")) return "operator";
  if (permissions.includes("present")) return "presenter";
  return "";
}
