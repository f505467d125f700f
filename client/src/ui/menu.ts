/**
 * A popup menu of actions, usable with the keyboard: arrows move, Enter or
 * Space acts, Escape closes and focus returns to what opened it.
 *
 * @module
 */

import { el } from "./dom.ts";

/** One entry. */
export interface MenuItem {
  label: string;
  action: () => void;
  /** Shown in the warning colour (kick, clear chat…). */
  danger?: boolean;
}

let openMenu: { close: () => void } | null = null;

/** Opens a menu next to `anchor` (or at a point); closes any other menu. */
export function showMenu(
  anchor: HTMLElement,
  title: string,
  items: MenuItem[],
  at?: { x: number; y: number },
): void {
  openMenu?.close();
  if (items.length === 0) return;
  const menu = el("div", {
    class: "popup-menu",
    attrs: { role: "menu", "aria-label": title },
  });
  menu.append(
    el("div", {
      class: "popup-title",
      text: title,
      attrs: { "aria-hidden": "true" },
    }),
  );
  const buttons = items.map((item) => {
    const b = el("button", {
      class: item.danger ? "menu-item danger" : "menu-item",
      text: item.label,
      attrs: { role: "menuitem", type: "button", tabindex: "-1" },
    });
    b.addEventListener("click", () => {
      close();
      item.action();
    });
    return b;
  });
  menu.append(...buttons);
  document.body.append(menu);

  const r = anchor.getBoundingClientRect();
  const x = at?.x ?? r.left;
  const y = at?.y ?? r.bottom + 4;
  const w = menu.offsetWidth;
  const h = menu.offsetHeight;
  menu.style.left = `${Math.max(4, Math.min(x, innerWidth - w - 4))}px`;
  menu.style.top = `${
    Math.max(4, y + h > innerHeight - 4 ? y - h - (at ? 0 : r.height + 8) : y)
  }px`;

  const focusAt = (i: number) =>
    buttons[(i + buttons.length) % buttons.length]?.focus();
  const onKey = (e: KeyboardEvent) => {
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === "ArrowDown") focusAt(i + 1);
    else if (e.key === "ArrowUp") focusAt(i - 1);
    else if (e.key === "Home") focusAt(0);
    else if (e.key === "End") focusAt(-1);
    else if (e.key === "Escape" || e.key === "Tab") close();
    else return;
    e.preventDefault();
  };
  const onOutside = (e: PointerEvent) => {
    if (!menu.contains(e.target as Node)) close(false);
  };
  function close(refocus = true) {
    if (openMenu !== handle) return;
    openMenu = null;
    menu.remove();
    document.removeEventListener("pointerdown", onOutside, true);
    if (refocus) anchor.focus();
  }
  const handle = { close: () => close(false) };
  openMenu = handle;
  menu.addEventListener("keydown", onKey);
  document.addEventListener("pointerdown", onOutside, true);
  focusAt(0);
}
