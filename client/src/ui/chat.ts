/**
 * The chat pane: a log of messages with time and sender (private ones
 * marked, `/me` as actions), a menu per message, and the input line.
 *
 * @module
 */

import type { ChatMessage } from "../protocol.ts";
import { el } from "./dom.ts";
import { icon } from "./icons.ts";

/** How a message relates to us. */
export interface ChatLine {
  message: ChatMessage;
  /** Private message: the other party's name and whether we sent it. */
  private?: { peer: string; sent: boolean };
}

/** Options of {@link ChatPane}. */
export interface ChatPaneOptions {
  /** A line was submitted (chat or command). */
  onLine: (text: string) => void;
  /** The menu of a message was asked for. */
  onMenu: (
    line: ChatLine,
    anchor: HTMLElement,
    at?: { x: number; y: number },
  ) => void;
  /** Aborting it removes the form's listeners. */
  signal: AbortSignal;
}

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]]/g;

/** Text with URLs turned into links that open a new tab. */
export function linkify(text: string): (string | HTMLElement)[] {
  const out: (string | HTMLElement)[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_PATTERN)) {
    out.push(text.slice(last, m.index));
    out.push(
      el("a", {
        text: m[0],
        attrs: { href: m[0], target: "_blank", rel: "noopener noreferrer" },
      }),
    );
    last = m.index + m[0].length;
  }
  out.push(text.slice(last));
  return out;
}

function clock(t: number): string {
  return new Date(t).toLocaleTimeString([], {
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** The chat log and input. */
export class ChatPane {
  readonly #log: HTMLElement;
  readonly #input: HTMLTextAreaElement;
  readonly #options: ChatPaneOptions;
  #last: { source: string; time: number; private: boolean } | null = null;

  constructor(
    log: HTMLElement,
    form: HTMLFormElement,
    input: HTMLTextAreaElement,
    options: ChatPaneOptions,
  ) {
    this.#log = log;
    this.#input = input;
    this.#options = options;
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#submit();
    }, { signal: options.signal });
    input.addEventListener("keydown", (e) => {
      // Enter sends, Shift+Enter makes a new line, as in most chat apps.
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.#submit();
      }
    }, { signal: options.signal });
    log.replaceChildren();
    // One tab stop for the whole log (the newest message unless the user
    // moved), arrows move between messages: 500 tab stops would trap the
    // keyboard.
    log.addEventListener("keydown", (e) => this.#onLogKey(e), {
      signal: options.signal,
    });
  }

  /** Appends an element made elsewhere (transfers, invitations). */
  card(item: HTMLElement): void {
    this.#last = null;
    this.#append(item);
  }

  /** Puts text in the input and focuses it (reply, edit). */
  prefill(text: string): void {
    this.#input.value = text;
    this.#input.focus();
    this.#input.setSelectionRange(text.length, text.length);
  }

  /** Appends a message. */
  add(line: ChatLine): void {
    const m = line.message;
    const isPrivate = line.private !== undefined;
    const last = this.#last;
    const grouped = last !== null && last.source === m.source && !isPrivate &&
      !last.private &&
      m.kind !== "me" && m.time - last.time < 120_000;
    this.#last = m.kind === "me"
      ? null
      : { source: m.source, time: m.time, private: isPrivate };

    const item = el("li", {
      class: `msg${isPrivate ? " private" : ""}${m.kind === "me" ? " me" : ""}${
        grouped ? " grouped" : ""
      }`,
      attrs: { tabindex: "-1", "data-id": m.id, "data-source": m.source },
    });
    const who = m.username || "Anonymous";
    const more = el("button", {
      class: "icon-button small msg-more",
      attrs: {
        type: "button",
        "aria-label": `Actions on the message from ${who}`,
        "aria-haspopup": "menu",
        // Reached through the message (Enter), not as a tab stop of its own.
        tabindex: "-1",
      },
    }, icon("more"));
    const time = el("time", {
      class: "msg-time",
      text: clock(m.time),
      attrs: { datetime: new Date(m.time).toISOString() },
    });
    if (m.kind === "me") {
      item.append(
        el("p", { class: "msg-body" }, `* ${who} `, ...linkify(m.value), time),
        more,
      );
    } else {
      if (!grouped) {
        const header = el(
          "p",
          { class: "msg-header" },
          el("span", { class: "msg-from", text: who }),
        );
        if (line.private) {
          header.append(el("span", {
            class: "msg-private",
            text: line.private.sent
              ? `private to ${line.private.peer}`
              : "private",
          }));
        }
        header.append(time);
        item.append(header);
      } else {
        item.append(
          el("span", {
            class: "visually-hidden",
            text: `${who}, ${clock(m.time)}: `,
          }),
        );
      }
      item.append(el("p", { class: "msg-body" }, ...linkify(m.value)), more);
    }
    more.addEventListener("click", () => this.#options.onMenu(line, more));
    item.addEventListener("dblclick", (e) => {
      if ((e.target as HTMLElement).closest("a, button")) return;
      this.#options.onMenu(line, item, { x: e.clientX, y: e.clientY });
    });
    item.addEventListener("keydown", (e) => {
      if (e.target !== item) return;
      if (
        e.key === "Enter" || e.key === "ContextMenu" ||
        (e.shiftKey && e.key === "F10")
      ) {
        e.preventDefault();
        this.#options.onMenu(line, more);
      }
    });
    item.addEventListener("focus", () => this.#rove(item));
    this.#append(item);
  }

  /** Appends a notice from the client itself (help, errors, system). */
  system(text: string, kind: "info" | "error" = "info"): void {
    this.#last = null;
    this.#append(
      el(
        "li",
        { class: `msg system ${kind}` },
        el("p", { class: "msg-body" }, ...linkify(text)),
      ),
    );
  }

  /** Removes messages: all, one user's, or one. */
  clear(filter: { userId?: string; id?: string } = {}): void {
    this.#last = null;
    for (const item of [...this.#log.querySelectorAll<HTMLElement>("li.msg")]) {
      if (filter.id && item.dataset["id"] !== filter.id) continue;
      if (filter.userId && item.dataset["source"] !== filter.userId) continue;
      item.remove();
    }
    const rest = this.#messages();
    if (!rest.some((m) => m.tabIndex === 0) && rest.length) {
      this.#rove(rest[rest.length - 1]!);
    }
  }

  #messages(): HTMLElement[] {
    return [...this.#log.querySelectorAll<HTMLElement>("li.msg[tabindex]")];
  }

  #onLogKey(e: KeyboardEvent): void {
    const items = this.#messages();
    const i = items.indexOf(e.target as HTMLElement);
    if (i < 0) return;
    const to = e.key === "ArrowDown"
      ? i + 1
      : e.key === "ArrowUp"
      ? i - 1
      : e.key === "Home"
      ? 0
      : e.key === "End"
      ? items.length - 1
      : null;
    if (to === null) return;
    e.preventDefault();
    const next = items[Math.max(0, Math.min(items.length - 1, to))];
    if (next) this.#rove(next).focus();
  }

  #rove(item: HTMLElement): HTMLElement {
    for (const other of this.#log.querySelectorAll("li.msg[tabindex='0']")) {
      other.setAttribute("tabindex", "-1");
    }
    item.setAttribute("tabindex", "0");
    return item;
  }

  #append(item: HTMLElement): void {
    const log = this.#log;
    if (
      item.hasAttribute("tabindex") && !log.contains(document.activeElement)
    ) {
      this.#rove(item);
    }
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(item);
    while (log.children.length > 500) log.firstElementChild?.remove();
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  #submit(): void {
    const text = this.#input.value;
    if (!text.trim()) return;
    this.#input.value = "";
    this.#options.onLine(text);
  }
}
