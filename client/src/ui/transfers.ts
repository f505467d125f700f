/**
 * File transfers shown in the chat log: an invitation with Accept and
 * Decline, a progress bar with Cancel, and a download link when done.
 *
 * @module
 */

import type { FileTransfers, Transfer } from "../file_transfer.ts";
import { el } from "./dom.ts";

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Keeps one card per transfer in `log` up to date. */
export class TransferCards {
  readonly #log: HTMLElement;
  readonly #transfers: FileTransfers;
  readonly #cards = new Map<string, HTMLElement>();

  constructor(log: HTMLElement, transfers: FileTransfers) {
    this.#log = log;
    this.#transfers = transfers;
    transfers.on("update", (t) => this.#render(t));
  }

  #render(t: Transfer): void {
    let card = this.#cards.get(t.id);
    if (!card) {
      card = el("li", {
        class: "msg transfer",
        attrs: { "data-transfer": t.id },
      });
      this.#cards.set(t.id, card);
      this.#log.append(card);
      this.#log.scrollTop = this.#log.scrollHeight;
    }
    const title = t.up
      ? `Sending ${t.name} (${size(t.size)}) to ${t.username}`
      : `${t.username} sends you ${t.name} (${size(t.size)})`;
    const parts: HTMLElement[] = [el("p", { class: "msg-body", text: title })];
    const button = (label: string, action: () => void, cls = "secondary") => {
      const b = el("button", {
        class: cls,
        text: label,
        attrs: { type: "button" },
      });
      b.addEventListener("click", action);
      return b;
    };
    switch (t.state) {
      case "invited":
        parts.push(el(
          "div",
          { class: "transfer-actions" },
          button("Accept", () => {
            this.#transfers.accept(t).catch((e) =>
              this.#transfers.cancel(t, String(e))
            );
          }, "primary"),
          button("Decline", () => this.#transfers.cancel(t, "declined")),
        ));
        break;
      case "inviting":
      case "connecting":
      case "transferring": {
        const progress = el("progress", {
          attrs: {
            max: String(Math.max(1, t.size)),
            value: String(t.transferred),
            "aria-label": `Progress of ${t.name}`,
          },
        });
        const note = t.state === "inviting"
          ? "Waiting for them to accept…"
          : `${size(t.transferred)} of ${size(t.size)}`;
        parts.push(
          progress,
          el(
            "div",
            { class: "transfer-actions" },
            el("span", { class: "muted", text: note }),
            button("Cancel", () => this.#transfers.cancel(t)),
          ),
        );
        break;
      }
      case "done":
        if (t.blob) {
          const url = URL.createObjectURL(t.blob);
          parts.push(
            el("a", {
              class: "download",
              text: `Save ${t.name}`,
              attrs: { href: url, download: t.name },
            }),
          );
        } else {
          parts.push(el("p", { class: "muted", text: "Sent." }));
        }
        break;
      case "cancelled":
        parts.push(
          el("p", {
            class: "muted",
            text: `Cancelled${
              t.reason && t.reason !== "cancelled" ? `: ${t.reason}` : ""
            }.`,
          }),
        );
        break;
    }
    card.replaceChildren(...parts);
  }
}
