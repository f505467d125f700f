/**
 * `/stats.html` in a real browser: an administrator sees a group, its
 * clients and a live stream with figures and a chart; anyone else is told
 * what a server administrator is and how to become one.
 *
 * @module
 */

import { match, ok, strictEqual } from "node:assert/strict";
import { launchBrowser } from "../support/browser.ts";
import { waitFor } from "../support/wait_for.ts";
import { Publisher } from "../support/publisher.ts";
import { startTestServer } from "../support/test_server.ts";

Deno.test({
  name:
    "the stats page shows an administrator each group's clients and streams, live",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t = await startTestServer({
      groups: {
        lecture: {
          users: {
            vimes: { password: "p", permissions: "op" },
            carrot: { password: "p", permissions: "present" },
          },
        },
      },
      config: { users: { root: { password: "pw", permissions: "admin" } } },
    });
    const carrot = await t.member("lecture", "carrot", "p");
    const vimes = await t.member("lecture", "vimes", "p");
    vimes.send({ type: "request", request: { "": ["audio", "video"] } });
    const publisher = new Publisher(carrot);
    const browser = await launchBrowser();
    try {
      await publisher.offer();
      await vimes.next({ type: "offer", id: publisher.id }, 10_000);
      const context = await browser.newContext({
        httpCredentials: { username: "root", password: "pw" },
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${t.url}/stats.html`);
      const text = await waitFor(
        "the group and a stream with its bitrate",
        async () => {
          const body = await page.locator("#stats-groups").innerText();
          return body.includes("lecture") &&
              body.includes("carrot") &&
              /\d+/.test(body)
            ? body
            : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 200 },
      );
      ok(text.includes("lecture"), text);
      // The page keeps polling: a chart appears once two samples are in.
      await waitFor(
        "a sparkline",
        async () =>
          (await page.locator("svg polyline").count()) > 0 ? true : undefined,
        {
          timeoutMs: 10_000,
          intervalMs: 200,
        },
      );
      strictEqual(errors.length, 0, errors.join("\n"));
      await page.screenshot({
        path: new URL("../screenshots/stats.png", import.meta.url).pathname,
      });
      await context.close();
    } finally {
      await browser.close();
      await publisher.close();
      await t.close();
    }
  },
});

Deno.test({
  name:
    "the stats page tells a group operator what a server administrator is and how to become one",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const t = await startTestServer({
      groups: {
        demo: { users: { admin: { password: "nereid", permissions: "op" } } },
      },
      config: { users: { root: { password: "pw", permissions: "admin" } } },
    });
    const browser = await launchBrowser();
    try {
      // The API's own refusal says it too, for whoever asks it directly.
      const api = await fetch(`${t.url}/galene-api/v0/.stats`, {
        headers: { Authorization: `Basic ${btoa("admin:nereid")}` },
      });
      strictEqual(api.status, 401);
      match(await api.text(), /server administrator.*"permissions": "admin"/);

      const context = await browser.newContext({
        httpCredentials: { username: "admin", password: "nereid" },
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${t.url}/stats.html`);
      const refusal = page.locator("#stats-refused");
      await refusal.waitFor({ state: "visible", timeout: 10_000 });
      const text = await refusal.innerText();
      match(text, /"permissions": "admin"/);
      match(text, /data\/config\.json/);
      match(text, /deno task ctl .*initial-setup/);
      strictEqual(
        await page.locator("#stats-status").innerText(),
        "Not authorised.",
      );
      strictEqual(errors.length, 0, errors.join("\n"));
      await page.screenshot({
        path: new URL("../screenshots/stats-refused.png", import.meta.url)
          .pathname,
      });
      await context.close();
    } finally {
      await browser.close();
      await t.close();
    }
  },
});
