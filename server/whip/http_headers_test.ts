import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { corsHeaders, iceServerLinks } from "./http_headers.ts";

Deno.test("iceServerLinks() gives one Link per URL, with quoted credentials", () => {
  deepStrictEqual(
    iceServerLinks([
      { urls: "stun:127.0.0.1:3478" },
      {
        urls: ["turn:127.0.0.1:1194?transport=udp", "turn:127.0.0.1:1194"],
        username: "1700000000:whip",
        credential: 'a"b\\c',
      },
    ]),
    [
      '<stun:127.0.0.1:3478>; rel="ice-server"',
      '<turn:127.0.0.1:1194?transport=udp>; rel="ice-server"; username="1700000000:whip"; credential="a\\"b\\\\c"; credential-type="password"',
      '<turn:127.0.0.1:1194>; rel="ice-server"; username="1700000000:whip"; credential="a\\"b\\\\c"; credential-type="password"',
    ],
  );
});

Deno.test("corsHeaders() names the Origin only when it is allowed", () => {
  const allowed = corsHeaders({
    allowedOrigin: "https://a.example",
    methods: "OPTIONS, POST",
    expose: "Location",
  });
  strictEqual(
    allowed.get("Access-Control-Allow-Origin"),
    "https://a.example",
  );
  strictEqual(allowed.get("Access-Control-Expose-Headers"), "Location");
  const refused = corsHeaders({
    allowedOrigin: null,
    methods: "OPTIONS, POST",
    expose: "Location",
  });
  strictEqual(refused.get("Access-Control-Allow-Origin"), null);
});
