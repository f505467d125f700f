/**
 * Firefox and Chromium in one group through the web client, run by
 * mixed_browsers_test.ts inside a network namespace (Firefox gathers no
 * candidate on loopback): a Nereid server listening there, browsers
 * launched there. Prints one JSON line, a {@link MixedReport}, last on
 * standard output.
 *
 * ```sh
 * deno run -A tests/client/mixed_browsers_scenario.ts call
 * deno run -A tests/client/mixed_browsers_scenario.ts simulcast SECONDS
 * ```
 *
 * `call`: ann (Firefox), bob (Chromium) and carol (Firefox) publish camera
 * and microphone; what each receives from each, then Firefox's device
 * lists, a file sent from ann to carol, and ann sharing her screen.
 * `simulcast`: ann (Firefox) publishes two simulcast layers to bob
 * (Chromium, a steady 1280×760 window) for SECONDS; the server's layer
 * decisions for bob are counted.
 *
 * @module
 */

import type { Browser as AnyBrowser } from "puppeteer-core";
import {
  type AnyPerson,
  type BrowserKind,
  launchAny,
  loginAny,
  openAny,
  type Received,
  receivedFrom,
} from "./browser.ts";
import { startTestServer } from "../support/test_server.ts";
import { waitFor } from "../support/wait_for.ts";
import { DEMO_GROUP } from "../support/groups.ts";

/** What one person receives from another. */
export interface PairReport {
  from: string;
  to: string;
  /** "firefox→chromium" and so on. */
  browsers: string;
  first: Received;
  last: Received;
}

/** The scenario's findings. */
export interface MixedReport {
  pairs: PairReport[];
  /** Page errors, per person. */
  errors: Record<string, string[]>;
  /** Firefox's camera and microphone lists (option labels). */
  devices?: { cameras: string[]; microphones: string[] };
  /** The file ann sent carol: sizes and digests on both sides. */
  transfer?: { sent: string; received: string; bytes: number };
  /** What sharing the screen in headless Firefox gave: "published", or "refused: " and the error shown. */
  screenShare?: string;
  /** Simulcast: the layers ann's Firefox sends ("rid WxH"), at the end. */
  publishedLayers?: string[];
  /** Simulcast: the server's target-layer changes before the count starts. */
  layerChangesBefore?: string[];
  /** Simulcast: the server's target-layer changes for bob, with times (s). */
  layerChanges?: { at: number; line: string }[];
  /** Simulcast: the layers bob received, sampled once a second. */
  layerSamples?: string[];
  /**
   * The namespace's neighbour table at the end (`ip neigh`): an entry for
   * the gateway means something tried to reach beyond the namespace.
   */
  neighbours?: string;
  failure?: string;
}

// The simulcast scenario samples the layers bob receives once a second for
// a set time (a report over time, not a wait for a condition).
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Browsers in a namespace are slow to start: checks every 250 ms, for 30 s. */
const BROWSER_WAIT = { timeoutMs: 30_000, intervalMs: 250 };

/** Waits until `to` decodes `from`'s video and hears audio, and reports it. */
async function pair(
  to: AnyPerson,
  toName: string,
  from: AnyPerson,
  fromName: string,
): Promise<PairReport> {
  const reading = () => receivedFrom(to, fromName);
  const first = await waitFor(
    `${toName} decoding ${fromName}'s video`,
    async () => {
      const r = await reading();
      return r && r.framesDecoded > 0 && r.audioEnergy > 0 ? r : undefined;
    },
    BROWSER_WAIT,
  );
  const last = await waitFor(
    `${toName} receiving more of ${fromName}`,
    async () => {
      const r = await reading();
      return r && r.framesDecoded >= first.framesDecoded + 20 &&
          r.audioEnergy > first.audioEnergy && r.fps > 0
        ? r
        : undefined;
    },
    BROWSER_WAIT,
  );
  return {
    from: fromName,
    to: toName,
    browsers: `${from.kind}→${to.kind}`,
    first,
    last,
  };
}

async function call(
  url: string,
  browsers: Record<BrowserKind, AnyBrowser>,
  report: MixedReport,
  people: Record<string, AnyPerson>,
): Promise<void> {
  const cast: [string, BrowserKind][] = [
    ["ann", "firefox"],
    ["bob", "chromium"],
    ["carol", "firefox"],
  ];
  for (const [name, kind] of cast) {
    people[name] = await openAny(browsers[kind], kind, url);
    await loginAny(people[name]!, name, "x");
  }
  const { ann, bob, carol } = people as Record<string, AnyPerson>;
  for (
    const [to, toName, from, fromName] of [
      [bob, "bob", ann, "ann"],
      [ann, "ann", bob, "bob"],
      [carol, "carol", ann, "ann"],
      [ann, "ann", carol, "carol"],
    ] as const
  ) {
    report.pairs.push(await pair(to!, toName, from!, fromName));
  }
  report.devices = await ann!.page.evaluate(() => {
    const labels = (id: string) =>
      [...document.querySelectorAll<HTMLOptionElement>(`#${id} option`)]
        .map((o) => o.textContent ?? "");
    return {
      cameras: labels("camera-select"),
      microphones: labels("microphone-select"),
    };
  });
  report.transfer = await transfer(ann!, carol!);
  report.screenShare = await screenShare(ann!, bob!);
}

/**
 * ann sends carol a 256 KiB file through the client's own transfer (the
 * file picker answered in the page: headless Firefox shows none), carol
 * accepts; the digests of what was sent and what carol can save.
 */
async function transfer(
  ann: AnyPerson,
  carol: AnyPerson,
): Promise<NonNullable<MixedReport["transfer"]>> {
  await carol.page.evaluate(() => {
    const g = globalThis as unknown as { __saved: Blob[] };
    g.__saved = [];
    const create = URL.createObjectURL;
    URL.createObjectURL = (o: Blob | MediaSource) => {
      if (o instanceof Blob) g.__saved.push(o);
      return create(o);
    };
  });
  const sent = await ann.page.evaluate(async () => {
    const bytes = new Uint8Array(256 * 1024);
    for (let i = 0; i < bytes.length; i += 65536) {
      crypto.getRandomValues(bytes.subarray(i, i + 65536));
    }
    const file = new File([bytes], "data.bin", {
      type: "application/octet-stream",
    });
    const click = HTMLInputElement.prototype.click;
    HTMLInputElement.prototype.click = function () {
      if (this.type !== "file") return click.call(this);
      HTMLInputElement.prototype.click = click;
      const dt = new DataTransfer();
      dt.items.add(file);
      this.files = dt.files;
      this.dispatchEvent(new Event("change"));
    };
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    return [...new Uint8Array(digest)].map((b) => b.toString(16)).join("");
  });
  // The user menu's "Send a file…" on carol's entry.
  await ann.page.evaluate(() => {
    const pane = document.querySelector<HTMLElement>("#users-pane");
    if (pane && pane.offsetParent === null) {
      document.querySelector<HTMLElement>("#users-button")?.click();
    }
  });
  await waitFor(
    "carol in ann's user list",
    async () =>
      await ann.page.evaluate(() => {
        const u = [...document.querySelectorAll<HTMLElement>(".user")]
          .find((e) => e.textContent?.includes("carol"));
        u?.click();
        const item = [
          ...document.querySelectorAll<HTMLElement>("[role=menuitem]"),
        ]
          .find((e) => e.textContent?.includes("Send a file"));
        item?.click();
        return item ? true : undefined;
      }),
    BROWSER_WAIT,
  );
  await waitFor(
    "carol accepting the file",
    async () =>
      await carol.page.evaluate(() => {
        const card = [
          ...document.querySelectorAll<HTMLElement>(".msg.transfer"),
        ]
          .find((e) => e.textContent?.includes("data.bin"));
        const accept = [...(card?.querySelectorAll("button") ?? [])]
          .find((b) => b.textContent?.includes("Accept"));
        accept?.click();
        return accept ? true : undefined;
      }),
    BROWSER_WAIT,
  );
  const got = await waitFor(
    "the file at carol's",
    async () =>
      await carol.page.evaluate(async () => {
        const g = globalThis as unknown as { __saved: Blob[] };
        const blob = g.__saved.find((b) => b.size === 256 * 1024);
        if (!blob) return undefined;
        const digest = await crypto.subtle.digest(
          "SHA-256",
          await blob.arrayBuffer(),
        );
        return {
          digest: [...new Uint8Array(digest)].map((b) => b.toString(16)).join(
            "",
          ),
          bytes: blob.size,
        };
      }),
    BROWSER_WAIT,
  );
  return { sent, received: got.digest, bytes: got.bytes };
}

/**
 * ann shares her screen: "published" when bob sees a second tile of hers,
 * else "refused: " and the error the client shows (headless Firefox has no
 * screen to offer).
 */
async function screenShare(ann: AnyPerson, bob: AnyPerson): Promise<string> {
  const tiles = () =>
    bob.page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>(".tile")]
        .filter((t) => t.textContent?.includes("ann")).length
    );
  const before = await tiles();
  await ann.page.click("#share-button");
  return await waitFor("ann's screen at bob's, or an error", async () => {
    if ((await tiles()) > before) return "published";
    const error = await ann.page.evaluate(() =>
      document.querySelector("#toasts .toast.error")?.textContent
    );
    return error ? `refused: ${error}` : undefined;
  }, { ...BROWSER_WAIT, timeoutMs: 15_000 });
}

async function simulcast(
  url: string,
  browsers: Record<BrowserKind, AnyBrowser>,
  report: MixedReport,
  people: Record<string, AnyPerson>,
  logs: readonly string[],
  seconds: number,
): Promise<void> {
  const ann = await openAny(browsers.firefox, "firefox", url, {
    simulcast: "on",
    throughput: "normal",
  });
  people.ann = ann;
  await loginAny(ann, "ann", "x");
  const bob = await openAny(browsers.chromium, "chromium", url);
  people.bob = bob;
  await loginAny(bob, "bob", "x", "none");
  const first = await pair(bob, "bob", ann, "ann");
  const isChange = (l: string) => / target layer \d+ → \d+/.test(l);
  report.layerChangesBefore = logs.filter(isChange);
  const start = Date.now();
  let seen = logs.length;
  report.layerChanges = [];
  report.layerSamples = [];
  while (Date.now() - start < seconds * 1000) {
    await sleep(1000);
    const at = Math.round((Date.now() - start) / 1000);
    for (const line of logs.slice(seen).filter(isChange)) {
      report.layerChanges.push({ at, line });
    }
    seen = logs.length;
    const r = await receivedFrom(bob, "ann");
    report.layerSamples.push(
      r ? `${r.width}x${r.height}@${r.fps.toFixed(0)}` : "-",
    );
  }
  const last = await receivedFrom(bob, "ann") ?? first.last;
  report.pairs.push({ ...first, last });
  report.publishedLayers = await ann.page.evaluate(async () => {
    const layers: string[] = [];
    for (
      const pc of (globalThis as unknown as { __pcs: RTCPeerConnection[] })
        .__pcs
    ) {
      if (pc.connectionState === "closed") continue;
      (await pc.getStats()).forEach((s) => {
        if (s.type === "outbound-rtp" && s.kind === "video" && s.bytesSent) {
          layers.push(`${s.rid ?? "-"} ${s.frameWidth}x${s.frameHeight}`);
        }
      });
    }
    return layers.sort();
  });
}

async function main(): Promise<void> {
  const [mode, secondsArg] = Deno.args;
  const report: MixedReport = { pairs: [], errors: {} };
  const srv = await startTestServer({
    groups: { demo: DEMO_GROUP },
    loopbackOnly: false,
  });
  const url = `${srv.url}/group/demo/`;
  const people: Record<string, AnyPerson> = {};
  const browsers: Partial<Record<BrowserKind, AnyBrowser>> = {};
  try {
    browsers.firefox = await launchAny("firefox");
    browsers.chromium = await launchAny("chromium");
    const all = browsers as Record<BrowserKind, AnyBrowser>;
    if (mode === "call") await call(url, all, report, people);
    else if (mode === "simulcast") {
      await simulcast(
        url,
        all,
        report,
        people,
        srv.logs,
        Number(secondsArg ?? 60),
      );
    } else throw new Error(`unknown mode ${mode}`);
  } catch (e) {
    report.failure = e instanceof Error ? e.stack ?? e.message : String(e);
  } finally {
    for (const [name, p] of Object.entries(people)) {
      report.errors[name] = p.errors;
    }
    for (const b of Object.values(browsers)) await b.close().catch(() => {});
    await srv.close();
  }
  const neigh = await new Deno.Command("ip", { args: ["neigh", "show"] })
    .output();
  report.neighbours = new TextDecoder().decode(neigh.stdout).trim();
  if (report.failure) console.error(srv.logs.slice(-80).join("\n"));
  console.log(JSON.stringify(report));
}

if (import.meta.main) await main();
