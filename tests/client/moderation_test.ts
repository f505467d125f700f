/**
 * An operator in the web client, end to end: help, invitations, the lock
 * and kicks, each scenario independent (tests/client/scenarios.ts).
 *
 * @module
 */

import assert from "node:assert/strict";
import { login, say, userAction } from "./browser.ts";
import { scenarios } from "./scenarios.ts";

Deno.test({
  name: "an operator moderates and invites in the web client",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: (t) =>
    scenarios(t, {
      "/help lists operator commands to the op only": async ({ member }) => {
        const admin = await member("admin", "nereid", "none");
        const ann = await member("ann", "x", "none");
        await say(admin, "/help");
        await admin.page.locator(".msg.system", { hasText: "/revoke link" })
          .waitFor();
        await say(ann, "/help");
        await ann.page.locator(".msg.system").last().waitFor();
        const text = await ann.page.locator(".msg.system").last().innerText();
        assert.doesNotMatch(text, /\/kick|\/revoke/);
      },

      "an invitation made in the chat lets a guest in under a name they choose":
        async ({ person, leave }) => {
          const admin = await person({ clipboard: true });
          await login(admin, "admin", "nereid", "none");
          await say(admin, "/invite 2h");
          const card = admin.page.locator(".msg.invitation").last();
          await card.getByText(/expires in 2 hours/).waitFor();
          const link = await card.locator(".invitation-link").inputValue();
          assert.match(link, /\/group\/\w+\/\?token=[\w-]+$/);
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

      "the op locks the group and a newcomer is told the lock message": async (
        { person, member, leave },
      ) => {
        const admin = await member("admin", "nereid", "none");
        const ann = await member("ann", "x", "none");
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

      "the op kicks a user, who is told why": async ({ member }) => {
        const admin = await member("admin", "nereid", "none");
        const ann = await member("ann", "x", "none");
        const bob = await member("bob", "y", "none");
        await ann.page.locator(".user", { hasText: "bob" }).waitFor();
        await say(admin, "/kick bob Too noisy");
        await bob.page.locator("#login-error", {
          hasText: "admin made you leave: Too noisy",
        }).waitFor();
        await ann.page.locator(".user", { hasText: "bob" }).waitFor({
          state: "detached",
        });
      },
    }),
});
