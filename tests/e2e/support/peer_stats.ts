/**
 * The test peer page's state as the end-to-end tests read it: its
 * `inbound-rtp` and `outbound-rtp` figures, joining, and code run in it.
 *
 * @module
 */

import type { Page } from "playwright-core";
import { waitFor } from "../../support/wait_for.ts";

/** A received track's figures (`peer.downStats()`). */
export interface DownStat {
  id: string;
  label: string;
  kind: string;
  packetsReceived: number;
  bytesReceived: number;
  framesDecoded: number;
  frameWidth: number;
  frameHeight: number;
  timestamp: number;
  pliCount: number;
  nackCount: number;
  keyFramesDecoded: number;
  packetsLost: number;
  framesDropped: number;
  freezeCount: number;
  /** Seconds of video frozen in all (Chromium: a frame later than 3× the mean interval). */
  totalFreezesDuration: number;
}

/** A sent encoding's figures (`peer.upStats()`). */
export interface UpStat {
  id: string;
  kind: string;
  rid: string;
  bytesSent: number;
  frameWidth: number;
  timestamp: number;
  framesEncoded: number;
  scalabilityMode: string;
  encoderImplementation: string;
  /** Keyframe requests the sender received. */
  pliCount: number;
  firCount: number;
}

/** The page's received tracks. */
export function downStats(page: Page): Promise<DownStat[]> {
  return page.evaluate(() =>
    (globalThis as unknown as { peer: { downStats(): Promise<DownStat[]> } })
      .peer.downStats()
  );
}

/** The page's sent encodings. */
export function upStats(page: Page): Promise<UpStat[]> {
  return page.evaluate(() =>
    (globalThis as unknown as { peer: { upStats(): Promise<UpStat[]> } }).peer
      .upStats()
  );
}

/** Joins the `e2e` group as `username`. */
export async function join(page: Page, username: string): Promise<void> {
  await page.evaluate(
    (u) =>
      (globalThis as unknown as {
        peer: { connect(g: string, u: string, p: string): Promise<unknown> };
      }).peer.connect("e2e", u, "x").then(() => undefined),
    username,
  );
}

/** Runs `code` in the page as the body of an async function with `peer` in scope. */
export function evalPeer<T>(page: Page, code: string): Promise<T> {
  return page.evaluate(`(async () => { const peer = window.peer; ${code} })()`);
}

/** Waits until `page` has decoded more than `frames` video frames. */
export function decodes(
  page: Page,
  who: string,
  timeout: number,
  frames = 0,
): Promise<true> {
  return waitFor(`${who} to decode video`, async () => {
    const v = (await downStats(page)).find((x) => x.kind === "video");
    return v && v.framesDecoded > frames ? true : undefined;
  }, { timeoutMs: timeout, intervalMs: 200 });
}
