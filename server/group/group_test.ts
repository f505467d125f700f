import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { parseGroupDescription } from "../config/group_description.ts";
import type { Permission } from "../config/permissions.ts";
import type { ServerMessage } from "../protocol/message.ts";
import { Group, JoinRefused, mergeData } from "./group.ts";
import type { Actor, Member } from "./member.ts";

class FakeMember implements Member {
  readonly address = "127.0.0.1:1";
  readonly system = false;
  data: Record<string, unknown> = {};
  sent: ServerMessage[] = [];
  kicked: string | null = null;
  constructor(
    readonly id: string,
    readonly username: string,
    public permissions: Permission[],
  ) {}
  send(m: ServerMessage) {
    this.sent.push(m);
  }
  kick(_by: Actor, reason: string) {
    this.kicked = reason;
  }
  permissionsChanged() {}
  streamPublished() {}
  streamClosed() {}
}

function group(json: Record<string, unknown>, now = 0): Group {
  return new Group({
    name: "g",
    description: parseGroupDescription(json, { file: "g.json" }),
    log: () => {},
  }, now);
}

Deno.test("Group refuses non-ops beyond max-clients, but lets ops in", () => {
  const g = group({ "max-clients": 1 });
  g.join(new FakeMember("a", "a", ["present"]), 0);
  throws(
    () => g.join(new FakeMember("b", "b", ["present"]), 0),
    (e: Error) => e instanceof JoinRefused && e.message === "too many users",
  );
  g.join(new FakeMember("c", "c", ["op"]), 0);
  strictEqual(g.clientCount, 2);
});

Deno.test("Group honours not-before and expires for non-ops", () => {
  const g = group({
    "not-before": "2026-01-01T00:00:00Z",
    expires: "2026-01-02T00:00:00Z",
  });
  const before = Date.parse("2025-12-31T23:00:00Z");
  const after = Date.parse("2026-01-02T01:00:00Z");
  throws(() => g.join(new FakeMember("a", "a", []), before), /not open yet/);
  throws(() => g.join(new FakeMember("a", "a", []), after), /closed/);
  g.join(new FakeMember("o", "o", ["op"]), after);
});

Deno.test("Group with autolock locks at creation and when its last op leaves", () => {
  const g = group({ autolock: true });
  strictEqual(g.locked, true);
  const op = new FakeMember("o", "o", ["op"]);
  g.join(op, 0);
  g.setLock(null);
  g.join(new FakeMember("a", "a", []), 0);
  g.leave(op, 0);
  strictEqual(g.locked, true);
  strictEqual(g.lockMessage, "this group is locked");
});

Deno.test("Group with autokick kicks everyone when the last op leaves", () => {
  const g = group({ autokick: true });
  const op = new FakeMember("o", "o", ["op"]);
  g.join(op, 0);
  const a = new FakeMember("a", "a", []);
  g.join(a, 0);
  g.leave(op, 0);
  strictEqual(a.kicked, "there are no operators in this group");
});

Deno.test("Group tells the others of a newcomer and of a departure", () => {
  const g = group({});
  const a = new FakeMember("a", "alice", ["present"]);
  const b = new FakeMember("b", "bob", []);
  g.join(a, 0);
  g.join(b, 0);
  deepStrictEqual(a.sent.at(-1), {
    type: "user",
    kind: "add",
    id: "b",
    username: "bob",
  });
  g.leave(b, 0);
  deepStrictEqual(a.sent.at(-1), {
    type: "user",
    kind: "delete",
    id: "b",
    username: "bob",
  });
  strictEqual(b.sent.length, 0);
});

Deno.test("Group status shows the count and lock only to members, unless the group is public", () => {
  const g = group({ displayName: "G" });
  g.setLock("closed for lunch");
  deepStrictEqual(g.status({ authenticated: false }), {
    name: "g",
    displayName: "G",
  });
  deepStrictEqual(g.status({ authenticated: true }), {
    name: "g",
    displayName: "G",
    locked: true,
    clientCount: 0,
  });
  const p = group({ public: true });
  strictEqual(p.status({ authenticated: false }).clientCount, 0);
});

Deno.test("mergeData merges and deletes keys set to null", () => {
  deepStrictEqual(mergeData({ a: 1, b: 2 }, { b: null, c: 3 }), { a: 1, c: 3 });
});
