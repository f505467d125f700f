import assert from "node:assert/strict";
import {
  describeInvitation,
  invitationLink,
  invitationState,
  parseDuration,
  parseExpiry,
  parseInvitationList,
  relativeTime,
  tokenFromLink,
} from "./invitations.ts";

const NOW = Date.parse("2030-01-01T12:00:00Z");

Deno.test("parseDuration() reads Galène's units", () => {
  assert.equal(parseDuration("45s"), 45_000);
  assert.equal(parseDuration("30min"), 1_800_000);
  assert.equal(parseDuration("2h"), 7_200_000);
  assert.equal(parseDuration("1d"), 86_400_000);
  assert.equal(parseDuration("1mon"), 31 * 86_400_000);
  assert.equal(parseDuration("1yr"), 365 * 86_400_000);
  assert.throws(() => parseDuration("soon"), SyntaxError);
});

Deno.test("parseExpiry() makes durations relative and dates absolute", () => {
  assert.equal(parseExpiry("2h", NOW), 7_200_000);
  assert.equal(parseExpiry("2030-02-01", NOW), "2030-02-01T00:00:00.000Z");
  assert.equal(
    parseExpiry("2030-01-02T08:30:00+02:00", NOW),
    "2030-01-02T06:30:00.000Z",
  );
  assert.throws(() => parseExpiry("2029-12-31", NOW), /already passed/);
  assert.throws(() => parseExpiry("tomorrow", NOW), SyntaxError);
  assert.throws(() => parseExpiry("1", NOW), SyntaxError);
});

Deno.test("invitationLink() and tokenFromLink() agree", () => {
  const link = invitationLink("https://h.example", "team/sub group", "a+b");
  assert.equal(link, "https://h.example/group/team/sub%20group/?token=a%2Bb");
  assert.equal(tokenFromLink(link), "a+b");
  assert.equal(tokenFromLink("  plain "), "plain");
  assert.throws(() => tokenFromLink(""), SyntaxError);
});

Deno.test("parseInvitationList() reads the server's tokens, soonest first", () => {
  const list = parseInvitationList([
    {
      token: "late",
      group: "g",
      permissions: ["present", "message"],
      expires: "2030-01-03T12:00:00Z",
      issuedBy: "vimes",
    },
    {
      token: "soon",
      group: "g",
      username: "carrot",
      permissions: ["message"],
      expires: "2030-01-01T14:00:00Z",
      "not-before": "2030-01-01T13:00:00Z",
    },
  ]);
  assert.deepEqual(list.map((t) => t.token), ["soon", "late"]);
  assert.equal(list[0]?.notBefore, Date.parse("2030-01-01T13:00:00Z"));
  assert.equal(invitationState(list[0]!, NOW), "not-yet");
  assert.equal(invitationState(list[1]!, NOW), "valid");
  assert.equal(
    describeInvitation(list[1]!, NOW),
    "for anyone (they choose a name); may present, message; " +
      "expires in 2 days, made by vimes",
  );
  assert.match(
    describeInvitation(list[0]!, NOW),
    /^for carrot; .*usable in 1 hour$/,
  );
  assert.throws(() => parseInvitationList([{ group: "g" }]), TypeError);
  assert.deepEqual(parseInvitationList(null), []);
});

Deno.test("relativeTime() rounds to the largest unit", () => {
  assert.equal(relativeTime(NOW + 90_000, NOW), "in 2 minutes");
  assert.equal(relativeTime(NOW - 3_600_000, NOW), "1 hour ago");
  assert.equal(relativeTime(NOW + 10_000, NOW), "in less than a minute");
});
