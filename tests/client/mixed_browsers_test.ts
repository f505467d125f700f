// Firefox ESR and Chromium together through the web client, in a network
// namespace of the test's own (see mixed_browsers_scenario.ts): calls both
// ways between the browsers, Firefox's own features, and a minute of
// Firefox publishing simulcast to Chromium.

import assert from "node:assert/strict";
import { netnsAvailable, runInNetns } from "../support/netns.ts";
import type { MixedReport, PairReport } from "./mixed_browsers_scenario.ts";

const SCENARIO =
  new URL("./mixed_browsers_scenario.ts", import.meta.url).pathname;
// Firefox gathers candidates only with a default route through a real
// interface: eth0 of the namespace, a gateway nothing answers.
const GATEWAY = "10.78.0.254";
const NETWORK = {
  ipv4: "10.78.0.1/24",
  device: "eth0",
  gateway: GATEWAY,
};

let firefox = false;
try {
  firefox = (await Deno.stat("/usr/bin/firefox-esr")).isFile;
} catch {
  // Not installed: tests/setup.ts installs it.
}
const ignore = !netnsAvailable || !firefox;

async function scenario(args: string[]): Promise<MixedReport> {
  const out = await runInNetns(NETWORK, {
    script: SCENARIO,
    args,
    timeoutMs: 180_000,
  });
  const line = out.stdout.trim().split("\n").at(-1) ?? "";
  if (!line.startsWith("{")) {
    throw new Error(`The scenario failed (${out.code}): ${out.stderr}`);
  }
  const report = JSON.parse(line) as MixedReport;
  if (report.failure) {
    throw new Error(`${report.failure}\n${out.stderr.slice(-6000)}`);
  }
  // Nothing (Firefox's own services included) tried to leave the namespace:
  // that would have asked for the gateway's link address.
  assert.doesNotMatch(report.neighbours ?? "", new RegExp(GATEWAY));
  return report;
}

function describe(p: PairReport): string {
  const l = p.last;
  return `${p.from}→${p.to} (${p.browsers}): ${l.width}×${l.height} at ${
    l.fps.toFixed(0)
  } fps, ${l.framesDecoded} frames, audio energy ${
    p.first.audioEnergy.toPrecision(2)
  } → ${l.audioEnergy.toPrecision(2)}`;
}

function assertPlays(p: PairReport): void {
  assert.ok(p.last.width > 0 && p.last.height > 0, describe(p));
  assert.ok(p.last.framesDecoded > p.first.framesDecoded, describe(p));
  assert.ok(p.last.audioEnergy > p.first.audioEnergy, describe(p));
}

Deno.test({
  name:
    "Firefox ↔ Chromium and Firefox ↔ Firefox: video decoded and audio heard every way; Firefox's device lists, file transfer and screen share",
  ignore,
  async fn() {
    const report = await scenario(["call"]);
    console.log(report.pairs.map(describe).join("\n"));
    const ways = report.pairs.map((p) => p.browsers).sort();
    assert.deepEqual(ways, [
      "chromium→firefox",
      "firefox→chromium",
      "firefox→firefox",
      "firefox→firefox",
    ]);
    for (const p of report.pairs) assertPlays(p);
    // Firefox's fake devices, by name, beside the client's "Default" entry.
    assert.ok(
      report.devices!.cameras.includes("Default Video Device"),
      `${report.devices!.cameras}`,
    );
    assert.ok(
      report.devices!.microphones.includes("Default Audio Device"),
      `${report.devices!.microphones}`,
    );
    assert.equal(report.transfer!.received, report.transfer!.sent);
    console.log(`screen share in headless Firefox: ${report.screenShare}`);
    // Headless Firefox offers no screen: the client must say so.
    assert.match(
      report.screenShare!,
      /^(published|refused: No screen was found)$/,
    );
    assert.deepEqual(report.errors, { ann: [], bob: [], carol: [] });
  },
});

Deno.test({
  name:
    "Firefox publishing simulcast to Chromium at a steady window size for 60 s: at most 2 layer switches",
  ignore,
  async fn() {
    const report = await scenario(["simulcast", "60"]);
    const changes = report.layerChanges!;
    console.log(describe(report.pairs[0]!));
    console.log(
      `before the minute: ${
        report.layerChangesBefore!.join("; ")
      }\n${changes.length} layer switch(es) in it:\n${
        changes.map((c) => `${c.at} s: ${c.line}`).join("\n")
      }\nreceived each second: ${report.layerSamples!.join(" ")}`,
    );
    console.log(`Firefox sends: ${report.publishedLayers!.join(", ")}`);
    assert.equal(report.publishedLayers!.length, 2, "two simulcast layers");
    assertPlays(report.pairs[0]!);
    assert.ok(changes.length <= 2, `${changes.length} layer switches`);
    assert.deepEqual(report.errors, { ann: [], bob: [] });
  },
});
