import assert from "node:assert/strict";
import {
  handRaised,
  isRecording,
  memberCount,
  mutedUserIds,
} from "./members.ts";
import type { User } from "./protocol.ts";

const users = new Map<string, User>([
  ["a", { id: "a", username: "ann", permissions: ["op"], data: {} }],
  ["b", {
    id: "b",
    username: "bob",
    permissions: [],
    data: { muted: true, raisehand: true },
  }],
  ["r", { id: "r", username: "RECORDING", permissions: ["system"], data: {} }],
]);

Deno.test("memberCount() and isRecording() leave the recorder out of people", () => {
  assert.equal(memberCount(users), 2);
  assert.equal(isRecording(users), true);
  assert.equal(isRecording(new Map()), false);
});

Deno.test("mutedUserIds() adds ourselves when our microphone is off", () => {
  assert.deepEqual(mutedUserIds(users, { id: "a", muted: false }), ["b"]);
  assert.deepEqual(mutedUserIds(users, { id: "a", muted: true }), ["b", "a"]);
  assert.equal(handRaised(users, "b"), true);
  assert.equal(handRaised(users, "a"), false);
});
