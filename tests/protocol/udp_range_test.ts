/**
 * `-udp-range` through a real server process (`main.ts`), in a network
 * namespace of the test's own where the server has an IPv4 and an IPv6
 * address to offer, as a machine on a network has: every socket takes the
 * next free port of the range, a full range refuses one stream with a clear
 * error, and the server never exits. Needs root for the namespace.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { netnsAvailable, runInNetns } from "../support/netns.ts";
import type { ScenarioReport } from "./support/udp_range_scenario.ts";

const SCENARIO =
  new URL("./support/udp_range_scenario.ts", import.meta.url).pathname;
const IPV4 = "10.77.0.1";
const IPV6 = "fd77::1";
// Below Linux's ephemeral ports (32768-60999), where the namespace's
// clients bind theirs: only the server takes ports here.
const RANGE = "20000-20999";

async function scenario(
  args: string[],
  addresses: { ipv4: string; ipv6?: string },
): Promise<ScenarioReport> {
  const out = await runInNetns(addresses, {
    script: SCENARIO,
    args,
    // werift's DTLS errors, on standard error: told with a failure.
    env: {
      DEBUG: "werift-dtls*err,werift:packages/webrtc/src/transport/dtls.ts",
    },
  });
  const line = out.stdout.trim().split("\n").at(-1) ?? "";
  if (out.code !== 0 || !line.startsWith("{")) {
    throw new Error(`The scenario failed (${out.code}): ${out.stderr}`);
  }
  const report = JSON.parse(line) as ScenarioReport;
  if (report.failure !== undefined) {
    report.failure += `\nthe server's last lines:\n${report.serverLog}` +
      `\nthe clients' werift DTLS errors:\n${out.stderr.slice(-4000)}`;
  }
  return report;
}

function assertServerLived(report: ScenarioReport): void {
  strictEqual(
    report.serverExit,
    null,
    `the server exited: ${report.serverErrors}`,
  );
  strictEqual(report.serverErrors, "", "the server wrote to standard error");
}

Deno.test({
  name:
    "with -udp-range and IPv4 and IPv6 addresses, four members publishing at once and receiving each other, three rounds over, never crash the server",
  ignore: !netnsAvailable,
  async fn() {
    const report = await scenario(["call", RANGE], {
      ipv4: `${IPV4}/24`,
      ipv6: `${IPV6}/64`,
    });
    assertServerLived(report);
    strictEqual(report.failure, undefined);
    for (const offer of report.offers) {
      strictEqual(offer.type, "answer");
      deepStrictEqual([...new Set(offer.addresses)].sort(), [IPV4, IPV6]);
    }
    for (const counts of report.received) {
      ok(counts.every((n) => n >= 50), `packets: ${counts}`);
    }
    // The last round: 4 up and 16 down connections, one IPv4 and one IPv6
    // socket each.
    deepStrictEqual(report.sockets, [20, 20]);
  },
});

Deno.test({
  name:
    "a full -udp-range refuses the next stream with abort and an error naming the range, the server lives, and a freed port is used again",
  ignore: !netnsAvailable,
  async fn() {
    const report = await scenario(["exhaust", "20000-20002"], {
      ipv4: `${IPV4}/24`,
      ipv6: `${IPV6}/64`,
    });
    assertServerLived(report);
    strictEqual(report.failure, undefined);
    deepStrictEqual(
      report.offers.map((o) => o.type),
      ["answer", "answer", "answer", "abort", "answer"],
    );
    deepStrictEqual(report.sockets, [3, 3], "the range, full");
    const error = report.offers[3]!.error ?? "";
    ok(
      error.includes("No free UDP port in 20000-20002 for IPv4") &&
        error.includes("No free UDP port in 20000-20002 for IPv6"),
      error,
    );
  },
});

Deno.test({
  name:
    "with -udp-range and no IPv6 address to offer, the server opens no IPv6 socket and offers IPv4 only",
  ignore: !netnsAvailable,
  async fn() {
    const report = await scenario(["call", RANGE], { ipv4: `${IPV4}/24` });
    assertServerLived(report);
    strictEqual(report.failure, undefined);
    for (const offer of report.offers) {
      deepStrictEqual([...new Set(offer.addresses)], [IPV4]);
    }
    deepStrictEqual(report.sockets, [20, 0]);
  },
});
