import assert from "node:assert/strict";
import * as jose from "jose";
import type { JsonObject } from "../config/json_fields.ts";
import { audienceAllows, parseAuthKey, verifyJwt } from "./jwt.ts";

const NOW = Date.parse("2026-07-28T14:00:00Z");
const SECONDS = NOW / 1000;
const AUD = "https://galene.example.org/group/night-watch/";
const CONFIG = { canonicalHost: "galene.example.org" };

interface TestKey {
  /** What goes into the group's authKeys. */
  jwk: JsonObject;
  sign: jose.CryptoKey | Uint8Array;
  alg: string;
}

async function pair(alg: "ES256" | "RS256", kid?: string): Promise<TestKey> {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, {
    extractable: true,
  });
  const jwk: JsonObject = { ...await jose.exportJWK(publicKey), alg };
  if (kid !== undefined) jwk["kid"] = kid;
  return { jwk, sign: privateKey, alg };
}

function secret(
  alg: "HS256" | "HS384" | "HS512",
  bytes?: number,
): TestKey {
  const raw = crypto.getRandomValues(
    new Uint8Array(bytes ?? Number(alg.slice(2)) / 8),
  );
  const jwk: JsonObject = { kty: "oct", k: jose.base64url.encode(raw), alg };
  return { jwk, sign: raw, alg };
}

function claims(extra: jose.JWTPayload = {}): jose.JWTPayload {
  return {
    sub: "carrot",
    aud: AUD,
    permissions: ["present", "message"],
    iat: SECONDS,
    exp: SECONDS + 30,
    ...extra,
  };
}

function sign(
  key: TestKey,
  payload: jose.JWTPayload,
  header: Partial<jose.JWTHeaderParameters> = {},
): Promise<string> {
  return new jose.SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, typ: "JWT", ...header })
    .sign(key.sign);
}

function verify(
  token: string,
  keys: TestKey[],
  options: {
    group?: string;
    config?: { canonicalHost?: string; proxyURL?: string };
    now?: number;
  } = {},
) {
  return verifyJwt(token, {
    group: options.group ?? "night-watch",
    description: { authKeys: keys.map((k) => k.jwk) },
    config: options.config ?? CONFIG,
    now: options.now ?? NOW,
  });
}

const GRANT = {
  ok: true,
  username: "carrot",
  permissions: ["present", "message"],
};

Deno.test("verifyJwt() accepts HS256, HS384, HS512, ES256 and RS256 tokens", async () => {
  const keys = [
    secret("HS256"),
    secret("HS384"),
    secret("HS512"),
    await pair("ES256"),
    await pair("RS256"),
  ];
  for (const key of keys) {
    const result = await verify(await sign(key, claims()), [key]);
    assert.deepEqual(result, GRANT, key.alg);
  }
});

Deno.test("verifyJwt() refuses a token with alg none", async () => {
  const key = secret("HS256");
  const encode = (o: unknown) =>
    jose.base64url.encode(new TextEncoder().encode(JSON.stringify(o)));
  const token = `${encode({ alg: "none", typ: "JWT" })}.${encode(claims())}.`;
  const result = await verify(token, [key]);
  assert.deepEqual(result, {
    ok: false,
    message: 'JWT algorithm "none" is not accepted',
  });
});

Deno.test("verifyJwt() refuses a token signed by another key", async () => {
  const key = await pair("ES256");
  const other = await pair("ES256");
  const result = await verify(await sign(other, claims()), [key]);
  assert.deepEqual(result, {
    ok: false,
    message: "JWT signature does not match any key",
  });
});

Deno.test("verifyJwt() refuses an HS256 token when the group only has an RSA key", async () => {
  const rsa = await pair("RS256");
  // The classic confusion: the public key's bytes used as an HMAC secret.
  const forged = await sign(
    {
      jwk: {},
      sign: new TextEncoder().encode(JSON.stringify(rsa.jwk)),
      alg: "HS256",
    },
    claims(),
  );
  const result = await verify(forged, [rsa]);
  assert.ok(!result.ok);
  assert.match(result.message, /no usable HS256 key/);
});

Deno.test("verifyJwt() refuses an audience on another host when canonicalHost is set", async () => {
  const key = secret("HS256");
  const token = await sign(
    key,
    claims({ aud: "https://evil.example.com/group/night-watch/" }),
  );
  const result = await verify(token, [key]);
  assert.ok(!result.ok);
  assert.match(result.message, /audience does not include group/);
  assert.deepEqual(await verify(token, [key], { config: {} }), GRANT);
});

Deno.test("verifyJwt() refuses an audience naming another group", async () => {
  const key = secret("HS256");
  const token = await sign(
    key,
    claims({ aud: "https://galene.example.org/group/day-watch/" }),
  );
  assert.equal((await verify(token, [key])).ok, false);
});

Deno.test("verifyJwt() refuses a parent group's audience on a subgroup without include-subgroups", async () => {
  const key = secret("HS256");
  const aud = "https://galene.example.org/group/watch/";
  const plain = await sign(key, claims({ aud }));
  assert.equal(
    (await verify(plain, [key], { group: "watch/night" })).ok,
    false,
  );
  const wide = await sign(key, claims({ aud, "include-subgroups": true }));
  assert.deepEqual(await verify(wide, [key], { group: "watch/night" }), GRANT);
  assert.equal(
    (await verify(wide, [key], { group: "watchtower" })).ok,
    false,
  );
});

Deno.test("verifyJwt() refuses an expired token, forgiving five seconds", async () => {
  const key = secret("HS256");
  const late = await sign(key, claims({ exp: SECONDS - 6 }));
  assert.deepEqual(await verify(late, [key]), {
    ok: false,
    message: "JWT has expired",
  });
  const skewed = await sign(key, claims({ exp: SECONDS - 4 }));
  assert.deepEqual(await verify(skewed, [key]), GRANT);
});

Deno.test("verifyJwt() refuses a token that is not yet valid", async () => {
  const key = secret("HS256");
  const early = await sign(key, claims({ nbf: SECONDS + 60 }));
  const result = await verify(early, [key]);
  assert.ok(!result.ok);
  assert.match(result.message, /"nbf"/);
});

Deno.test("verifyJwt() refuses a token issued in the future", async () => {
  const key = secret("HS256");
  const token = await sign(key, claims({ iat: SECONDS + 60 }));
  assert.deepEqual(await verify(token, [key]), {
    ok: false,
    message: "JWT was issued in the future",
  });
});

Deno.test("verifyJwt() refuses a token without exp", async () => {
  const key = secret("HS256");
  const { exp: _, ...forever } = claims();
  const result = await verify(await sign(key, forever), [key]);
  assert.ok(!result.ok);
  assert.match(result.message, /"exp"/);
});

Deno.test("verifyJwt() refuses permissions with an unknown name", async () => {
  const key = secret("HS256");
  const token = await sign(key, claims({ permissions: ["present", "wizard"] }));
  const result = await verify(token, [key]);
  assert.ok(!result.ok);
  assert.match(result.message, /unknown permission "wizard"/);
  const named = await sign(key, claims({ permissions: "op" }));
  assert.equal((await verify(named, [key])).ok, false);
});

Deno.test("verifyJwt() refuses an HS256 key shorter than 32 bytes", async () => {
  const key = secret("HS256", 16);
  const result = await verify(await sign(key, claims()), [key]);
  assert.ok(!result.ok);
  assert.match(result.message, /too short for HS256: at least 32 bytes/);
});

Deno.test("verifyJwt() ignores keys without alg", async () => {
  const key = await pair("ES256");
  const { alg: _, ...bare } = key.jwk;
  const result = await verify(await sign(key, claims()), [{
    ...key,
    jwk: bare,
  }]);
  assert.ok(!result.ok);
  assert.match(result.message, /no usable ES256 key/);
});

Deno.test("verifyJwt() selects keys by kid and tries every remaining key", async () => {
  const first = await pair("ES256", "one");
  const second = await pair("ES256", "two");
  const keys = [first, second];
  assert.deepEqual(
    await verify(await sign(second, claims(), { kid: "two" }), keys),
    GRANT,
  );
  assert.equal(
    (await verify(await sign(second, claims(), { kid: "one" }), keys)).ok,
    false,
  );
  assert.equal(
    (await verify(await sign(second, claims(), { kid: "three" }), keys)).ok,
    false,
  );
  // Without a kid, the second key is reached after the first fails.
  assert.deepEqual(await verify(await sign(second, claims()), keys), GRANT);
});

Deno.test("verifyJwt() accepts an audience array and an empty subject", async () => {
  const key = secret("HS256");
  const token = await sign(
    key,
    claims({ sub: "", aud: ["https://other.example/", AUD] }),
  );
  assert.deepEqual(await verify(token, [key]), {
    ok: true,
    permissions: ["present", "message"],
  });
});

Deno.test("verifyJwt() refuses a subject that is not a valid username", async () => {
  const key = secret("HS256");
  const token = await sign(key, claims({ sub: "../../etc" }));
  assert.equal((await verify(token, [key])).ok, false);
});

Deno.test("verifyJwt() refuses a token without aud", async () => {
  const key = secret("HS256");
  const { aud: _, ...payload } = claims();
  const result = await verify(await sign(key, payload), [key]);
  assert.deepEqual(result, { ok: false, message: 'JWT has no "aud" claim' });
});

Deno.test("verifyJwt() refuses garbage and oversized tokens without throwing", async () => {
  const key = secret("HS256");
  assert.equal((await verify("a.b.c", [key])).ok, false);
  const huge = await sign(key, claims({ pad: "x".repeat(20_000) }));
  assert.deepEqual(await verify(huge, [key]), {
    ok: false,
    message: "JWT is too long",
  });
});

Deno.test("audienceAllows() accepts the group under proxyURL's path", () => {
  const config = {
    canonicalHost: "example.org",
    proxyURL: "https://example.org/galene/",
  };
  const options = { group: "a", includeSubgroups: false, config };
  assert.equal(
    audienceAllows("https://example.org/galene/group/a/", options),
    true,
  );
  assert.equal(audienceAllows("https://example.org/group/a/", options), true);
  assert.equal(audienceAllows("https://example.org/group/a", options), false);
  assert.equal(audienceAllows("https://example.org/other/a/", options), false);
  assert.equal(audienceAllows(42, options), false);
});

Deno.test("audienceAllows() compares percent-encoded group names decoded", () => {
  const options = { group: "café", includeSubgroups: false, config: {} };
  assert.equal(audienceAllows("https://x/group/caf%C3%A9/", options), true);
  assert.equal(audienceAllows("https://x/group/caf%c3%a9/", options), true);
});

Deno.test("parseAuthKey() drops private members and refuses other uses", async () => {
  const { privateKey } = await jose.generateKeyPair("ES256", {
    extractable: true,
  });
  const key = parseAuthKey(
    { ...await jose.exportJWK(privateKey), alg: "ES256", kid: "k" },
    "authKeys[0]",
  );
  assert.equal("d" in key.jwk, false);
  assert.equal(key.kid, "k");
  assert.throws(
    () => parseAuthKey({ ...key.jwk, alg: "ES256", use: "enc" }, "authKeys[1]"),
    /authKeys\[1\] is not a signature verification key/,
  );
  assert.throws(
    () => parseAuthKey({ ...key.jwk, alg: "RS256" }, "authKeys[2]"),
    /must be an RSA key/,
  );
});
