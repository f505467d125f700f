import assert from "node:assert/strict";
import {
  type CommandContext,
  CommandError,
  helpText,
  parseDuration,
  runLine,
} from "./commands.ts";
import type { User } from "./protocol.ts";

function fakeContext(permissions: string[]) {
  const sent: unknown[] = [];
  const printed: string[] = [];
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

Deno.test("parseDuration() reads Galène's units", () => {
  assert.equal(parseDuration("30min"), 1_800_000);
  assert.equal(parseDuration("2h"), 7_200_000);
  assert.equal(parseDuration("1d"), 86_400_000);
  assert.throws(() => parseDuration("soon"), CommandError);
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
