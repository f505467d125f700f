import assert from "node:assert/strict";
import * as jose from "jose";
import {
  type GroupDescription,
  parseGroupDescription,
} from "../config/group_description.ts";
import { parseServerConfig } from "../config/server_config.ts";
import type { TokenVerifier } from "../signalling/session_deps.ts";
import { TokenStore } from "./token_store.ts";
import { looksLikeJwt, Tokens } from "./token_verifier.ts";

const NOW = Date.parse("2026-07-28T14:00:00Z");
const HOUR = 3600_000;

async function withTokens(
  authKeys: unknown[],
  run: (tokens: Tokens) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "nereid-verifier-" });
  try {
    const groups = new Map<string, GroupDescription>([[
      "night-watch",
      parseGroupDescription({ authKeys }, { file: "groups/night-watch.json" }),
    ]]);
    const config = parseServerConfig(
      { canonicalHost: "galene.example.org" },
      { file: "data/config.json" },
    );
    const tokens = new Tokens({
      store: new TokenStore({ dataDir: dir, log: () => {} }),
      description: (name) => Promise.resolve(groups.get(name)),
      config: () => Promise.resolve(config),
    });
    await run(tokens);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("Tokens.verify() checks a stateful token from the store", async () => {
  await withTokens([], async (tokens) => {
    await tokens.store.add({
      token: "hR8x2kQp0aE",
      group: "night-watch",
      includeSubgroups: false,
      username: "carrot",
      permissions: ["present", "message"],
      expires: NOW + HOUR,
    });
    const verifier: TokenVerifier = tokens;
    assert.deepEqual(
      await verifier.verify("hR8x2kQp0aE", { group: "night-watch", now: NOW }),
      {
        ok: true,
        username: "carrot",
        permissions: ["present", "message"],
        kind: "stateful",
      },
    );
    const elsewhere = await tokens.verify("hR8x2kQp0aE", {
      group: "day-watch",
      now: NOW,
    });
    assert.equal(elsewhere.ok, false);
    const late = await tokens.verify("hR8x2kQp0aE", {
      group: "night-watch",
      now: NOW + HOUR,
    });
    assert.equal(late.ok, false);
  });
});

Deno.test("Tokens.verify() refuses an unknown stateful token without quoting it", async () => {
  await withTokens([], async (tokens) => {
    const result = await tokens.verify("no-such-token", {
      group: "night-watch",
      now: NOW,
    });
    assert.deepEqual(result, { ok: false, message: "Unknown token" });
  });
});

Deno.test("Tokens.verify() sends a JWT to the group's keys", async () => {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const jwk = { kty: "oct", k: jose.base64url.encode(raw), alg: "HS256" };
  await withTokens([jwk], async (tokens) => {
    const jwt = await new jose.SignJWT({
      sub: "carrot",
      aud: "https://galene.example.org/group/night-watch/",
      permissions: ["present"],
      exp: NOW / 1000 + 30,
    }).setProtectedHeader({ alg: "HS256" }).sign(raw);
    assert.deepEqual(
      await tokens.verify(jwt, { group: "night-watch", now: NOW }),
      { ok: true, username: "carrot", permissions: ["present"], kind: "jwt" },
    );
    const unknownGroup = await tokens.verify(jwt, { group: "x", now: NOW });
    assert.equal(unknownGroup.ok, false);
  });
});

Deno.test("Tokens.purge() delegates to the store", async () => {
  await withTokens([], async (tokens) => {
    await tokens.store.add({
      token: "old",
      group: "night-watch",
      includeSubgroups: false,
      permissions: [],
      expires: NOW - 8 * 24 * HOUR,
    });
    assert.equal(await tokens.purge(NOW), 1);
  });
});

Deno.test("looksLikeJwt() tells JWTs from stateful token names", () => {
  const header = jose.base64url.encode(
    new TextEncoder().encode('{"alg":"none"}'),
  );
  assert.equal(looksLikeJwt(`${header}.e30.`), true);
  assert.equal(looksLikeJwt(`${header}.e30.c2ln`), true);
  assert.equal(looksLikeJwt("hR8x2kQp0aE"), false);
  assert.equal(looksLikeJwt("a.b.c"), false);
  assert.equal(looksLikeJwt(".e30.c2ln"), false);
  const noAlg = jose.base64url.encode(new TextEncoder().encode('{"typ":1}'));
  assert.equal(looksLikeJwt(`${noAlg}.e30.c2ln`), false);
  assert.equal(looksLikeJwt(`${header}.e30.c2ln.extra`), false);
});
