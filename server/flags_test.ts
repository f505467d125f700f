import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  defaultFlags,
  listenAddress,
  parseFlags,
  udpPortRange,
  usage,
  UsageError,
} from "./flags.ts";

const d = defaultFlags("./client");

Deno.test("parseFlags accepts Galène's -flag value and --flag=value forms", () => {
  const f = parseFlags([
    "-http",
    ":9000",
    "--data=/srv/data",
    "-insecure",
    "--relay-only=true",
  ], d);
  strictEqual(f.http, ":9000");
  strictEqual(f.data, "/srv/data");
  strictEqual(f.insecure, true);
  strictEqual(f.relayOnly, true);
  strictEqual(f.groups, "./groups");
});

Deno.test("parseFlags refuses unknown flags, missing values and bad booleans", () => {
  throws(() => parseFlags(["-nope"], d), UsageError);
  throws(() => parseFlags(["-http"], d), UsageError);
  throws(() => parseFlags(["-insecure=maybe"], d), UsageError);
  throws(() => parseFlags(["stray"], d), UsageError);
  throws(() => parseFlags(["-udp-range", "a-b"], d), UsageError);
});

Deno.test("udpPortRange takes LOW-HIGH and refuses a single port, an empty or reversed range and ports past 65535", () => {
  deepStrictEqual(udpPortRange("43000-43999"), [43000, 43999]);
  strictEqual(udpPortRange(""), undefined);
  for (const bad of ["43000", "5-5", "9-8", "0-10", "1-65536", "1-2-3"]) {
    throws(() => udpPortRange(bad), UsageError, bad);
    throws(() => parseFlags(["-udp-range", bad], d), UsageError, bad);
  }
  throws(() => udpPortRange("43000"), /single port/);
});

Deno.test("listenAddress splits host and port, with any host by default", () => {
  deepStrictEqual(listenAddress(":8443"), { hostname: "0.0.0.0", port: 8443 });
  deepStrictEqual(listenAddress("127.0.0.1:0"), {
    hostname: "127.0.0.1",
    port: 0,
  });
  deepStrictEqual(listenAddress("[::1]:80"), { hostname: "::1", port: 80 });
  throws(() => listenAddress("8443"), UsageError);
});

Deno.test("usage lists every flag", () => {
  for (
    const f of [
      "-http",
      "-data",
      "-groups",
      "-recordings",
      "-static",
      "-insecure",
      "-udp-range",
      "-turn",
      "-relay-only",
      "-mdns",
      "-role",
      "-redis",
      "-media-listen",
      "-media-url",
      "-node-id",
    ]
  ) {
    strictEqual(usage().includes(f), true, f);
  }
});

Deno.test('parseFlags takes -turn "", auto, :PORT or IP:PORT and -turn-tls PORT', () => {
  strictEqual(parseFlags([], d).turn, "auto");
  strictEqual(parseFlags(["-turn", ""], d).turn, "");
  strictEqual(
    parseFlags(["-turn=203.0.113.7:1194"], d).turn,
    "203.0.113.7:1194",
  );
  strictEqual(
    parseFlags(["-turn", ":3478", "-turn-tls", "5349"], d).turnTls,
    "5349",
  );
  throws(() => parseFlags(["-turn", "yes"], d), UsageError);
  throws(() => parseFlags(["-turn", "1.2.3.4:70000"], d), UsageError);
  throws(() => parseFlags(["-turn-tls", "x"], d), UsageError);
});

Deno.test("-role is all, edge or media; an edge needs -redis and -role all takes none", () => {
  strictEqual(parseFlags([], d).role, "all");
  const edge = parseFlags(["-role", "edge", "-redis", "redis://r:6379"], d);
  deepStrictEqual([edge.role, edge.redis], ["edge", "redis://r:6379"]);
  strictEqual(parseFlags(["-role=media"], d).role, "media");
  throws(() => parseFlags(["-role", "proxy"], d), UsageError);
  throws(
    () => parseFlags(["-role", "edge"], d),
    /-role edge needs -redis/,
  );
  throws(
    () => parseFlags(["-redis", "redis://r:6379"], d),
    /-redis needs -role edge or media/,
  );
});
