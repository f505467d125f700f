import assert from "node:assert/strict";
import { DEMO_GROUP } from "../../tests/support/groups.ts";
import { startTestServer } from "../../tests/support/test_server.ts";
import {
  type ChatMessage,
  type ConnectionEvents,
  ServerConnection,
} from "./protocol.ts";

const GROUPS = {
  demo: DEMO_GROUP,
  closed: { users: { bob: { password: "right", permissions: "present" } } },
};

function next<K extends keyof ConnectionEvents>(
  conn: ServerConnection,
  name: K,
  accept: (v: ConnectionEvents[K]) => boolean = () => true,
): Promise<ConnectionEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`No "${String(name)}" event within 3 s`));
    }, 3000);
    const off = conn.on(name, (v) => {
      if (!accept(v)) return;
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}

Deno.test("ServerConnection joins, tracks members, chats and leaves", async (t) => {
  const srv = await startTestServer({ groups: GROUPS });
  const ann = new ServerConnection({ url: srv.wsUrl });
  try {
    await t.step("join() resolves with permissions and status", async () => {
      await ann.connect();
      const joined = await ann.join({
        group: "demo",
        username: "ann",
        password: "x",
      });
      assert.equal(joined.kind, "join");
      assert.equal(ann.group, "demo");
      assert.equal(ann.username, "ann");
      assert.ok(ann.can("present"));
      assert.ok(!ann.can("op"));
      assert.equal(ann.status.displayName, "Client test room");
    });

    const carol = new ServerConnection({ url: srv.wsUrl });
    await t.step("an op member gets op permissions", async () => {
      await carol.connect();
      const seen = next(ann, "user", (e) => e.user.username === "admin");
      const other = next(carol, "user", (e) => e.user.username === "ann");
      const joined = await carol.join({
        group: "demo",
        username: "admin",
        password: "nereid",
      });
      assert.equal(joined.kind, "join");
      assert.ok(carol.can("op"));
      const added = await seen;
      assert.equal(added.kind, "add");
      assert.equal(ann.users.get(carol.id)?.username, "admin");
      assert.equal((await other).user.id, ann.id);
      assert.ok(carol.users.has(ann.id));
    });

    await t.step(
      "broadcast chat is echoed with a time, private chat is not",
      async () => {
        const atAnn = next(ann, "chat");
        const atCarol = next(carol, "chat");
        carol.chat({ value: "hello all" });
        const [a, c]: [ChatMessage, ChatMessage] = await Promise.all([
          atAnn,
          atCarol,
        ]);
        assert.equal(a.value, "hello all");
        assert.equal(a.username, "admin");
        assert.ok(a.privileged);
        assert.ok(Math.abs(a.time - Date.now()) < 60_000);
        assert.equal(c.id, a.id);

        const priv = next(ann, "chat");
        carol.chat({ value: "psst", dest: ann.id });
        const p = await priv;
        assert.equal(p.dest, ann.id);
        assert.equal(p.value, "psst");
      },
    );

    await t.step("a newcomer receives the chat history", async () => {
      const dan = new ServerConnection({ url: srv.wsUrl });
      await dan.connect();
      const history = next(dan, "chat", (m) => m.type === "chathistory");
      await dan.join({ group: "demo", username: "dan", password: "y" });
      assert.equal((await history).value, "hello all");
      const left = next(ann, "user", (e) => e.kind === "delete");
      dan.close();
      assert.equal((await left).user.username, "dan");
    });

    await t.step("setdata on oneself reaches the others", async () => {
      const changed = next(
        carol,
        "user",
        (e) => e.user.data["raisehand"] === true,
      );
      ann.userAction("setdata", ann.id, { raisehand: true });
      assert.equal((await changed).user.id, ann.id);
    });

    await t.step(
      "an op locks the group and a newcomer is refused",
      async () => {
        const change = next(ann, "joined", (m) => m.kind === "change");
        carol.groupAction("lock", "Back in five");
        assert.equal((await change).status.locked, true);
        const eve = new ServerConnection({ url: srv.wsUrl });
        await eve.connect();
        const refused = await eve.join({
          group: "demo",
          username: "eve",
          password: "z",
        });
        assert.equal(refused.kind, "fail");
        assert.match(refused.value, /Back in five/);
        eve.close();
        carol.groupAction("unlock");
      },
    );

    await t.step("an op kicks a member, who is told why", async () => {
      const kicked = next(ann, "usermessage", (m) => m.kind === "kicked");
      const gone = next(ann, "disconnect");
      carol.userAction("kick", ann.id, "too loud");
      const k = await kicked;
      assert.equal(k.value, "too loud");
      assert.equal((await gone).byUs, false);
    });
    carol.close();
  } finally {
    ann.close();
    await srv.close();
  }
});

Deno.test("ServerConnection reports a wrong password as a failed join", async () => {
  const srv = await startTestServer({ groups: GROUPS });
  const conn = new ServerConnection({ url: srv.wsUrl });
  try {
    await conn.connect();
    const joined = await conn.join({
      group: "closed",
      username: "bob",
      password: "wrong",
    });
    assert.equal(joined.kind, "fail");
    assert.match(joined.value, /not authorised/);
    assert.equal(conn.group, "");
  } finally {
    conn.close();
    await srv.close();
  }
});

Deno.test("ServerConnection.connect() rejects when nothing listens", async () => {
  const conn = new ServerConnection({ url: "ws://127.0.0.1:9/ws" });
  await assert.rejects(conn.connect(), /Cannot connect|closed/);
});
