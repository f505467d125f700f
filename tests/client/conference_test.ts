// The web client end to end: real Chromium with fake camera and microphone,
// a real Nereid server in-process, several people in one group.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  launch,
  login,
  open,
  type Person,
  say,
  SCREENSHOTS,
  userAction,
} from "./browser.ts";
import { startClientTestServer } from "./server.ts";

const shot = (name: string) => new URL(name, SCREENSHOTS).pathname;

Deno.test({
  name: "people meet, talk, moderate and use a phone in the web client",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await Deno.mkdir(SCREENSHOTS, { recursive: true });
    const srv = await startClientTestServer();
    const browser = await launch();
    const url = `${srv.url}/group/demo/`;
    const people: Person[] = [];
    const person = async (options?: Parameters<typeof open>[2]) => {
      const p = await open(browser, url, options);
      people.push(p);
      return p;
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
        for (const p of [ann, bob]) {
          await p.page.locator(".tile").nth(1).waitFor({ timeout: 20_000 });
        }
        // The remote tile plays real frames.
        await ann.page.waitForFunction(
          () => {
            const v = [
              ...document.querySelectorAll<HTMLVideoElement>(".tile video"),
            ];
            return v.length === 2 && v.every((x) => x.videoWidth > 0);
          },
          undefined,
          { timeout: 15_000 },
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

      const admin = await person();
      await t.step(
        "a third person, an operator, joins with the chat history",
        async () => {
          await login(admin, "admin", "nereid");
          await admin.page.locator(".msg", { hasText: "Hello everyone" })
            .waitFor();
          await admin.page.locator(".tile").nth(2).waitFor({ timeout: 20_000 });
          await ann.page.locator(".tile").nth(2).waitFor({ timeout: 20_000 });
          await say(admin, "Welcome, both of you");
          await ann.page.locator(".msg", { hasText: "Welcome, both" })
            .waitFor();
          await admin.page.screenshot({ path: shot("call-3-chat.png") });
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

      await t.step("/help lists operator commands to the op only", async () => {
        await say(admin, "/help");
        await admin.page.locator(".msg.system", { hasText: "/kick user" })
          .waitFor();
        await say(ann, "/help");
        const text = await ann.page.locator(".msg.system").last().innerText();
        assert.doesNotMatch(text, /\/kick/);
      });

      await t.step(
        "the settings pane opens and closes from the keyboard",
        async () => {
          await admin.page.locator("#menu-button").click();

          await admin.page.locator("#throughput-select").waitFor();

          await admin.page.screenshot({ path: shot("settings.png") });

          await admin.page.keyboard.press("Escape");

          await admin.page.locator("#side-menu").waitFor({ state: "hidden" });
        },
      );

      await t.step(
        "the op locks the group and a newcomer is refused",
        async () => {
          await userAction(admin, "admin", "Lock the group");
          await ann.page.locator(".badge", { hasText: "Locked" }).waitFor();
          const dan = await person();
          await dan.page.locator("#username").fill("dan");
          await dan.page.locator("#password").fill("z");
          await dan.page.locator("#connect-button").click();
          await dan.page.locator("#login-error", { hasText: "locked" })
            .waitFor();
          await userAction(admin, "admin", "Unlock the group");
        },
      );

      await t.step(
        "a file goes from one person to another with progress",
        async () => {
          const chooser = ann.page.waitForEvent("filechooser");
          await userAction(ann, "bob", "Send a file…");
          await (await chooser).setFiles({
            name: "notes.txt",
            mimeType: "text/plain",
            buffer: Buffer.from("x".repeat(40_000)),
          });
          const card = bob.page.locator(".msg.transfer", {
            hasText: "ann sends you notes.txt",
          });
          await card.getByRole("button", { name: "Accept" }).click();
          await card.getByRole("link", { name: "Save notes.txt" }).waitFor();
          await ann.page.locator(".msg.transfer", { hasText: "Sent." })
            .waitFor();
        },
      );

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

      await t.step("the op kicks a user, who is told so", async () => {
        await userAction(admin, "bob", "Kick");
        await bob.page.locator("#login-error", {
          hasText: "admin made you leave",
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
                box.x + box.width <= 390,
              `${id} is on screen`,
            );
          }
          await phone.page.screenshot({ path: shot("phone.png") });
          await phone.page.locator("#chat-button").click();
          await phone.page.locator(".msg", { hasText: "Welcome, both" })
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
