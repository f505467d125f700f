/**
 * The web client by keyboard and screen reader: every control named and
 * reachable with a visible focus, and the settings usable from the
 * keyboard (tests/client/scenarios.ts).
 *
 * @module
 */

import assert from "node:assert/strict";
import { scenarios, shot } from "./scenarios.ts";

Deno.test({
  name: "the web client can be used by keyboard and screen reader",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: (t) =>
    scenarios(t, {
      "every control is labelled, reachable by Tab and shows its focus": async (
        { member },
      ) => {
        const admin = await member("admin", "nereid", "none");
        const unlabelled = await admin.page.evaluate(() => {
          const name = (e: Element) =>
            e.getAttribute("aria-label") ||
            (e.getAttribute("aria-labelledby") ?? "").split(" ").map((id) =>
              document.getElementById(id)?.textContent ?? ""
            ).join("").trim() ||
            (e.id &&
              document.querySelector(`label[for="${e.id}"]`)?.textContent
                ?.trim()) ||
            e.closest("label")?.textContent?.trim() ||
            (e instanceof HTMLButtonElement || e instanceof HTMLAnchorElement
              ? e.textContent?.trim()
              : "");
          return [
            ...document.querySelectorAll(
              "button, input:not([type=file]), select, textarea, a[href]",
            ),
          ].filter((e) => !name(e)).map((e) => e.outerHTML.slice(0, 80));
        });
        assert.deepEqual(unlabelled, []);
        // Keyboard focus from the top of the page, as a person tabbing.
        await admin.page.evaluate(() =>
          (document.activeElement as HTMLElement | null)?.blur()
        );
        const seen = new Map<string, string>();
        for (let i = 0; i < 30; i++) {
          await admin.page.keyboard.press("Tab");
          const f = await admin.page.evaluate(() => {
            const e = document.activeElement as HTMLElement;
            // Past the last control, focus leaves the page for a moment.
            if (e === document.body) return { key: "", ring: true };
            const s = getComputedStyle(e);
            return {
              key: e.id || e.getAttribute("aria-label") || e.className,
              ring: s.outlineStyle !== "none" &&
                parseFloat(s.outlineWidth) >= 2,
            };
          });
          if (!f.key) continue;
          if (!f.ring) seen.set(f.key, "no visible focus");
          else if (!seen.has(f.key)) seen.set(f.key, "ok");
        }
        for (
          const id of [
            "menu-button",
            "enable-button",
            "hand-button",
            "users-button",
            "chat-button",
            "disconnect-button",
            "chat-input",
            "chat-send",
          ]
        ) {
          assert.equal(seen.get(id), "ok", `${id}: ${seen.get(id)}`);
        }
        assert.ok(
          [...seen.keys()].some((k) => /^admin \(you\)/.test(k)),
          "the user list is reachable",
        );
        assert.deepEqual(
          [...seen].filter(([, v]) => v !== "ok"),
          [],
          "every focused control shows a ring",
        );
      },

      "the settings open from the keyboard and show whole option texts": async (
        { member },
      ) => {
        const admin = await member("admin", "nereid", "none");
        await admin.page.locator("#menu-button").focus();
        await admin.page.keyboard.press("Enter");
        await admin.page.locator("#throughput-select").waitFor();
        const clipped = await admin.page.evaluate(() => {
          const c = document.createElement("canvas").getContext("2d")!;
          return [...document.querySelectorAll("#side-menu select")].flatMap(
            (sel) => {
              const s = getComputedStyle(sel);
              c.font = `${s.fontWeight} ${s.fontSize} ${s.fontFamily}`;
              // Room for the text: the box less padding and the arrow.
              const room = (sel as HTMLElement).clientWidth -
                parseFloat(s.paddingLeft) - parseFloat(s.paddingRight) - 20;
              return [...(sel as HTMLSelectElement).options]
                .filter((o) => c.measureText(o.text).width > room)
                .map((o) => o.text);
            },
          );
        });
        assert.deepEqual(clipped, []);
        await admin.page.screenshot({ path: shot("settings.png") });
        await admin.page.keyboard.press("Escape");
        await admin.page.locator("#side-menu").waitFor({ state: "hidden" });
        assert.equal(
          await admin.page.evaluate(() => document.activeElement?.id),
          "menu-button",
        );
      },
    }),
});
