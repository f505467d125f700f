// The web client end to end: real Chromium with fake camera, microphone and
// screen, a real Nereid server in-process, several people in one group.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  login,
  open,
  type OpenOptions,
  type Person,
  say,
  SCREENSHOTS,
  sentRequests,
  userAction,
} from "./browser.ts";
import { startTestServer } from "../support/test_server.ts";
import { DEMO_GROUP } from "../support/groups.ts";
import { launchBrowser } from "../support/browser.ts";

const shot = (name: string) => new URL(name, SCREENSHOTS).pathname;

Deno.test({
  name: "people meet, talk, moderate, invite and use a phone in the web client",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await Deno.mkdir(SCREENSHOTS, { recursive: true });
    const srv = await startTestServer({ groups: { demo: DEMO_GROUP } });
    const browser = await launchBrowser();
    const url = `${srv.url}/group/demo/`;
    const people: Person[] = [];
    const person = async (options?: OpenOptions, at = url) => {
      const p = await open(browser, at, options);
      people.push(p);
      return p;
    };
    const leave = async (p: Person) => {
      await p.context.close();
      people.splice(people.indexOf(p), 1);
    };
    try {
      const ann = await person();
      const bob = await person();

      await t.step(
        "the login page shows the group's name and description",
        async () => {
          await ann.page.locator("#login-title", {
            hasText: "Client test room",
          }).waitFor();
          assert.match(
            await ann.page.locator("#login-description").innerText(),
            /client's tests/,
          );
          await ann.page.screenshot({ path: shot("login.png") });
        },
      );

      await t.step(
        "a wrong password for a configured user is explained",
        async () => {
          await bob.page.locator("#username").fill("admin");
          await bob.page.locator("#password").fill("wrong");
          await bob.page.locator("#connect-button").click();
          await bob.page.locator("#login-error", {
            hasText: "Wrong username or password",
          }).waitFor();
        },
      );

      await t.step("two people join and see each other's video", async () => {
        await login(ann, "ann", "x");
        await login(bob, "bob", "y");
        // The remote tile plays real frames.
        await ann.page.waitForFunction(
          () => {
            const v = [
              ...document.querySelectorAll<HTMLVideoElement>(".tile video"),
            ];
            return v.length === 2 && v.every((x) => x.videoWidth > 0);
          },
          undefined,
          { timeout: 20_000 },
        );
        await ann.page.screenshot({ path: shot("call-2.png") });
      });

      await t.step(
        "chat, /me and a private message reach the right people",
        async () => {
          await say(ann, "Hello everyone");
          await bob.page.locator(".msg", { hasText: "Hello everyone" })
            .waitFor();
          await say(bob, "/me waves");
          await ann.page.locator(".msg.me", { hasText: "* bob waves" })
            .waitFor();
          await say(bob, "/msg ann just for you");
          await ann.page.locator(".msg.private", { hasText: "just for you" })
            .waitFor();
          await bob.page.locator(".msg.private", { hasText: "private to ann" })
            .waitFor();
        },
      );

      const admin = await person({ clipboard: true });
      await t.step(
        "an operator joins with the history; three 16:9 tiles fill the square centre pane in a column",
        async () => {
          await login(admin, "admin", "nereid");
          await admin.page.locator(".msg", { hasText: "Hello everyone" })
            .waitFor();
          for (const p of [admin, ann]) {
            await p.page.locator(".tile").nth(2).waitFor({ timeout: 20_000 });
            // People and chat panes open: a centre pane about as high as
            // it is wide, where whole 16:9 pictures are largest one above
            // the other (a 2×2 grid would show them smaller).
            await p.page.locator("#video-grid[data-shape='1x3']").waitFor();
          }
          await say(admin, "Welcome, both of you");
          await ann.page.locator(".msg", { hasText: "Welcome, both" })
            .waitFor();
          await admin.page.screenshot({ path: shot("call-3-chat.png") });
        },
      );

      await t.step(
        "small tiles ask for the low video layer and large ones revert",
        async () => {
          const low = async (want: string[] | null) => {
            await ann.page.waitForFunction(
              (w) =>
                (globalThis as unknown as {
                  __sent: { request: string[] | null }[];
                }).__sent.some((m) =>
                  JSON.stringify(m.request) === JSON.stringify(w)
                ),
              want,
              { timeout: 5000 },
            );
          };
          await ann.page.setViewportSize({ width: 800, height: 400 });
          await low(["audio", "video-low"]);
          const small = await ann.page.locator(".tile").nth(1).boundingBox();
          assert.ok(small && small.width <= 320 && small.height <= 240);
          await ann.page.setViewportSize({ width: 1280, height: 760 });
          await low(null);
          const sent = await sentRequests(ann);
          const ids = new Set(sent.map((m) => m.id));
          assert.equal(ids.size, 2, "one override per remote camera");
        },
      );

      await t.step(
        "a screen share is a second tile at the others and goes when stopped",
        async () => {
          await bob.page.locator("#share-button").click();
          const screen = ann.page.locator(".tile.screen", {
            hasText: "bob (screen)",
          });
          await screen.waitFor({ timeout: 20_000 });
          await ann.page.waitForFunction(() =>
            (document.querySelector<HTMLVideoElement>(".tile.screen video")
              ?.videoWidth ?? 0) > 0
          );
          assert.equal(
            await ann.page.locator(".tile", { hasText: "bob" }).count(),
            2,
          );
          await bob.page.locator("#share-button", { hasText: "Stop sharing" })
            .click();
          await screen.waitFor({ state: "detached" });
        },
      );

      await t.step(
        "a user mutes and the others see the indicator",
        async () => {
          await bob.page.locator("#mute-button").click();
          const bobTile = ann.page.locator(".tile", { hasText: "bob" });
          await bobTile.locator(".tile-muted").waitFor({ state: "visible" });
          await admin.page.locator(".user", { hasText: "bob" }).locator(
            ".user-muted",
          ).waitFor();
        },
      );

      await t.step(
        "Disable stops the camera and the others lose the tile",
        async () => {
          // Also lightens the load: the server runs in this very process.
          for (const p of [ann, bob, admin]) {
            await p.page.locator("#enable-button", { hasText: "Disable" })
              .click();
          }
          for (const p of [ann, bob, admin]) {
            await p.page.locator(".tile").first().waitFor({
              state: "detached",
            });
            await p.page.locator("#enable-button", { hasText: "Enable" })
              .waitFor();
          }
        },
      );

      await t.step(
        "every control is labelled, reachable by Tab and shows its focus",
        async () => {
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
      );

      await t.step(
        "the settings open from the keyboard and show whole option texts",
        async () => {
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
      );

      await t.step(
        "/help lists operator commands to the op only",
        async () => {
          await say(admin, "/help");
          await admin.page.locator(".msg.system", { hasText: "/revoke link" })
            .waitFor();
          await say(ann, "/help");
          const text = await ann.page.locator(".msg.system").last().innerText();
          assert.doesNotMatch(text, /\/kick|\/revoke/);
        },
      );

      await t.step(
        "an invitation made in the chat lets a guest in under a name they choose",
        async () => {
          await say(admin, "/invite 2h");
          const card = admin.page.locator(".msg.invitation").last();
          await card.getByText(/expires in 2 hours/).waitFor();
          const link = await card.locator(".invitation-link").inputValue();
          assert.match(link, /\/group\/demo\/\?token=[\w-]+$/);
          await card.getByRole("button", { name: /^Copy/ }).click();
          await admin.page.locator(".toast", { hasText: "copied" }).waitFor();
          assert.equal(
            await admin.page.evaluate(() => navigator.clipboard.readText()),
            link,
          );

          const guest = await person({}, link);
          await guest.page.locator("#login-note", { hasText: "invited" })
            .waitFor();
          assert.equal(
            await guest.page.locator("#password").isVisible(),
            false,
          );
          await guest.page.locator("#username").fill("admin");
          await guest.page.locator("input[name=publish][value=none]").check();
          await guest.page.locator("#connect-button").click();
          await guest.page.locator("#login-error", { hasText: "taken" })
            .waitFor();
          assert.equal(
            await guest.page.locator("#username").getAttribute("aria-invalid"),
            "true",
          );
          await guest.page.locator("#username").fill("gwen");
          await guest.page.locator("#connect-button").click();
          await guest.page.locator("#conference-view").waitFor();
          await admin.page.locator(".user", { hasText: "gwen" }).waitFor();
          await leave(guest);

          await say(admin, "/listtokens");
          const list = admin.page.locator(".msg.invitation-list").last();
          await list.getByText("Invitations of this group (1)").waitFor();
          await list.getByText(/for anyone .* made by admin/).waitFor();
          await list.getByRole("button", { name: /^Copy invitation link/ })
            .waitFor();
          await list.getByRole("button", { name: /^Revoke/ }).click();
          await admin.page.locator(".msg.invitation.expired", {
            hasText: "Invitation revoked",
          }).waitFor();

          const late = await person({}, link);
          await late.page.locator("#login-error", { hasText: "not valid" })
            .waitFor();
          await leave(late);
        },
      );

      await t.step(
        "the op locks the group and a newcomer is told the lock message",
        async () => {
          await say(admin, "/lock Private meeting");
          await ann.page.locator(".badge", { hasText: "Locked" }).waitFor();
          const dan = await person();
          await dan.page.locator("#username").fill("dan");
          await dan.page.locator("#password").fill("z");
          await dan.page.locator("#connect-button").click();
          await dan.page.locator("#login-error", {
            hasText: "This group is locked: Private meeting",
          }).waitFor();
          await leave(dan);
          await userAction(admin, "admin", "Unlock the group");
          await ann.page.locator(".badge", { hasText: "Locked" }).waitFor({
            state: "detached",
          });
        },
      );

      await t.step("a 1 MB file arrives intact", async () => {
        const bytes = Buffer.alloc(1 << 20);
        // getRandomValues gives at most 64 KiB at a time.
        for (let i = 0; i < bytes.length; i += 65536) {
          crypto.getRandomValues(bytes.subarray(i, i + 65536));
        }
        const chooser = ann.page.waitForEvent("filechooser");
        await userAction(ann, "bob", "Send a file…");
        await (await chooser).setFiles({
          name: "data.bin",
          mimeType: "application/octet-stream",
          buffer: bytes,
        });
        const card = bob.page.locator(".msg.transfer", {
          hasText: "ann sends you data.bin (1.0 MiB)",
        });
        await card.getByRole("button", { name: "Accept" }).click();
        const save = card.getByRole("link", { name: "Save data.bin" });
        await save.waitFor({ timeout: 20_000 });
        // Saved as a person would: the page's CSP keeps fetch() off blob:.
        const download = bob.page.waitForEvent("download");
        await save.click();
        const path = await (await download).path();
        assert.ok(
          Buffer.from(await Deno.readFile(path)).equals(bytes),
          "the bytes received are the bytes sent",
        );
        await ann.page.locator(".msg.transfer", { hasText: "Sent." })
          .waitFor();
      });

      await t.step(
        "a dropped connection comes back by itself and says so",
        async () => {
          const session = [...srv.server.sessions].find((x) =>
            x.username === "ann"
          );
          assert.ok(session, "ann has a session");
          session.close(1011, "test drops the connection");
          await ann.page.locator("#connection-banner", {
            hasText: "Reconnecting",
          }).waitFor();
          await ann.page.locator(".toast", { hasText: "Reconnected" }).waitFor({
            timeout: 10_000,
          });
          await ann.page.locator(".user", { hasText: "bob" }).waitFor();
        },
      );

      await t.step("the op kicks a user, who is told why", async () => {
        await say(admin, "/kick bob Too noisy");
        await bob.page.locator("#login-error", {
          hasText: "admin made you leave: Too noisy",
        }).waitFor();
        await ann.page.locator(".user", { hasText: "bob" }).waitFor({
          state: "detached",
        });
      });

      await t.step(
        "a phone-sized screen shows videos and reachable controls",
        async () => {
          await ann.page.locator("#enable-button").click();
          const phone = await person({
            viewport: { width: 390, height: 844 },
            mobile: true,
          });
          await login(phone, "phil", "p");
          await phone.page.locator(".tile").nth(1).waitFor({ timeout: 20_000 });
          for (
            const id of [
              "enable-button",
              "mute-button",
              "chat-button",
              "disconnect-button",
            ]
          ) {
            const box = await phone.page.locator(`#${id}`).boundingBox();
            assert.ok(
              box && box.y + box.height <= 844 && box.x >= 0 &&
                box.x + box.width <= 390 && box.height >= 40,
              `${id} is on screen and big enough to touch`,
            );
          }
          assert.equal(
            await phone.page.evaluate(() =>
              document.documentElement.scrollWidth
            ),
            390,
            "nothing sticks out sideways",
          );
          await phone.page.locator("#video-grid[data-shape='1x2']").waitFor();
          await phone.page.screenshot({ path: shot("phone.png") });
          await phone.page.locator("#chat-button").click();
          await phone.page.locator(".msg", { hasText: "Welcome, both" })
            .waitFor();
          await say(phone, "Hello from my phone");
          await ann.page.locator(".msg", { hasText: "Hello from my phone" })
            .waitFor();
          await phone.page.screenshot({ path: shot("phone-chat.png") });
        },
      );

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
