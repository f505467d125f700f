/**
 * The one browser launcher of the tests: Debian Chromium driven by
 * playwright-core, with fake media devices, and a camera file that needs
 * bits. What a test opens in it (the web client's group page, or the
 * end-to-end tests' peer page) is the business of tests/client/browser.ts
 * and tests/e2e/support/peer_page.ts.
 *
 * @module
 */

import { type Browser, chromium } from "playwright-core";

/**
 * Chromium's flags for the tests: headless, fake devices, no background
 * traffic, and no name resolution at all (its Google services would otherwise
 * look theirs up even with background networking off); the tests use IP
 * addresses.
 */
export const CHROMIUM_FLAGS = [
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
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];

/**
 * Launches a fresh Chromium (playwright gives it a new user-data-dir). With
 * `videoFile`, the fake camera plays that Y4M file instead of Chromium's
 * own test pattern.
 */
export async function launchBrowser(
  options: { videoFile?: string } = {},
): Promise<Browser> {
  const args = options.videoFile
    ? [
      ...CHROMIUM_FLAGS,
      `--use-file-for-fake-video-capture=${options.videoFile}`,
    ]
    : CHROMIUM_FLAGS;
  return await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args,
    timeout: 30_000,
  });
}

/**
 * A 1280×720 camera picture that needs bits: ffmpeg's moving test pattern.
 * Chromium's own fake camera compresses to ~0.7 Mbit/s at 720p whatever the
 * bandwidth allows, which would hide a congestion-control bug. Made once
 * per machine in the temporary folder (~120 MB, 3 s looped).
 */
export async function cameraFile(): Promise<string> {
  const file = `${Deno.env.get("TMPDIR") ?? "/tmp"}/nereid-testsrc-720p.y4m`;
  try {
    if ((await Deno.stat(file)).size > 0) return file;
  } catch {
    // Not made yet.
  }
  const partial = `${file}.partial`;
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=1280x720:rate=30",
      "-t",
      "3",
      "-pix_fmt",
      "yuv420p",
      "-f",
      "yuv4mpegpipe",
      partial,
    ],
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `ffmpeg could not make ${file}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  await Deno.rename(partial, file);
  return file;
}
