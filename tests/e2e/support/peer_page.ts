/**
 * The end-to-end tests' peer page (`tests/e2e/pages/peer.html`, a bare
 * WebRTC client driven through `window.peer`): the static root to serve it
 * from, and how to open it in a browser from tests/support/browser.ts.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";

/** The static root that serves `peer.html`. */
export const PEER_PAGES = fileURLToPath(new URL("../pages/", import.meta.url));

/** Opens the test peer page of a server and logs the page's errors. */
export async function openPeer(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  await page.goto(`${url}/peer.html`);
  return page;
}

/**
 * Opens two test peers joined to the `e2e` group: A as alice, and B as bob
 * asking for every stream's audio and video.
 */
export async function openCall(
  browser: Browser,
  url: string,
): Promise<{ a: Page; b: Page }> {
  const a = await openPeer(browser, url);
  const b = await openPeer(browser, url);
  for (const [p, u] of [[a, "alice"], [b, "bob"]] as const) {
    await p.evaluate(`window.peer.connect("e2e", "${u}", "x")`);
  }
  await b.evaluate(`window.peer.request({"": ["audio", "video"]})`);
  return { a, b };
}
