/**
 * Short notices in a live region (`#toasts`, polite; errors are alerts);
 * errors stay until dismissed.
 *
 * @module
 */

import { el } from "./dom.ts";
import { icon } from "./icons.ts";

/** Severity of a notice. */
export type ToastKind = "info" | "warning" | "error";

/** Shows `text` in the container `#toasts`. */
export function toast(text: string, kind: ToastKind = "info"): void {
  const box = document.getElementById("toasts");
  if (!box) return;
  const close = el("button", {
    class: "icon-button small",
    attrs: { type: "button", "aria-label": "Dismiss" },
  }, icon("close"));
  const t = el(
    "div",
    {
      class: `toast ${kind}`,
      // The container is a polite live region; errors interrupt.
      attrs: kind === "error" ? { role: "alert" } : {},
    },
    el("span", { text }),
    close,
  );
  close.addEventListener("click", () => t.remove());
  box.append(t);
  while (box.children.length > 4) box.firstElementChild?.remove();
  if (kind !== "error") {
    setTimeout(() => t.remove(), kind === "warning" ? 8000 : 4000);
  }
}
