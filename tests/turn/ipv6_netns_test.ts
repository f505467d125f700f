/**
 * The built-in TURN server as `-turn :PORT` starts it on a machine with an
 * IPv4 and an IPv6 address (a network namespace of the test's own: nothing
 * leaves it): it listens on every address of both families (TCP on one
 * dual-stack socket, where IPv4 clients must still be seen as IPv4), grants
 * IPv6 and dual allocations on the machine's IPv6 address, and relays to a
 * peer there. Needs root for the namespace.
 *
 * @module
 */

import { assertEquals } from "../support/assert.ts";
import { netnsAvailable, runInNetns } from "../support/netns.ts";
import type { Ipv6Report } from "./support/ipv6_scenario.ts";

const SCENARIO = new URL("./support/ipv6_scenario.ts", import.meta.url)
  .pathname;

Deno.test({
  name:
    "-turn :PORT with an IPv6 address listens on both families, sees IPv4 clients as IPv4, and relays IPv6 on the machine's address",
  ignore: !netnsAvailable,
  async fn() {
    const out = await runInNetns(
      { ipv4: "10.77.0.1/24", ipv6: "fd77::1/64" },
      { script: SCENARIO, timeoutMs: 60_000 },
    );
    const line = out.stdout.trim().split("\n").at(-1) ?? "";
    if (out.code !== 0 || !line.startsWith("{")) {
      throw new Error(`The scenario failed (${out.code}): ${out.stderr}`);
    }
    const r = JSON.parse(line) as Ipv6Report;
    assertEquals(r.mapped, {
      "udp 10.77.0.1": "10.77.0.1",
      "udp fd77::1": "fd77::1",
      "tcp 10.77.0.1": "10.77.0.1",
      "tcp fd77::1": "fd77::1",
    });
    assertEquals(r.relayed6.map((a) => a.split(" ")[0]), ["fd77::1"]);
    assertEquals(r.relayedDual.map((a) => a.split(" ")[0]), [
      "10.77.0.1",
      "fd77::1",
    ]);
    assertEquals([r.toPeer, r.fromPeer], ["to v6", "from v6"]);
    assertEquals(
      r.logs.filter((l) => l.startsWith("TURN server on")).length,
      1,
      r.logs.join("\n"),
    );
  },
});
