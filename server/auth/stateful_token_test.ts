import assert from "node:assert/strict";
import {
  checkStatefulToken,
  formatTime,
  opensGroup,
  parseStatefulToken,
  parseTime,
  serializeToken,
  type StatefulToken,
} from "./stateful_token.ts";

const NOW = Date.parse("2026-07-28T14:00:00Z");
const HOUR = 3600_000;

function token(fields: Partial<StatefulToken> = {}): StatefulToken {
  return {
    token: "hR8x2kQp0aE",
    group: "night-watch",
    includeSubgroups: false,
    permissions: ["present", "message"],
    expires: NOW + HOUR,
    ...fields,
  };
}

Deno.test("checkStatefulToken() grants the token's username and permissions in its group", () => {
  const check = checkStatefulToken(token({ username: "carrot" }), {
    group: "night-watch",
    now: NOW,
  });
  assert.deepEqual(check, {
    ok: true,
    username: "carrot",
    permissions: ["present", "message"],
  });
});

Deno.test("checkStatefulToken() leaves the username out when the token has none", () => {
  const check = checkStatefulToken(token(), { group: "night-watch", now: NOW });
  assert.ok(check.ok);
  assert.equal("username" in check, false);
});

Deno.test("checkStatefulToken() refuses a token for another group", () => {
  const check = checkStatefulToken(token(), { group: "day-watch", now: NOW });
  assert.ok(!check.ok);
  assert.equal(check.reason, "wrong-group");
});

Deno.test("checkStatefulToken() refuses an expired token", () => {
  const check = checkStatefulToken(token({ expires: NOW - 1 }), {
    group: "night-watch",
    now: NOW,
  });
  assert.ok(!check.ok);
  assert.equal(check.reason, "expired");
});

Deno.test("checkStatefulToken() refuses a token at the instant it expires", () => {
  const check = checkStatefulToken(token({ expires: NOW }), {
    group: "night-watch",
    now: NOW,
  });
  assert.equal(check.ok, false);
});

Deno.test("checkStatefulToken() refuses a revoked token (expiry set a second in the past)", () => {
  const revoked = token({ expires: NOW - 1000 });
  const check = checkStatefulToken(revoked, { group: "night-watch", now: NOW });
  assert.ok(!check.ok);
  assert.equal(check.reason, "expired");
});

Deno.test("checkStatefulToken() refuses a token without an expiry", () => {
  const { expires: _, ...forever } = token();
  const check = checkStatefulToken(forever, { group: "night-watch", now: NOW });
  assert.ok(!check.ok);
  assert.equal(check.reason, "no-expiry");
});

Deno.test("checkStatefulToken() refuses a token before its not-before", () => {
  const early = token({ notBefore: NOW + 1 });
  const check = checkStatefulToken(early, { group: "night-watch", now: NOW });
  assert.ok(!check.ok);
  assert.equal(check.reason, "not-yet-valid");
  const onTime = checkStatefulToken(token({ notBefore: NOW }), {
    group: "night-watch",
    now: NOW,
  });
  assert.equal(onTime.ok, true);
});

Deno.test("checkStatefulToken() lets a parent group's token with includeSubgroups open a subgroup", () => {
  const parent = token({ group: "watch", includeSubgroups: true });
  assert.equal(
    checkStatefulToken(parent, { group: "watch/night", now: NOW }).ok,
    true,
  );
  assert.equal(
    checkStatefulToken(parent, { group: "watch/night/east", now: NOW }).ok,
    true,
  );
  assert.equal(
    checkStatefulToken(parent, { group: "watch", now: NOW }).ok,
    true,
  );
});

Deno.test("checkStatefulToken() refuses a parent group's token without includeSubgroups on a subgroup", () => {
  const parent = token({ group: "watch" });
  const check = checkStatefulToken(parent, { group: "watch/night", now: NOW });
  assert.ok(!check.ok);
  assert.equal(check.reason, "wrong-group");
});

Deno.test("opensGroup() does not treat a name prefix as a parent", () => {
  const parent = token({ group: "watch", includeSubgroups: true });
  assert.equal(opensGroup(parent, "watchtower"), false);
});

Deno.test("opensGroup() opens every group with the root group and includeSubgroups", () => {
  const root = token({ group: "", includeSubgroups: true });
  assert.equal(opensGroup(root, "anything/at/all"), true);
  assert.equal(opensGroup(root, ""), true);
  assert.equal(opensGroup(token({ group: "" }), "anything"), false);
});

Deno.test("parseStatefulToken() reads Galène's JSON form and serializeToken() writes it back", () => {
  const line = {
    token: "hR8x2kQp0aE",
    group: "night-watch",
    includeSubgroups: true,
    username: "carrot",
    permissions: ["present", "message"],
    expires: "2026-07-29T14:00:00Z",
    "not-before": "2026-07-28T16:00:00+02:00",
    issuedBy: "vimes",
    issuedAt: "2026-07-28T14:00:00.5Z",
  };
  const parsed = parseStatefulToken(line, "tokens.jsonl:1");
  assert.deepEqual(parsed, {
    token: "hR8x2kQp0aE",
    group: "night-watch",
    includeSubgroups: true,
    username: "carrot",
    permissions: ["present", "message"],
    expires: Date.parse("2026-07-29T14:00:00Z"),
    notBefore: NOW,
    issuedBy: "vimes",
    issuedAt: NOW + 500,
  });
  assert.deepEqual(serializeToken(parsed), {
    ...line,
    "not-before": "2026-07-28T14:00:00Z",
    issuedAt: "2026-07-28T14:00:00.500Z",
  });
});

Deno.test("parseStatefulToken() accepts Go's nulls and nanoseconds and ignores unknown keys", () => {
  const parsed = parseStatefulToken({
    token: "t",
    group: "g",
    permissions: null,
    expires: "2026-07-29T14:00:00.123456789Z",
    "not-before": null,
    future: 1,
  }, "tokens.jsonl:2");
  assert.deepEqual(parsed.permissions, []);
  assert.equal(parsed.expires, Date.parse("2026-07-29T14:00:00.123Z"));
  assert.equal(parsed.notBefore, undefined);
});

Deno.test("parseStatefulToken() names the line and key of an unknown permission", () => {
  assert.throws(
    () =>
      parseStatefulToken(
        { token: "t", group: "g", permissions: ["present", "wizard"] },
        "var/tokens.jsonl:3",
      ),
    /^TypeError: var\/tokens\.jsonl:3: "permissions" contains unknown permission "wizard"/,
  );
});

Deno.test("parseStatefulToken() refuses the recorder's system permission", () => {
  assert.throws(
    () => parseStatefulToken({ token: "t", permissions: ["system"] }, "x"),
    /unknown permission "system"/,
  );
});

Deno.test("parseStatefulToken() refuses a bad time, username or group", () => {
  assert.throws(
    () => parseStatefulToken({ token: "t", expires: "tomorrow" }, "x"),
    /"expires" must be an RFC 3339 time/,
  );
  assert.throws(
    () => parseStatefulToken({ token: "t", username: "../root" }, "x"),
    /"username" is not a valid username/,
  );
  assert.throws(
    () => parseStatefulToken({ token: "t", group: "../etc" }, "x"),
    /"group" is not a valid group name/,
  );
  assert.throws(() => parseStatefulToken({ group: "g" }, "x"), /"token" must/);
});

Deno.test("parseTime() and formatTime() round-trip RFC 3339 in UTC", () => {
  assert.equal(parseTime("2026-07-28t14:00:00z", "x"), NOW);
  assert.equal(formatTime(NOW), "2026-07-28T14:00:00Z");
  assert.throws(() => parseTime("2026-07-28", "x"), /x must be an RFC 3339/);
});
