// The group page's layout in a real Chromium: at a laptop (1280×800), a small
// laptop (1024×768) and a phone (390×844), with Settings open and closed and
// with 1, 3 and 6 video tiles, every toolbar button lies whole inside the
// viewport, nothing scrolls sideways, no video is cropped or stretched, and
// neither the group's title nor a member's name is cut short. The desktop
// page is narrowed during the call, as a person resizing the window would.
// Screenshots of every case go to tests/screenshots/layout-*.png.

import assert from "node:assert/strict";
import {
  login,
  open,
  type Person,
  say,
  SCREENSHOTS,
  tilesPlaying,
} from "./browser.ts";
import { startTestServer } from "../support/test_server.ts";
import { eventually } from "../support/wait_for.ts";
import { DEMO_GROUP } from "../support/groups.ts";
import { launchBrowser } from "../support/browser.ts";

const shot = (name: string) => new URL(name, SCREENSHOTS).pathname;

interface Size {
  name: string;
  width: number;
  height: number;
}

const DESKTOP: Size[] = [
  { name: "1280x800", width: 1280, height: 800 },
  { name: "1024x768", width: 1024, height: 768 },
];
const PHONE: Size = { name: "390x844", width: 390, height: 844 };

/**
 * What is wrong with the page's layout now, as sentences (empty when all is
 * well). Runs in the page: boxes are CSS pixels of the viewport.
 */
function layoutProblems(): string[] {
  const problems: string[] = [];
  const vw = document.documentElement.clientWidth;
  const vh = document.documentElement.clientHeight;
  const r = (e: Element) => e.getBoundingClientRect();
  const fmt = (b: DOMRect) =>
    `${Math.round(b.left)},${Math.round(b.top)} ${Math.round(b.width)}×${
      Math.round(b.height)
    }`;
  const shown = (e: Element) => (e as HTMLElement).offsetParent !== null;
  const inside = (
    b: DOMRect,
    o: { l: number; t: number; r: number; b: number },
  ) =>
    b.left >= o.l - 0.5 && b.top >= o.t - 0.5 && b.right <= o.r + 0.5 &&
    b.bottom <= o.b + 0.5;
  const viewport = { l: 0, t: 0, r: vw, b: vh };

  for (const e of [document.documentElement, document.body]) {
    if (e.scrollWidth > vw) {
      problems.push(`${e.tagName} is ${e.scrollWidth} px wide in ${vw}`);
    }
  }
  const buttons = document.querySelectorAll(
    "#menu-button, #conference-view .controls button",
  );
  for (const b of buttons) {
    if (!shown(b)) continue;
    const box = r(b);
    if (!inside(box, viewport)) {
      problems.push(`#${b.id} at ${fmt(box)} is not inside ${vw}×${vh}`);
    }
    // A label shown must be shown whole, inside its button.
    const label = b.querySelector(".control-label");
    if (label && getComputedStyle(label).clipPath === "none") {
      const lb = r(label);
      if (
        !inside(lb, { l: box.left, t: box.top, r: box.right, b: box.bottom }) ||
        label.scrollWidth > Math.ceil(lb.width)
      ) {
        problems.push(`#${b.id}'s label "${label.textContent}" is cut`);
      }
    }
  }
  const title = document.getElementById("group-title")!;
  if (title.scrollWidth > title.clientWidth) {
    problems.push(
      `the title "${title.textContent}" is cut to ${title.clientWidth} px`,
    );
  }
  for (const n of document.querySelectorAll("#users-pane .user-name")) {
    if (shown(n) && n.scrollWidth > n.clientWidth) {
      problems.push(`the name "${n.textContent}" is cut`);
    }
  }
  const area = document.getElementById("video-area")!;
  const a = r(area);
  if (!inside(a, viewport)) {
    problems.push(`the video area ${fmt(a)} sticks out`);
  }
  // A grid that scrolls may reach below the area, never beside it.
  const scrolls = area.classList.contains("scrolls");
  for (const tile of area.querySelectorAll(".tile")) {
    const t = r(tile);
    const name = tile.querySelector(".tile-name")?.textContent;
    if (
      !inside(t, {
        l: a.left,
        t: scrolls ? -Infinity : a.top,
        r: a.right,
        b: scrolls ? Infinity : a.bottom,
      })
    ) {
      problems.push(`the tile of ${name} at ${fmt(t)} is outside ${fmt(a)}`);
    }
    const v = tile.querySelector("video")!;
    if (v.videoWidth === 0 || tile.classList.contains("no-video")) continue;
    // The picture as drawn: object-fit scales it into the element's box.
    const box = r(v);
    const fit = getComputedStyle(v).objectFit;
    const sx = box.width / v.videoWidth;
    const sy = box.height / v.videoHeight;
    const s = fit === "cover"
      ? Math.max(sx, sy)
      : fit === "none"
      ? 1
      : Math.min(sx, sy);
    const [pw, ph] = fit === "fill"
      ? [box.width, box.height]
      : [v.videoWidth * s, v.videoHeight * s];
    const want = v.videoWidth / v.videoHeight;
    if (Math.abs(pw / ph / want - 1) > 0.02) {
      problems.push(`the video of ${name} is stretched to ${pw}×${ph}`);
    }
    if (
      pw > box.width + 1 || ph > box.height + 1 || !inside(box, {
        l: t.left,
        t: t.top,
        r: t.right,
        b: t.bottom,
      })
    ) {
      problems.push(
        `the ${v.videoWidth}×${v.videoHeight} video of ${name} is cropped ` +
          `to ${Math.round(Math.min(pw, box.width))}×${
            Math.round(Math.min(ph, box.height))
          }`,
      );
    }
  }
  return problems;
}

async function setSettings(p: Person, open: boolean): Promise<void> {
  const pane = p.page.locator("#side-menu");
  if ((await pane.isVisible()) !== open) {
    await p.page.locator("#menu-button").click();
  }
  await pane.waitFor({ state: open ? "visible" : "hidden" });
}

/** The layout of `p` is right, and a screenshot shows it. */
async function checkLayout(p: Person, name: string): Promise<void> {
  // The grid follows the area's size a frame later (ResizeObserver).
  await eventually(
    async () =>
      assert.deepEqual(await p.page.evaluate(layoutProblems), [], name),
    5000,
  ).finally(() => p.page.screenshot({ path: shot(`${name}.png`) }));
}

Deno.test({
  name:
    "the group page fits laptops and phones with settings open or closed and 1 to 6 tiles",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await Deno.mkdir(SCREENSHOTS, { recursive: true });
    const srv = await startTestServer({ groups: { demo: DEMO_GROUP } });
    const browser = await launchBrowser();
    const url = `${srv.url}/group/demo/`;
    const people: Person[] = [];
    const person = async (options?: Parameters<typeof open>[2]) => {
      const p = await open(browser, url, options);
      people.push(p);
      return p;
    };
    // Those who only send ask for nothing: the two cores decode for the
    // two people whose pages are measured.
    const sender = async (name: string) => {
      const p = await person();
      await p.page.evaluate(() =>
        localStorage.setItem(
          "nereid-settings",
          JSON.stringify({
            simulcast: "off",
            throughput: "lowest",
            receive: "nothing",
          }),
        )
      );
      await p.page.reload();
      await login(p, name, "x");
      return p;
    };
    try {
      const desk = await person({ viewport: DESKTOP[0]! });
      const phone = await person({ viewport: PHONE, mobile: true });
      await login(desk, "admin", "nereid");
      await login(phone, "phil", "x", "none");

      const everySize = async (tiles: number) => {
        for (const size of DESKTOP) {
          for (const settings of [false, true]) {
            const name = `layout-${tiles}-${size.name}-settings-${
              settings ? "open" : "closed"
            }`;
            await t.step(name, async () => {
              await desk.page.setViewportSize(size);
              await setSettings(desk, settings);
              await checkLayout(desk, name);
            });
          }
        }
        for (const settings of [false, true]) {
          const name = `layout-${tiles}-${PHONE.name}-settings-${
            settings ? "open" : "closed"
          }`;
          await t.step(name, async () => {
            await setSettings(phone, settings);
            await checkLayout(phone, name);
          });
        }
        // Back to the start, with the People pane open: names are whole.
        await setSettings(desk, false);
        await desk.page.setViewportSize(DESKTOP[0]!);
      };

      await t.step("one camera, recorded", async () => {
        await say(desk, "/record");
        await desk.page.locator(".badge.rec").waitFor();
        await phone.page.locator(".badge.rec").waitFor();
        await tilesPlaying(desk, 1);
        await tilesPlaying(phone, 1);
      });
      await everySize(1);

      const bob = await sender("bob");
      const carl = await sender("carl");
      await t.step("three cameras", async () => {
        await say(desk, "/unrecord");
        await desk.page.locator(".badge.rec").waitFor({ state: "detached" });
        await tilesPlaying(desk, 3);
        await tilesPlaying(phone, 3);
      });
      await everySize(3);

      await t.step("three cameras and three screens", async () => {
        for (const p of [desk, bob, carl]) {
          await p.page.locator("#share-button").click();
        }
        await tilesPlaying(desk, 6);
        await tilesPlaying(phone, 6);
      });
      await everySize(6);

      await t.step("People shows whole names at every size", async () => {
        for (const size of [...DESKTOP, PHONE]) {
          const p = size === PHONE ? phone : desk;
          await p.page.setViewportSize(size);
          // Narrowing past 1100 px closes People when Chat is open, in the
          // media query's change event of the next frame: read the pane's
          // state after two frames, not before that event has run.
          await p.page.evaluate(() =>
            new Promise((done) =>
              requestAnimationFrame(() => requestAnimationFrame(done))
            )
          );
          if (!(await p.page.locator("#users-pane").isVisible())) {
            await p.page.locator("#users-button").click();
          }
          await p.page.locator("#users-pane .user", { hasText: "carl" })
            .waitFor();
          await checkLayout(p, `layout-people-${size.name}`);
        }
      });

      for (const p of people) {
        assert.deepEqual(p.errors, [], "no uncaught page errors");
      }
    } finally {
      for (const p of people) await p.context.close().catch(() => {});
      await browser.close();
      await srv.close();
    }
  },
});
