/**
 * Chromium with fake devices for the client's browser tests, and helpers
 * that act as a person would on the group page.
 *
 * @module
 */

import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchBrowser } from "../e2e/support/browser.ts";

/** Where screenshots go (git-ignored). */
export const SCREENSHOTS = new URL("../screenshots/", import.meta.url);

/** Launches Debian's Chromium with fake devices. */
export function launch(): Promise<Browser> {
  return launchBrowser();
}

/** A person: their own browser context (storage, devices) and page. */
export interface Person {
  context: BrowserContext;
  page: Page;
  errors: string[];
}

/** Options of {@link open}. */
export interface OpenOptions {
  viewport?: { width: number; height: number };
  mobile?: boolean;
  /** Lets the page use the clipboard (copy buttons). */
  clipboard?: boolean;
}

// Runs in the page before its scripts: keeps the messages the client sends
// that the tests check (requestStream), and starts from settings that spare
// the two shared cores (one low-bitrate layer per camera).
// Also keeps the `request` and `offer` messages (without their SDP) and
// every peer connection, so that tests can read what was negotiated.
function pageHooks(): void {
  const g = globalThis as unknown as {
    __sent: unknown[];
    __signals: unknown[];
    __pcs: RTCPeerConnection[];
  };
  g.__sent = [];
  g.__signals = [];
  g.__pcs = [];
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (typeof data === "string" && data.includes('"requestStream"')) {
      g.__sent.push(JSON.parse(data));
    } else if (/"type":"(request|offer)"/.test(String(data))) {
      const { sdp: _, ...m } = JSON.parse(String(data));
      g.__signals.push(m);
    }
    return send.call(this, data);
  };
  const Native = RTCPeerConnection;
  globalThis.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      g.__pcs.push(this);
    }
  };
  try {
    if (!localStorage.getItem("nereid-settings")) {
      localStorage.setItem(
        "nereid-settings",
        JSON.stringify({ simulcast: "off", throughput: "lowest" }),
      );
    }
  } catch {
    // about:blank has no storage.
  }
}

/** The `requestStream` messages the page sent so far. */
export async function sentRequests(
  p: Person,
): Promise<{ id: string; request: string[] | null }[]> {
  return await p.page.evaluate(() =>
    (globalThis as unknown as {
      __sent: { id: string; request: string[] | null }[];
    }).__sent
  );
}

/** A `request` or `offer` message the page sent (offers without SDP). */
export interface SentSignal {
  type: "request" | "offer";
  id?: string;
  label?: string;
  replace?: string;
  request?: Record<string, string[]>;
}

/** The `request` and `offer` messages the page sent so far. */
export async function sentSignals(p: Person): Promise<SentSignal[]> {
  return await p.page.evaluate(() =>
    (globalThis as unknown as { __signals: SentSignal[] }).__signals
  );
}

/** What one of the page's live senders sends. */
export interface SenderInfo {
  kind: string;
  settings: MediaTrackSettings;
  /** Per encoding; null when unlimited. */
  maxBitrate: (number | null)[];
}

/** The tracks the page sends now, over its open peer connections. */
export async function senders(p: Person): Promise<SenderInfo[]> {
  return await p.page.evaluate(() =>
    (globalThis as unknown as { __pcs: RTCPeerConnection[] }).__pcs
      .filter((pc) => pc.signalingState !== "closed")
      .flatMap((pc) => pc.getSenders())
      .flatMap((s) =>
        s.track && s.track.readyState === "live"
          ? [{
            kind: s.track.kind,
            settings: s.track.getSettings(),
            maxBitrate: s.getParameters().encodings.map((e) =>
              e.maxBitrate ?? null
            ),
          }]
          : []
      )
  );
}

/** Retries `check` until it stops throwing, or throws its last error. */
export async function eventually(
  check: () => Promise<void>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Opens the group page in a fresh context. */
export async function open(
  browser: Browser,
  url: string,
  options: OpenOptions = {},
): Promise<Person> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 760 },
    ...(options.mobile
      ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 }
      : {}),
    permissions: [
      "camera",
      "microphone",
      ...(options.clipboard ? ["clipboard-read", "clipboard-write"] : []),
    ],
  });
  await context.addInitScript(pageHooks);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  return { context, page, errors };
}

/** Fills the login form and waits for the conference view. */
export async function login(
  p: Person,
  username: string,
  password: string,
  publish: "both" | "audio" | "none" = "both",
): Promise<void> {
  await p.page.locator("#username").fill(username);
  await p.page.locator("#password").fill(password);
  await p.page.locator(`input[name=publish][value=${publish}]`).check();
  await p.page.locator("#connect-button").click();
  await p.page.locator("#conference-view").waitFor({
    state: "visible",
    timeout: 10_000,
  });
}

/** Sends a chat line as typed. */
export async function say(p: Person, line: string): Promise<void> {
  const input = p.page.locator("#chat-input");
  await input.fill(line);
  await input.press("Enter");
}

/** Opens the user list entry of `username` and picks `action`. */
export async function userAction(
  p: Person,
  username: string,
  action: string,
): Promise<void> {
  const pane = p.page.locator("#users-pane");
  if (!(await pane.isVisible())) await p.page.locator("#users-button").click();
  await p.page.locator(".user", { hasText: username }).first().click();
  await p.page.getByRole("menuitem", { name: action }).click();
}
