import assert from "node:assert/strict";
import { parseGroupDescription } from "../config/group_description.ts";
import type { Permission } from "../config/permissions.ts";
import type { StatefulToken } from "./stateful_token.ts";
import {
  editToken,
  makeToken,
  newTokenName,
  serializeToken,
  tokenNameOf,
} from "./token_actions.ts";

const NOW = Date.parse("2026-07-28T14:00:00Z");
const DAY = 24 * 3600_000;
const OP: Permission[] = ["op", "present", "message", "caption", "token"];
const description = parseGroupDescription(
  { users: { vimes: { password: "x", permissions: "op" } } },
  { file: "groups/night-watch.json" },
);

function make(template: unknown, permissions: Permission[] = OP) {
  return makeToken(template, {
    creator: { username: "vimes", permissions },
    group: "night-watch",
    description,
    now: NOW,
    newName: "fresh",
  });
}

Deno.test("makeToken() builds an invitation as /invite asks for it", () => {
  const token = make({
    group: "night-watch",
    username: "carrot",
    expires: DAY,
    permissions: ["present", "message"],
  });
  assert.deepEqual(token, {
    token: "fresh",
    group: "night-watch",
    includeSubgroups: false,
    username: "carrot",
    permissions: ["present", "message"],
    expires: NOW + DAY,
    issuedBy: "vimes",
    issuedAt: NOW,
  });
  assert.deepEqual(serializeToken(token), {
    token: "fresh",
    group: "night-watch",
    username: "carrot",
    permissions: ["present", "message"],
    expires: "2026-07-29T14:00:00Z",
    issuedBy: "vimes",
    issuedAt: "2026-07-28T14:00:00Z",
  });
});

Deno.test("makeToken() takes an absolute expiry and not-before", () => {
  const token = make({
    expires: "2026-08-01T00:00:00Z",
    "not-before": 3600_000,
  });
  assert.equal(token.expires, Date.parse("2026-08-01T00:00:00Z"));
  assert.equal(token.notBefore, NOW + 3600_000);
  assert.equal(token.group, "night-watch");
});

Deno.test("makeToken() defaults to the creator's present and message", () => {
  assert.deepEqual(make({ expires: DAY }).permissions, ["present", "message"]);
  assert.deepEqual(
    make({ expires: DAY }, ["message", "token"]).permissions,
    ["message"],
  );
});

Deno.test("makeToken() refuses a template that names the token", () => {
  assert.throws(
    () => make({ token: "mine", expires: DAY }),
    /^TypeError: Cannot create token: the server chooses the token's name$/,
  );
});

Deno.test("makeToken() refuses another group", () => {
  assert.throws(
    () => make({ group: "day-watch", expires: DAY }),
    /for another group than "night-watch"/,
  );
});

Deno.test("makeToken() refuses includeSubgroups", () => {
  assert.throws(
    () => make({ includeSubgroups: true, expires: DAY }),
    /cannot include subgroups/,
  );
});

Deno.test("makeToken() refuses a token without expiry or already expired", () => {
  assert.throws(() => make({}), /must have an expiry date/);
  assert.throws(() => make({ expires: null }), /must have an expiry date/);
  assert.throws(() => make({ expires: -1 }), /expiry date has passed/);
  assert.throws(() => make({ expires: "soon" }), /RFC 3339/);
  assert.throws(() => make({ expires: 1e300 }), /out of range/);
});

Deno.test("makeToken() refuses a configured user's name", () => {
  assert.throws(
    () => make({ username: "vimes", expires: DAY }),
    /username "vimes" is taken/,
  );
  assert.throws(
    () => make({ username: "a/../b", expires: DAY }),
    /username is not valid/,
  );
});

Deno.test("makeToken() refuses permissions the creator lacks", () => {
  assert.throws(
    () => make({ expires: DAY, permissions: ["op"] }, ["present", "token"]),
    /you lack the "op" permission/,
  );
  assert.throws(
    () => make({ expires: DAY, permissions: ["record"] }),
    /you lack the "record" permission/,
  );
  assert.throws(
    () => make({ expires: DAY, permissions: ["wizard"] }),
    /unknown permission "wizard"/,
  );
});

Deno.test("makeToken() refuses a creator without the token permission", () => {
  assert.throws(
    () => make({ expires: DAY }, ["present", "message"]),
    /lack the token permission/,
  );
});

Deno.test("makeToken() refuses a non-object and unknown fields", () => {
  assert.throws(() => make("invite"), /must be a JSON object/);
  assert.throws(
    () => make({ expires: DAY, admin: true }),
    /unknown field "admin"/,
  );
});

Deno.test("makeToken() overrides issuedBy and issuedAt from the client", () => {
  const token = make({
    expires: DAY,
    issuedBy: "vetinari",
    issuedAt: "2000-01-01T00:00:00Z",
  });
  assert.equal(token.issuedBy, "vimes");
  assert.equal(token.issuedAt, NOW);
});

const EXISTING: StatefulToken = {
  token: "abc",
  group: "night-watch",
  includeSubgroups: false,
  username: "carrot",
  permissions: ["present", "message"],
  expires: NOW + DAY,
  notBefore: NOW,
  issuedBy: "vimes",
  issuedAt: NOW - DAY,
};

function edit(change: unknown, group = "night-watch") {
  return editToken(EXISTING, change, { now: NOW, group });
}

Deno.test("editToken() extends a token as /reinvite does", () => {
  const edited = edit({ token: "abc", expires: 2 * DAY });
  assert.deepEqual(edited, { ...EXISTING, expires: NOW + 2 * DAY });
  assert.equal(EXISTING.expires, NOW + DAY);
});

Deno.test("editToken() revokes a token as /revoke does", () => {
  const revoked = edit({ token: "abc", expires: -1000 });
  assert.equal(revoked.expires, NOW - 1000);
});

Deno.test("editToken() sets an absolute expiry and clears not-before", () => {
  const edited = edit({
    token: "abc",
    group: "night-watch",
    expires: "2026-09-01T00:00:00Z",
    "not-before": null,
  });
  assert.equal(edited.expires, Date.parse("2026-09-01T00:00:00Z"));
  assert.equal("notBefore" in edited, false);
});

Deno.test("editToken() refuses changes to anything but the dates", () => {
  for (
    const change of [
      { token: "abc", username: "vimes" },
      { token: "abc", permissions: ["op"] },
      { token: "abc", includeSubgroups: true },
      { token: "other", expires: DAY },
      { token: "abc", group: "day-watch" },
    ]
  ) {
    assert.throws(() => edit(change), /Cannot edit token: only "expires"/);
  }
  assert.throws(() => edit({ token: "abc", expires: null }), /expiry date/);
});

Deno.test("editToken() refuses a token of another group", () => {
  assert.throws(
    () => edit({ token: "abc", expires: DAY }, "day-watch"),
    /not a token of group "day-watch"/,
  );
});

Deno.test("tokenNameOf() reads the edited token's name", () => {
  assert.equal(tokenNameOf({ token: "abc", expires: -1000 }), "abc");
  assert.throws(() => tokenNameOf({ expires: 1 }), /"token" must name it/);
  assert.throws(() => tokenNameOf(null), TypeError);
});

Deno.test("newTokenName() returns 8 random bytes in base64url", () => {
  const names = new Set(Array.from({ length: 100 }, newTokenName));
  assert.equal(names.size, 100);
  for (const name of names) assert.match(name, /^[A-Za-z0-9_-]{11}$/);
});
