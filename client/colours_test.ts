// Contrast of the page's colour pairs (WCAG 2.2, 1.4.3 text and 1.4.11
// non-text), in both colour schemes, read from the CSS custom properties
// of common.css and galene.css so that a palette change is checked too.

import assert from "node:assert/strict";

type Palette = Map<string, string>;

async function palettes(): Promise<{ light: Palette; dark: Palette }> {
  const light: Palette = new Map();
  const dark: Palette = new Map();
  for (const file of ["common.css", "galene.css"]) {
    const css = await Deno.readTextFile(new URL(file, import.meta.url));
    const darkStart = css.indexOf("@media (prefers-color-scheme: dark)");
    // The first :root is the light scheme; the dark one follows the media
    // query (each file has at most one of each).
    const lightBlock = /:root\s*{([^}]*)}/.exec(css)?.[1] ?? "";
    const darkBlock = darkStart < 0
      ? ""
      : /:root\s*{([^}]*)}/.exec(css.slice(darkStart))?.[1] ?? "";
    for (
      const [block, into] of [[lightBlock, light], [darkBlock, dark]] as const
    ) {
      for (const m of block.matchAll(/(--[\w-]+):\s*(#[0-9a-f]{6})\b/gi)) {
        into.set(m[1]!, m[2]!.toLowerCase());
      }
    }
  }
  for (const [k, v] of light) if (!dark.has(k)) dark.set(k, v);
  return { light, dark };
}

function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

function ratio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

// [foreground, background, minimum]: 4.5 for text, 3 for component edges
// and focus rings. Literal colours are written as they are in the CSS.
const PAIRS: [string, string, number][] = [
  ["--text", "--bg", 4.5],
  ["--text", "--surface", 4.5],
  ["--muted", "--surface", 4.5],
  ["--muted", "--bg", 4.5],
  ["--accent", "--surface", 4.5],
  ["--accent-text", "--accent", 4.5],
  ["--error", "--surface", 4.5],
  ["--badge-text", "--badge-bg", 4.5],
  ["--active-text", "--active-bg", 4.5],
  ["--warn-text", "--warn-bg", 4.5],
  ["--danger-text", "--danger", 4.5],
  ["--on-stage", "--stage", 4.5],
  ["--on-stage-muted", "--stage", 4.5],
  ["--on-stage", "--tile", 4.5],
  ["--bg", "--text", 4.5],
  ["--focus", "--surface", 3],
  ["--focus", "--bg", 3],
  ["--focus", "--active-bg", 3],
  ["--field-border", "--surface", 3],
  ["--speaking", "--stage", 3],
  ["#ffffff", "--danger", 4.5],
];

Deno.test("every text and control colour pair has enough contrast in both schemes", async () => {
  const { light, dark } = await palettes();
  const failures: string[] = [];
  for (const [scheme, p] of [["light", light], ["dark", dark]] as const) {
    for (const [fg, bg, min] of PAIRS) {
      const a = fg.startsWith("#") ? fg : p.get(fg);
      const b = bg.startsWith("#") ? bg : p.get(bg);
      assert.ok(a && b, `${scheme}: ${fg} or ${bg} is not defined`);
      const r = ratio(a, b);
      if (r < min) {
        failures.push(
          `${scheme}: ${fg} on ${bg} is ${r.toFixed(2)}:1 < ${min}`,
        );
      }
    }
  }
  assert.deepEqual(failures, []);
});
