/**
 * The top bar: title and badges, the call controls (Enable, Mute, Share
 * screen, Raise hand, Disconnect), the pane toggles with the unread count,
 * and the caption line over the videos.
 *
 * @module
 */

import { byId, el } from "./dom.ts";
import { icon, type IconName } from "./icons.ts";

/** What the controls do. */
export interface TopBarActions {
  enable: () => void;
  mute: () => void;
  share: () => void;
  hand: () => void;
  leave: () => void;
}

/** State the controls show. */
export interface TopBarState {
  canPresent: boolean;
  publishing: boolean;
  muted: boolean;
  sharing: boolean;
  hand: boolean;
}

/** Phones: panes open over the videos, one at a time. */
const NARROW = "(max-width: 760px)";
/** Small laptops: People or Chat beside the videos, not both. */
const ONE_PANE = "(max-width: 1100px)";

function setButton(b: HTMLButtonElement, name: IconName, label: string): void {
  const text = b.querySelector(".control-label");
  if (text) text.textContent = label;
  b.querySelector("svg")?.remove();
  b.prepend(icon(name));
  b.title = label;
}

/** The bar's controls and pane toggles. */
export class TopBar {
  readonly #enable = byId("enable-button", HTMLButtonElement);
  readonly #mute = byId("mute-button", HTMLButtonElement);
  readonly #share = byId("share-button", HTMLButtonElement);
  readonly #hand = byId("hand-button", HTMLButtonElement);
  readonly #users = byId("users-button", HTMLButtonElement);
  readonly #chat = byId("chat-button", HTMLButtonElement);
  readonly #leave = byId("disconnect-button", HTMLButtonElement);
  readonly #unread = byId("unread", HTMLElement);
  readonly #caption = byId("caption", HTMLElement);
  readonly #aborts = new AbortController();
  #captionTimer: ReturnType<typeof setTimeout> | undefined;
  #unreadCount = 0;

  constructor(actions: TopBarActions) {
    const signal = this.#aborts.signal;
    this.#enable.addEventListener("click", actions.enable, { signal });
    this.#mute.addEventListener("click", actions.mute, { signal });
    this.#share.addEventListener("click", actions.share, { signal });
    this.#hand.addEventListener("click", actions.hand, { signal });
    this.#leave.addEventListener("click", actions.leave, { signal });
    setButton(this.#leave, "leave", "Disconnect");
    setButton(this.#users, "users", "People");
    setButton(this.#chat, "chat", "Chat");
    byId("menu-button", HTMLButtonElement).replaceChildren(icon("settings"));
    byId("side-menu-close", HTMLButtonElement).replaceChildren(icon("close"));
    byId("chat-send", HTMLButtonElement).replaceChildren(icon("send"));
    this.#users.addEventListener("click", () => this.#togglePane("users"), {
      signal,
    });
    this.#chat.addEventListener("click", () => this.#togglePane("chat"), {
      signal,
    });
    // Phones start with the videos only; panes open over them. After a
    // reconnection the panes stay as the user left them.
    const view = byId("conference-view", HTMLElement);
    if (!view.dataset["panes"]) {
      view.dataset["panes"] = "set";
      this.#showPane("users", !matchMedia(ONE_PANE).matches);
      this.#showPane("chat", !matchMedia(NARROW).matches);
    }
    // A window narrowed with both panes open keeps the chat.
    matchMedia(ONE_PANE).addEventListener("change", (e) => {
      if (e.matches && !byId("chat-pane", HTMLElement).hidden) {
        this.#showPane("users", false);
      }
    }, { signal });
  }

  /** Shows the group's name. */
  title(text: string): void {
    const title = byId("group-title", HTMLElement);
    title.textContent = text;
    // A long name is cut with an ellipsis: the whole of it on hover.
    title.title = text;
    document.title = `${text} · Nereid`;
  }

  /** Shows the locked and recording badges. */
  badges(state: { locked: boolean; recording: boolean }): void {
    const box = byId("group-badges", HTMLElement);
    const list: HTMLElement[] = [];
    if (state.locked) {
      list.push(el("span", { class: "badge", text: "Locked" }, icon("lock")));
    }
    if (state.recording) {
      list.push(
        el("span", { class: "badge rec", text: "Recording" }, icon("record")),
      );
    }
    box.replaceChildren(...list);
  }

  /** Updates the controls. */
  update(s: TopBarState): void {
    setButton(
      this.#enable,
      s.publishing ? "cameraOff" : "camera",
      s.publishing ? "Disable" : "Enable",
    );
    this.#enable.hidden = !s.canPresent;
    this.#enable.classList.toggle("active", s.publishing);
    setButton(
      this.#mute,
      s.muted ? "micOff" : "mic",
      s.muted ? "Unmute" : "Mute",
    );
    this.#mute.setAttribute("aria-pressed", String(s.muted));
    this.#mute.hidden = !s.canPresent;
    this.#mute.classList.toggle("warn", s.muted);
    setButton(
      this.#share,
      "screen",
      s.sharing ? "Stop sharing" : "Share screen",
    );
    this.#share.setAttribute("aria-pressed", String(s.sharing));
    this.#share.classList.toggle("active", s.sharing);
    this.#share.hidden = !s.canPresent ||
      !navigator.mediaDevices?.getDisplayMedia;
    setButton(this.#hand, "hand", s.hand ? "Lower hand" : "Raise hand");
    this.#hand.setAttribute("aria-pressed", String(s.hand));
    this.#hand.classList.toggle("active", s.hand);
  }

  /** Counts a chat message when the chat is hidden. */
  unread(): void {
    if (!byId("chat-pane", HTMLElement).hidden) return;
    this.#unreadCount++;
    this.#unread.textContent = String(this.#unreadCount);
    this.#unread.hidden = false;
  }

  /** Shows a caption (subtitles) over the videos for a few seconds. */
  caption(text: string): void {
    this.#caption.textContent = text;
    this.#caption.hidden = false;
    clearTimeout(this.#captionTimer);
    this.#captionTimer = setTimeout(() => (this.#caption.hidden = true), 6000);
  }

  /** Removes the listeners (a new session makes a new bar). */
  dispose(): void {
    this.#aborts.abort();
    clearTimeout(this.#captionTimer);
  }

  #togglePane(which: "users" | "chat"): void {
    const pane = byId(`${which}-pane`, HTMLElement);
    const open = pane.hidden === true;
    if (open && matchMedia(ONE_PANE).matches) {
      this.#showPane(which === "users" ? "chat" : "users", false);
    }
    this.#showPane(which, open);
    if (open && which === "chat") {
      byId("chat-input", HTMLTextAreaElement).focus();
    }
  }

  #showPane(which: "users" | "chat", open: boolean): void {
    byId(`${which}-pane`, HTMLElement).hidden = !open;
    const button = which === "users" ? this.#users : this.#chat;
    button.setAttribute("aria-expanded", String(open));
    button.classList.toggle("active", open);
    if (which === "chat" && open) {
      this.#unreadCount = 0;
      this.#unread.hidden = true;
    }
    byId("conference-view", HTMLElement).classList.toggle(
      "pane-open",
      !byId("users-pane", HTMLElement).hidden ||
        !byId("chat-pane", HTMLElement).hidden,
    );
  }
}
