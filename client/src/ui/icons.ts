/**
 * Inline SVG icons (drawn for Nereid, 24×24, stroked with currentColor),
 * so the page needs no icon font and makes no outside request.
 *
 * @module
 */

const PATHS = {
  mic:
    "M12 3a3 3 0 0 1 3 3v6a3 3 0 0 1-6 0V6a3 3 0 0 1 3-3z M5 11a7 7 0 0 0 14 0 M12 18v3 M8 21h8",
  micOff:
    "M12 3a3 3 0 0 1 3 3v6a3 3 0 0 1-6 0V6a3 3 0 0 1 3-3z M5 11a7 7 0 0 0 14 0 M12 18v3 M8 21h8 M3 3l18 18",
  camera: "M3 7h12v10H3z M15 10l6-3v10l-6-3",
  cameraOff: "M3 7h12v10H3z M15 10l6-3v10l-6-3 M2 3l19 18",
  screen: "M3 4h18v12H3z M8 20h8 M12 16v4 M12 13V7 M9 10l3-3 3 3",
  hand:
    "M8 13V5.5a1.5 1.5 0 0 1 3 0V11 M11 10V4.5a1.5 1.5 0 0 1 3 0V11 M14 10.5V6a1.5 1.5 0 0 1 3 0v8a7 7 0 0 1-7 7h-.5A6.5 6.5 0 0 1 4 15.5l-1-3a1.5 1.5 0 0 1 2.6-1.4L8 14",
  users:
    "M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7z M2.5 20a6.5 6.5 0 0 1 13 0 M16 4.5a3.5 3.5 0 0 1 0 6.5 M18 14a6 6 0 0 1 3.5 6",
  chat: "M4 4h16v12H9l-5 4z M8 9h8 M8 12h5",
  settings:
    "M4 6h10 M18 6h2 M4 12h4 M12 12h8 M4 18h12 M20 18h0 M16 4v4 M10 10v4 M18 16v4",
  leave: "M14 4h5v16h-5 M10 8l-4 4 4 4 M6 12h10",
  fullscreen: "M4 9V4h5 M15 4h5v5 M20 15v5h-5 M9 20H4v-5",
  pip: "M3 5h18v14H3z M12 12h7v5h-7z",
  more: "M5 12h.01 M12 12h.01 M19 12h.01",
  send: "M4 12l16-8-6 16-2-7z M12 13l8-9",
  lock: "M6 11h12v9H6z M8.5 11V8a3.5 3.5 0 0 1 7 0v3",
  record: "M12 7a5 5 0 1 0 0 10 5 5 0 0 0 0-10z",
  close: "M6 6l12 12 M18 6L6 18",
  file: "M6 3h8l4 4v14H6z M14 3v4h4",
} as const;

/** Names of the icons. */
export type IconName = keyof typeof PATHS;

/** An `<svg>` for `name`, hidden from assistive technology (labels speak). */
export function icon(name: IconName): SVGSVGElement {
  // The HTML parser puts <svg> in the SVG namespace, so no namespace URL
  // needs to appear in the bundle.
  const template = document.createElement("template");
  template.innerHTML =
    `<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" ` +
    `focusable="false"><path d="${PATHS[name]}"/></svg>`;
  return template.content.firstElementChild as SVGSVGElement;
}
