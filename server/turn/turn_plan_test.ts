import { assertEquals } from "../../tests/support/assert.ts";
import { throws } from "node:assert";
import { isPublicIpv4, planTurn } from "./turn_plan.ts";

const PUBLIC = "203.0.113.7";

Deno.test("-turn auto is on with a public address and no ICE servers file", () => {
  assertEquals(
    planTurn("auto", {
      addresses: ["127.0.0.1", "10.0.0.2", PUBLIC],
      externalServers: false,
    }),
    {
      on: true,
      reason: `public address ${PUBLIC} (-turn auto)`,
      hostname: "0.0.0.0",
      port: 1194,
      advertise: PUBLIC,
    },
  );
});

Deno.test("-turn auto is off behind NAT, or when data/ice-servers.json lists servers", () => {
  assertEquals(
    planTurn("auto", {
      addresses: ["127.0.0.1", "192.168.1.2", "100.64.0.1"],
      externalServers: false,
    }),
    { on: false, reason: "no public IPv4 address to offer (-turn auto)" },
  );
  assertEquals(
    planTurn("auto", { addresses: [PUBLIC], externalServers: true }).on,
    false,
  );
});

Deno.test('-turn "" is off, IP:PORT and :PORT force it on', () => {
  assertEquals(planTurn("", { addresses: [PUBLIC], externalServers: false }), {
    on: false,
    reason: "-turn is empty",
  });
  const forced = planTurn("198.51.100.1:3478", {
    addresses: ["10.0.0.2"],
    externalServers: true,
  });
  assertEquals(forced.on && [forced.hostname, forced.port, forced.advertise], [
    "0.0.0.0",
    3478,
    "198.51.100.1",
  ]);
  const loop = planTurn("127.0.0.1:0", {
    addresses: [],
    externalServers: false,
  });
  assertEquals(loop.on && loop.hostname, "127.0.0.1");
  const port = planTurn(":1194", {
    addresses: ["127.0.0.1", "10.0.0.2"],
    externalServers: false,
  });
  assertEquals(port.on && port.advertise, "10.0.0.2");
  throws(() =>
    planTurn("turn.example:1194", { addresses: [], externalServers: false })
  );
  throws(() =>
    planTurn("1.2.3.4:99999", { addresses: [], externalServers: false })
  );
});

Deno.test("isPublicIpv4() excludes private, shared, loopback and link-local ranges", () => {
  for (
    const a of [
      "10.1.2.3",
      "172.16.0.1",
      "192.168.0.1",
      "127.0.0.1",
      "169.254.1.1",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "::1",
    ]
  ) {
    assertEquals(isPublicIpv4(a), false, a);
  }
  for (const a of [PUBLIC, "172.32.0.1", "100.128.0.1", "8.8.8.8"]) {
    assertEquals(isPublicIpv4(a), true, a);
  }
});
