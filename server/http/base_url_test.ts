import { deepStrictEqual } from "node:assert/strict";
import { baseUrls } from "./base_url.ts";

Deno.test("baseUrls uses the Host header and the server's scheme", () => {
  const r = new Request("http://ignored/x", {
    headers: { host: "meet.example:8443" },
  });
  deepStrictEqual(baseUrls(r, { secure: true }), {
    http: "https://meet.example:8443",
    ws: "wss://meet.example:8443",
  });
  deepStrictEqual(baseUrls(r, { secure: false }).ws, "ws://meet.example:8443");
});

Deno.test("baseUrls prefers proxyURL, keeping its path", () => {
  const r = new Request("http://localhost:8443/");
  deepStrictEqual(
    baseUrls(r, { proxyURL: "https://example.org/galene/", secure: false }),
    { http: "https://example.org/galene", ws: "wss://example.org/galene" },
  );
});
