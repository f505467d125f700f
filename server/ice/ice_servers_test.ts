import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { createHmac } from "node:crypto";
import { parseIceServers, resolveIceServer } from "./ice_servers.ts";

Deno.test("parseIceServers accepts a single URL string and plain credentials", () => {
  const [e] = parseIceServers([{ urls: "stun:stun.example:3478" }], "f");
  deepStrictEqual(e, { urls: ["stun:stun.example:3478"], credentialType: "" });
});

Deno.test("parseIceServers names the entry that is wrong", () => {
  throws(() => parseIceServers([{ urls: 3 }], "ice.json"), /ice.json: entry 0/);
  throws(
    () => parseIceServers([{ urls: [], credentialType: "x" }], "f"),
    /credentialType/,
  );
  throws(() => parseIceServers({}, "f"), /must be a list/);
});

Deno.test("resolveIceServer computes coturn's time-limited credentials", () => {
  const now = 1_700_000_000_000;
  const s = resolveIceServer({
    urls: ["turn:t.example"],
    username: "galene",
    credential: "secret",
    credentialType: "hmac-sha1",
  }, now);
  const expectedUser = `${1_700_000_000 + 86400}:galene`;
  strictEqual(s.username, expectedUser);
  strictEqual(
    s.credential,
    createHmac("sha1", "secret").update(expectedUser).digest("base64"),
  );
});
