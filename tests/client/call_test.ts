/**
 * The web client in a call, end to end: real Chromium with fake camera,
 * microphone and screen, a real Nereid server in-process. Each scenario is
 * independent (tests/client/scenarios.ts).
 *
 * @module
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  login,
  say,
  sentRequests,
  tilesPlaying,
  userAction,
} from "./browser.ts";
import { scenarios, shot } from "./scenarios.ts";

Deno.test({
  name: "people meet, talk and share in the web client",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: (t) =>
    scenarios(t, {
      "the login page shows the group's name and description, and explains a wrong password":
        async ({ person }) => {
          const ann = await person();
          await ann.page.locator("#login-title", {
            hasText: "Client test room",
          }).waitFor();
          assert.match(
            await ann.page.locator("#login-description").innerText(),
            /client's tests/,
          );
          await ann.page.screenshot({ path: shot("login.png") });
          await ann.page.locator("#username").fill("admin");
          await ann.page.locator("#password").fill("wrong");
          await ann.page.locator("#connect-button").click();
          await ann.page.locator("#login-error", {
            hasText: "Wrong username or password",
          }).waitFor();
        },

      "two people see each other's video; chat, /me and a private message reach the right people":
        async ({ member }) => {
          const ann = await member("ann", "x");
          const bob = await member("bob", "y");
          await tilesPlaying(ann, 2, 20_000);
          await ann.page.screenshot({ path: shot("call-2.png") });
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

      "an operator joins with the history; three 16:9 tiles fill the square centre pane in a column; small tiles ask for the low video layer and large ones revert":
        async ({ member }) => {
          const ann = await member("ann", "x");
          await member("bob", "y");
          await say(ann, "Hello everyone");
          const admin = await member("admin", "nereid");
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

      "a screen share is a second tile at the others and goes when stopped":
        async ({ member }) => {
          const ann = await member("ann", "x");
          const bob = await member("bob", "y");
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

      "a user mutes and the others see the indicator": async ({ member }) => {
        const ann = await member("ann", "x");
        const bob = await member("bob", "y");
        await bob.page.locator("#mute-button").click();
        const bobTile = ann.page.locator(".tile", { hasText: "bob" });
        await bobTile.locator(".tile-muted").waitFor({ state: "visible" });
        await ann.page.locator(".user", { hasText: "bob" }).locator(
          ".user-muted",
        ).waitFor();
      },

      "Disable stops the camera and the others lose the tile": async (
        { member },
      ) => {
        const ann = await member("ann", "x");
        const bob = await member("bob", "y");
        await tilesPlaying(ann, 2, 20_000);
        for (const p of [ann, bob]) {
          await p.page.locator("#enable-button", { hasText: "Disable" })
            .click();
        }
        for (const p of [ann, bob]) {
          await p.page.locator(".tile").first().waitFor({ state: "detached" });
          await p.page.locator("#enable-button", { hasText: "Enable" })
            .waitFor();
        }
      },

      "a 1 MB file arrives intact": async ({ member }) => {
        const ann = await member("ann", "x", "none");
        const bob = await member("bob", "y", "none");
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
      },

      "a dropped connection comes back by itself and says so": async (
        { member, srv },
      ) => {
        const ann = await member("ann", "x", "none");
        await member("bob", "y", "none");
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

      "a phone-sized screen shows videos and reachable controls": async (
        { person, member },
      ) => {
        const ann = await member("ann", "x");
        await say(ann, "Welcome, phone");
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
          await phone.page.evaluate(() => document.documentElement.scrollWidth),
          390,
          "nothing sticks out sideways",
        );
        await phone.page.locator("#video-grid[data-shape='1x2']").waitFor();
        await phone.page.screenshot({ path: shot("phone.png") });
        await phone.page.locator("#chat-button").click();
        await phone.page.locator(".msg", { hasText: "Welcome, phone" })
          .waitFor();
        await say(phone, "Hello from my phone");
        await ann.page.locator(".msg", { hasText: "Hello from my phone" })
          .waitFor();
        await phone.page.screenshot({ path: shot("phone-chat.png") });
      },
    }),
});
