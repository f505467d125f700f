/**
 * Chromium pages running the bundled WHIP and WHEP clients of
 * `tests/whip/pages/whip_page.ts`, for the WHIP browser tests: a page on
 * the server's own origin, and typed calls into what it puts on
 * `globalThis` (`startWhip`, `stopWhip`, `startWhep`, `stopWhep`, `whep`).
 *
 * @module
 */

import type { Browser, Page } from "playwright-core";

/** What whip_page.ts puts on `globalThis`. */
interface WhipPageGlobals {
  startWhip(endpoint: string): Promise<string>;
  stopWhip(): Promise<void>;
  startWhep(endpoint: string): Promise<number>;
  stopWhep(): Promise<number>;
  whep?: { pc: RTCPeerConnection };
}

/**
 * A page on the server's own origin (so that its fetches need no CORS)
 * running the bundled WHIP and WHEP clients, with camera and microphone.
 */
export async function clientPage(
  browser: Browser,
  origin: string,
  code: string,
): Promise<Page> {
  const context = await browser.newContext({
    permissions: ["camera", "microphone"],
  });
  await context.route(`${origin}/whip-test.html`, (route) =>
    route.fulfill({
      contentType: "text/html",
      body:
        '<!doctype html><meta charset="utf-8"><script type="module" src="/whip-test.js"></script>',
    }));
  await context.route(
    `${origin}/whip-test.js`,
    (route) => route.fulfill({ contentType: "text/javascript", body: code }),
  );
  const page = await context.newPage();
  await page.goto(`${origin}/whip-test.html`);
  await page.waitForFunction(() => "startWhip" in globalThis);
  return page;
}

/** Publishes the page's camera and microphone to `endpoint`; its resource. */
export function startWhip(page: Page, endpoint: string): Promise<string> {
  return page.evaluate(
    (e) => (globalThis as unknown as WhipPageGlobals).startWhip(e),
    endpoint,
  );
}

/** Stops the page's WHIP publication. */
export function stopWhip(page: Page): Promise<void> {
  return page.evaluate(() =>
    (globalThis as unknown as WhipPageGlobals).stopWhip()
  );
}

/** Starts the page's WHEP player on `endpoint`; the POST's status. */
export function startWhep(page: Page, endpoint: string): Promise<number> {
  return page.evaluate(
    (e) => (globalThis as unknown as WhipPageGlobals).startWhep(e),
    endpoint,
  );
}

/** Stops the page's WHEP player; the DELETE's status. */
export function stopWhep(page: Page): Promise<number> {
  return page.evaluate(() =>
    (globalThis as unknown as WhipPageGlobals).stopWhep()
  );
}

/** Frames the page's WHEP player has decoded (0 before it has a picture). */
export function whepFrames(player: Page): Promise<number> {
  return player.evaluate(() => {
    const v = document.querySelector<HTMLVideoElement>("#whep");
    return v && v.videoWidth > 0
      ? v.getVideoPlaybackQuality().totalVideoFrames
      : 0;
  });
}

/** The SSRCs of the video the page's WHEP player has received. */
export function whepVideoSsrcs(player: Page): Promise<number[]> {
  return player.evaluate(async () => {
    const pc = (globalThis as unknown as WhipPageGlobals).whep?.pc;
    const ssrcs: number[] = [];
    for (const s of (await pc?.getStats())?.values() ?? []) {
      if (s.type === "inbound-rtp" && s.kind === "video") ssrcs.push(s.ssrc);
    }
    return ssrcs;
  });
}
