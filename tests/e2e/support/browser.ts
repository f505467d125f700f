/**
 * Debian Chromium driven by playwright-core, with fake media devices, for
 * the end-to-end tests.
 *
 * @module
 */

import { type Browser, chromium, type Page } from "playwright-core";

const FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--allow-loopback-in-peer-connection",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--auto-select-desktop-capture-source=Entire screen",
  "--autoplay-policy=no-user-gesture-required",
];

/** Launches a fresh Chromium (playwright gives it a new user-data-dir). */
export async function launchBrowser(): Promise<Browser> {
  return await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: FLAGS,
    timeout: 30_000,
  });
}

/** Opens the test peer page of a server and logs the page's errors. */
export async function openPeer(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  await page.goto(`${url}/peer.html`);
  return page;
}

/** Polls `check` until it returns a value other than undefined. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeout: number; interval?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeout;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, options.interval ?? 200));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${last}` : ""}`);
}
