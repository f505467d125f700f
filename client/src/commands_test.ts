import assert from "node:assert/strict";
import { type CommandContext, CommandError } from "./command.ts";
import { helpText, runLine } from "./commands.ts";
import type { User } from "./protocol.ts";
import { DEFAULT_SETTINGS, type Settings } from "./settings.ts";

function fakeContext(permissions: string[]) {
  const sent: unknown[] = [];
  const printed: string[] = [];
  let settings: Settings = { ...DEFAULT_SETTINGS };
  const users = new Map<string, User>([
    ["me", { id: "me", username: "ann", permissions, data: {} }],
    ["u2", { id: "u2", username: "bob", permissions: [], data: {} }],
  ]);
  const ctx: CommandContext = {
    conn: {
      id: "me",
      users,
      can: (p) => permissions.includes(p),
      chat: (m) => sent.push({ chat: m }),
      userMessage: (kind, m) => sent.push({ usermessage: kind, ...m }),
      groupAction: (kind, value) => sent.push({ groupaction: kind, value }),
      userAction: (kind, dest, value) =>
        sent.push({ useraction: kind, dest, value }),
    },
    print: (t) => printed.push(t),
    leave: () => sent.push("leave"),
    renegotiate: () => sent.push("renegotiate"),
    shareScreen: (on) => sent.push({ share: on }),
    presentFile: () => sent.push("presentfile"),
    sendFile: (id) => sent.push({ sendfile: id }),
    setHand: (r) => sent.push({ hand: r }),
    replace: () => sent.push("replace"),
    relayTest: () => sent.push("relay-test"),
    settings: {
      get value() {
        return settings;
      },
      change(c) {
        settings = { ...settings, ...c };
        sent.push({ settings: c });
      },
    },
    now: () => Date.parse("2030-01-01T00:00:00Z"),
  };
  return { ctx, sent, printed };
}

Deno.test("runLine() sends plain lines and // lines as chat", () => {
  const { ctx, sent } = fakeContext(["message"]);
  runLine(ctx, "hello");
  runLine(ctx, "//not a command");
  assert.deepEqual(sent, [{ chat: { value: "hello" } }, {
    chat: { value: "/not a command" },
  }]);
});

Deno.test("runLine() maps /me, /msg and /kick to protocol calls", () => {
  const { ctx, sent } = fakeContext(["message", "op"]);
  runLine(ctx, "/me waves");
  runLine(ctx, "/msg bob see you");
  runLine(ctx, "/kick bob go away");
  assert.deepEqual(sent, [
    { chat: { kind: "me", value: "waves" } },
    { chat: { value: "see you", dest: "u2" } },
    { useraction: "kick", dest: "u2", value: "go away" },
  ]);
});

Deno.test("runLine() refuses op commands to a presenter and unknown users", () => {
  const { ctx } = fakeContext(["message", "present"]);
  assert.throws(() => runLine(ctx, "/lock"), CommandError);
  assert.throws(
    () => runLine(ctx, "/msg nobody hi"),
    /No user called "nobody"/,
  );
  assert.throws(() => runLine(ctx, "/frobnicate"), /Unknown command/);
});

Deno.test("helpText() lists only the commands the permissions allow", () => {
  const presenter = helpText({
    can: (p) => ["message", "present"].includes(p),
  });
  assert.match(presenter, /\/sharescreen/);
  assert.doesNotMatch(presenter, /\/kick/);
  const op = helpText({ can: (p) => ["message", "op"].includes(p) });
  assert.match(op, /\/kick user \[message\]/);
  assert.doesNotMatch(op, /\/record/);
});

Deno.test("/invite sends maketoken with a relative expiry and a username", () => {
  const { ctx, sent } = fakeContext(["message", "present", "token"]);
  runLine(ctx, "/invite carol 2h");
  assert.deepEqual(sent, [{
    groupaction: "maketoken",
    value: {
      expires: 7_200_000,
      username: "carol",
      permissions: ["present", "message"],
    },
  }]);
});

Deno.test("/invite takes a lone word as an expiry when it reads as one", () => {
  const { ctx, sent } = fakeContext(["message", "token"]);
  runLine(ctx, "/invite 1mon");
  runLine(ctx, "/invite dora");
  runLine(ctx, "/invite");
  runLine(ctx, "/invite eve 2030-02-01");
  assert.deepEqual(sent.map((s) => (s as { value: unknown }).value), [
    { expires: 31 * 86_400_000, permissions: ["message"] },
    { expires: 86_400_000, username: "dora", permissions: ["message"] },
    { expires: 86_400_000, permissions: ["message"] },
    {
      expires: "2030-02-01T00:00:00.000Z",
      username: "eve",
      permissions: ["message"],
    },
  ]);
  assert.throws(() => runLine(ctx, "/invite eve soon"), /not an expiry/);
});

Deno.test("/reinvite and /revoke edit the token named by a link or a name", () => {
  const { ctx, sent } = fakeContext(["message", "op", "token"]);
  runLine(ctx, "/reinvite https://h.example/group/g/?token=abc 2h");
  runLine(ctx, "/reinvite abc");
  runLine(ctx, "/revoke https://h.example/group/g/?token=abc");
  runLine(ctx, "/listtokens");
  assert.deepEqual(sent, [
    { groupaction: "edittoken", value: { token: "abc", expires: 7_200_000 } },
    { groupaction: "edittoken", value: { token: "abc", expires: 86_400_000 } },
    { groupaction: "edittoken", value: { token: "abc", expires: -1000 } },
    { groupaction: "listtokens", value: undefined },
  ]);
  assert.throws(() => runLine(ctx, "/revoke"), /Usage: \/revoke link/);
  assert.throws(
    () => runLine(ctx, "/revoke https://h.example/group/g/"),
    /holds no invitation/,
  );
});

Deno.test("/reinvite and /revoke need op as well as token", () => {
  const { ctx } = fakeContext(["message", "token"]);
  assert.throws(() => runLine(ctx, "/revoke abc"), /not allowed/);
});

Deno.test("/set lists, shows and changes settings; /unset restores the default", () => {
  const { ctx, sent, printed } = fakeContext([]);
  runLine(ctx, "/set");
  assert.match(printed[0] ?? "", /^camera = ""\n/);
  assert.match(printed[0] ?? "", /\nthroughput = "normal"\n/);
  runLine(ctx, "/set throughput");
  runLine(ctx, '/set throughput "low"');
  runLine(ctx, "/set blackboard true");
  runLine(ctx, "/set receive audio");
  runLine(ctx, "/unset throughput");
  assert.deepEqual(printed.slice(1), [
    'throughput = "normal"',
    'throughput = "low"',
    "blackboard = true",
    'receive = "audio"',
    'throughput = "normal"',
  ]);
  assert.deepEqual(sent, [
    { settings: { throughput: "low" } },
    { settings: { blackboard: true } },
    { settings: { receive: "audio" } },
    { settings: { throughput: "normal" } },
  ]);
});

Deno.test("/set and /unset explain wrong keys and values", () => {
  const { ctx, sent } = fakeContext([]);
  assert.throws(() => runLine(ctx, "/set colour 1"), /No setting called/);
  assert.throws(
    () => runLine(ctx, "/set throughput fast"),
    /expected one of "lowest"/,
  );
  assert.throws(() => runLine(ctx, "/set blackboard yes"), /a boolean/);
  assert.throws(() => runLine(ctx, "/unset"), /Usage: \/unset key/);
  assert.deepEqual(sent, []);
});

Deno.test("/replace and /relay-test are open to everyone and run locally", () => {
  const { ctx, sent } = fakeContext([]);
  runLine(ctx, "/replace");
  runLine(ctx, "/relay-test");
  assert.deepEqual(sent, ["replace", "relay-test"]);
  assert.match(helpText(ctx.conn), /\/relay-test — /);
  assert.match(helpText(ctx.conn), /\/set \[key \[json\]\] — /);
});
