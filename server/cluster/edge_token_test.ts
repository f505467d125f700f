import assert from "node:assert/strict";
import * as jose from "jose";
import { EdgeTokens, mediaNodeAudience } from "./edge_token.ts";

const SECRET = "a cluster secret of at least 32 bytes";
const NOW = Date.UTC(2026, 10, 29, 14, 5, 0);

Deno.test("an edge token minted with the shared secret is accepted by its media node", async () => {
  const tokens = new EdgeTokens(SECRET);
  const jwt = await tokens.mint({
    edgeId: "edge-1",
    nodeId: "media-2",
    now: NOW,
  });
  assert.deepEqual(
    await new EdgeTokens(SECRET).verify(jwt, {
      nodeId: "media-2",
      now: NOW + 1000,
    }),
    { ok: true, edgeId: "edge-1" },
  );
  const payload = jose.decodeJwt(jwt);
  assert.equal(payload.aud, "nereid-media:media-2");
  assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 60);
});

Deno.test("an edge token signed with another secret is refused", async () => {
  const jwt = await new EdgeTokens(`${SECRET}, but another`).mint({
    edgeId: "edge-1",
    nodeId: "media-2",
    now: NOW,
  });
  assert.deepEqual(
    await new EdgeTokens(SECRET).verify(jwt, { nodeId: "media-2", now: NOW }),
    {
      ok: false,
      message: "Edge token signature does not match the cluster secret",
    },
  );
});

Deno.test("an expired edge token is refused once the 5 s leeway is past", async () => {
  const tokens = new EdgeTokens(SECRET);
  const jwt = await tokens.mint({
    edgeId: "edge-1",
    nodeId: "media-2",
    now: NOW,
    seconds: 10,
  });
  const at = (ms: number) => tokens.verify(jwt, { nodeId: "media-2", now: ms });
  assert.equal((await at(NOW + 14_000)).ok, true);
  assert.deepEqual(await at(NOW + 16_000), {
    ok: false,
    message: "Edge token has expired",
  });
});

Deno.test("an edge token for another media node is refused", async () => {
  const tokens = new EdgeTokens(SECRET);
  const jwt = await tokens.mint({
    edgeId: "edge-1",
    nodeId: "media-2",
    now: NOW,
  });
  assert.deepEqual(await tokens.verify(jwt, { nodeId: "media-3", now: NOW }), {
    ok: false,
    message: "Edge token is for another media node",
  });
});

Deno.test("edge tokens with another algorithm, a long life, a future iat or garbage are refused", async () => {
  const tokens = new EdgeTokens(SECRET);
  const key = new TextEncoder().encode(SECRET);
  const iat = Math.floor(NOW / 1000);
  const forge = (alg: string, claims: { iat: number; exp: number }) =>
    new jose.SignJWT({})
      .setProtectedHeader({ alg })
      .setIssuer("nereid-edge")
      .setSubject("edge-1")
      .setAudience(mediaNodeAudience("media-2"))
      .setIssuedAt(claims.iat)
      .setExpirationTime(claims.exp)
      .sign(key);
  const verify = (jwt: string) =>
    tokens.verify(jwt, { nodeId: "media-2", now: NOW });

  assert.equal(
    (await verify(await forge("HS256", { iat, exp: iat + 60 }))).ok,
    true,
  );
  assert.deepEqual(await verify(await forge("HS512", { iat, exp: iat + 60 })), {
    ok: false,
    message: "Edge token algorithm is not HS256",
  });
  assert.deepEqual(
    await verify(await forge("HS256", { iat, exp: iat + 3600 })),
    {
      ok: false,
      message: "Edge token lives too long",
    },
  );
  assert.deepEqual(
    await verify(await forge("HS256", { iat: iat + 60, exp: iat + 120 })),
    { ok: false, message: "Edge token was issued in the future" },
  );
  assert.deepEqual(await verify("not.a.jwt"), {
    ok: false,
    message: "Edge token is malformed",
  });
  assert.deepEqual(await verify("x".repeat(20_000)), {
    ok: false,
    message: "Edge token is too long",
  });
});

Deno.test("EdgeTokens refuses a secret shorter than 32 bytes without repeating it", () => {
  assert.throws(
    () => new EdgeTokens("short-secret-0123456789abcdef01"),
    (e) => {
      assert(e instanceof TypeError);
      assert.equal(
        e.message,
        "The cluster secret is too short for HS256: at least 32 bytes needed",
      );
      return true;
    },
  );
  // Bytes, not characters: 16 two-byte characters are 32 bytes.
  new EdgeTokens("é".repeat(16));
  assert.throws(
    () => new EdgeTokens(SECRET).mint({ edgeId: "a b", nodeId: "m", now: NOW }),
    TypeError,
  );
  assert.throws(
    () =>
      new EdgeTokens(SECRET).mint({
        edgeId: "e",
        nodeId: "m",
        now: NOW,
        seconds: 301,
      }),
    RangeError,
  );
});
