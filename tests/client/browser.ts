/**
 * The web client's group page in a browser, for the client's browser tests:
 * helpers that act as a person would on it (in a Chromium from
 * tests/support/browser.ts) and, for the tests that mix browsers, Firefox
 * ESR (over WebDriver BiDi) or Chromium through puppeteer-core, with the
 * same page hooks and the same readings of what a page receives.
 *
 * @module
 */

import type { Browser, BrowserContext, Page } from "playwright-core";
import puppeteer, {
  type Browser as AnyBrowser,
  type Page as AnyPage,
} from "puppeteer-core";
import { CHROMIUM_FLAGS } from "../support/browser.ts";

/** Where screenshots go (git-ignored). */
export const SCREENSHOTS = new URL("../screenshots/", import.meta.url);

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

/** The client's settings a test page starts from: they spare the two shared cores (one low-bitrate layer per camera). */
const LIGHT_SETTINGS: Record<string, string> = {
  simulcast: "off",
  throughput: "lowest",
};

// Runs in the page before its scripts: keeps the messages the client sends
// that the tests check (requestStream), and starts from `settings`.
// Also keeps the `request` and `offer` messages (without their SDP) and
// every peer connection, so that tests can read what was negotiated.
function pageHooks(settings: Record<string, string>): void {
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
        JSON.stringify(settings),
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
  /** Per encoding, as set; null when none is. */
  scalabilityMode: (string | null)[];
  /** What the encoder produces now, from `outbound-rtp` (video only). */
  encoding: string[];
}

/** The tracks the page sends now, over its open peer connections. */
export async function senders(p: Person): Promise<SenderInfo[]> {
  return await p.page.evaluate(async () => {
    const all = (globalThis as unknown as { __pcs: RTCPeerConnection[] })
      .__pcs
      .filter((pc) => pc.signalingState !== "closed")
      .flatMap((pc) => pc.getSenders())
      .filter((s) => s.track && s.track.readyState === "live");
    return await Promise.all(all.map(async (s) => {
      const encoding: string[] = [];
      (await s.getStats()).forEach((r) => {
        if (r.type === "outbound-rtp" && r.scalabilityMode) {
          encoding.push(r.scalabilityMode);
        }
      });
      const encodings = s.getParameters()
        .encodings as (RTCRtpEncodingParameters & {
          scalabilityMode?: string;
        })[];
      return {
        kind: s.track!.kind,
        settings: s.track!.getSettings(),
        maxBitrate: encodings.map((e) => e.maxBitrate ?? null),
        scalabilityMode: encodings.map((e) => e.scalabilityMode ?? null),
        encoding,
      };
    }));
  });
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
  await context.addInitScript(pageHooks, LIGHT_SETTINGS);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  return { context, page, errors };
}

/** Waits until `p` shows `count` tiles, each playing real frames. */
export async function tilesPlaying(
  p: Person,
  count: number,
  timeoutMs = 30_000,
): Promise<void> {
  await p.page.waitForFunction(
    (n) => {
      const v = [
        ...document.querySelectorAll<HTMLVideoElement>("#video-grid video"),
      ];
      return v.length === n && v.every((x) => x.videoWidth > 0);
    },
    count,
    { timeout: timeoutMs },
  );
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

// ---------------------------------------------------------------------------
// Mixed browsers, through puppeteer-core.

/** A browser the mixed tests can drive. */
export type BrowserKind = "firefox" | "chromium";

/**
 * Firefox's preferences: fake camera and microphone with no prompt (there
 * is no fake screen: headless Firefox offers none), host candidates in the
 * clear (a page without camera access would offer mDNS names, which Nereid
 * does not resolve), and no outbound traffic of its own: no updates,
 * telemetry, safe browsing, captive portal or connectivity checks, remote
 * settings, push, DNS-over-HTTPS, prefetching, region or search lookups, or
 * plugin downloads, and every name resolved to loopback. The tests run it
 * in a network namespace besides, where nothing beyond it answers.
 */
export const FIREFOX_PREFS: Record<string, string | number | boolean> = {
  "media.navigator.streams.fake": true,
  "media.navigator.permission.disabled": true,
  "media.peerconnection.ice.obfuscate_host_addresses": false,
  "media.autoplay.default": 0,
  "media.autoplay.block-webaudio": false,
  "app.update.enabled": false,
  "app.update.auto": false,
  "app.update.disabledForTesting": true,
  "app.normandy.enabled": false,
  "app.shield.optoutstudies.enabled": false,
  "toolkit.telemetry.enabled": false,
  "toolkit.telemetry.unified": false,
  "toolkit.telemetry.server": "",
  "datareporting.policy.dataSubmissionEnabled": false,
  "datareporting.healthreport.uploadEnabled": false,
  "browser.ping-centre.telemetry": false,
  "browser.safebrowsing.malware.enabled": false,
  "browser.safebrowsing.phishing.enabled": false,
  "browser.safebrowsing.downloads.enabled": false,
  "browser.safebrowsing.downloads.remote.enabled": false,
  "browser.safebrowsing.blockedURIs.enabled": false,
  "browser.safebrowsing.provider.mozilla.updateURL": "",
  "browser.safebrowsing.provider.google4.updateURL": "",
  "network.captive-portal-service.enabled": false,
  "network.connectivity-service.enabled": false,
  "network.trr.mode": 5,
  "network.dns.disablePrefetch": true,
  "network.prefetch-next": false,
  "network.http.speculative-parallel-limit": 0,
  "services.settings.server": "data:,",
  "extensions.update.enabled": false,
  "extensions.getAddons.cache.enabled": false,
  "extensions.systemAddon.update.enabled": false,
  "media.gmp-manager.updateEnabled": false,
  "media.gmp-manager.url": "data:,",
  "dom.push.connection.enabled": false,
  "dom.push.serverURL": "",
  "browser.region.network.url": "",
  "browser.region.update.enabled": false,
  "browser.search.update": false,
  "geo.provider.network.url": "",
  "browser.newtabpage.enabled": false,
  "browser.startup.page": 0,
  "browser.aboutHomeSnippets.updateUrl": "",
  "browser.contentblocking.report.monitor.enabled": false,
  "privacy.trackingprotection.enabled": false,
  "identity.fxaccounts.enabled": false,
  // Every name resolves to loopback: whatever service is left asks nobody.
  "network.dns.native-is-localhost": true,
};

/** Launches Debian's Firefox ESR (WebDriver BiDi) or Chromium (CDP) with fake devices. */
export async function launchAny(kind: BrowserKind): Promise<AnyBrowser> {
  if (kind === "firefox") {
    return await puppeteer.launch({
      browser: "firefox",
      protocol: "webDriverBiDi",
      executablePath: "/usr/bin/firefox-esr",
      headless: true,
      extraPrefsFirefox: FIREFOX_PREFS,
      // Release builds honour services.settings.server only with this set.
      env: { ...Deno.env.toObject(), MOZ_REMOTE_SETTINGS_DEVTOOLS: "1" },
      timeout: 60_000,
    });
  }
  return await puppeteer.launch({
    browser: "chrome",
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_FLAGS,
    timeout: 60_000,
  });
}

/** A person in a browser driven by puppeteer. */
export interface AnyPerson {
  kind: BrowserKind;
  page: AnyPage;
  errors: string[];
}

/** Opens the group page in a fresh context, starting from `settings`. */
export async function openAny(
  browser: AnyBrowser,
  kind: BrowserKind,
  url: string,
  settings: Record<string, string> = LIGHT_SETTINGS,
): Promise<AnyPerson> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1280, height: 760 });
  await page.evaluateOnNewDocument(pageHooks, settings);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  return { kind, page, errors };
}

/** Fills the login form and waits for the conference view. */
export async function loginAny(
  p: AnyPerson,
  username: string,
  password: string,
  publish: "both" | "audio" | "none" = "both",
): Promise<void> {
  await p.page.waitForSelector("#username", { visible: true });
  await p.page.type("#username", username);
  await p.page.type("#password", password);
  await p.page.click(`input[name=publish][value=${publish}]`);
  await p.page.click("#connect-button");
  await p.page.waitForSelector("#conference-view", {
    visible: true,
    timeout: 10_000,
  });
}

/** What a page receives from one remote stream, read from getStats. */
export interface Received {
  /** The id of the MediaStream the tile plays (a new one per down stream). */
  stream: string;
  /** Video frames decoded so far, and the decoded size and frame rate. */
  framesDecoded: number;
  width: number;
  height: number;
  fps: number;
  /** Audio energy received so far (rises while sound plays). */
  audioEnergy: number;
}

/**
 * Runs in the page (through either driver's `evaluate`): what it receives
 * of `username`'s camera (the tile showing it), undefined while no such
 * tile plays.
 */
export async function readReceived(
  username: string,
): Promise<Received | undefined> {
  const tile = [...document.querySelectorAll<HTMLElement>(".tile")]
    .find((t) => t.textContent?.includes(username) && t.querySelector("video"));
  const stream = tile?.querySelector("video")?.srcObject;
  if (!(stream instanceof MediaStream)) return undefined;
  const ids = new Set(stream.getTracks().map((t) => t.id));
  const r = {
    stream: stream.id,
    framesDecoded: 0,
    width: 0,
    height: 0,
    fps: 0,
    audioEnergy: 0,
  };
  let found = false;
  for (
    const pc of (globalThis as unknown as { __pcs: RTCPeerConnection[] }).__pcs
  ) {
    if (pc.connectionState === "closed") continue;
    (await pc.getStats()).forEach((s) => {
      if (s.type !== "inbound-rtp" || !ids.has(s.trackIdentifier)) return;
      found = true;
      if (s.kind === "video") {
        r.framesDecoded = s.framesDecoded ?? 0;
        r.width = s.frameWidth ?? 0;
        r.height = s.frameHeight ?? 0;
        r.fps = s.framesPerSecond ?? 0;
      } else if (s.kind === "audio") {
        r.audioEnergy = s.totalAudioEnergy ?? 0;
      }
    });
  }
  return found ? r : undefined;
}

/**
 * What the page receives of `username`'s camera (the tile showing it),
 * undefined while no such tile plays.
 */
export async function receivedFrom(
  p: AnyPerson,
  username: string,
): Promise<Received | undefined> {
  return await p.page.evaluate(readReceived, username);
}
