import assert from "node:assert/strict";
import type { UserMessageMessage } from "./protocol.ts";
import { handleUserMessage, type UserMessageContext } from "./user_messages.ts";

function recorder() {
  const calls: unknown[][] = [];
  const ctx: UserMessageContext = {
    system: (...a) => calls.push(["system", ...a]),
    toast: (...a) => calls.push(["toast", ...a]),
    clearChat: (...a) => calls.push(["clearChat", ...a]),
    mute: () => calls.push(["mute"]),
    kicked: (why) => calls.push(["kicked", why]),
    invitation: (inv) => calls.push(["invitation", inv.token]),
    invitationList: (l) => calls.push(["list", l.map((i) => i.token)]),
  };
  return { ctx, calls };
}

function um(fields: Partial<UserMessageMessage>): UserMessageMessage {
  return {
    type: "usermessage",
    id: "",
    kind: "",
    source: "",
    username: "",
    dest: "",
    privileged: true,
    value: null,
    error: "",
    ...fields,
  };
}

Deno.test("handleUserMessage() obeys mute and clearchat only when privileged", () => {
  const { ctx, calls } = recorder();
  handleUserMessage(um({ kind: "mute", privileged: false }), ctx);
  handleUserMessage(um({ kind: "clearchat", privileged: false }), ctx);
  assert.deepEqual(calls, []);
  handleUserMessage(um({ kind: "mute", username: "vimes" }), ctx);
  handleUserMessage(um({ kind: "clearchat", value: { userId: "u" } }), ctx);
  assert.deepEqual(calls, [
    ["mute"],
    ["toast", "vimes muted your microphone", "warning"],
    ["clearChat", { userId: "u" }],
  ]);
});

Deno.test("handleUserMessage() explains a kick with its reason", () => {
  const { ctx, calls } = recorder();
  handleUserMessage(
    um({ kind: "kicked", username: "vimes", value: "too loud" }),
    ctx,
  );
  assert.deepEqual(calls, [["kicked", "vimes made you leave: too loud"]]);
});

Deno.test("handleUserMessage() parses invitations and reports bad ones", () => {
  const { ctx, calls } = recorder();
  handleUserMessage(um({ kind: "token", value: { token: "t1" } }), ctx);
  handleUserMessage(um({ kind: "tokenlist", value: [{ token: "t2" }] }), ctx);
  handleUserMessage(um({ kind: "tokenlist", value: "nonsense" }), ctx);
  assert.deepEqual(calls, [
    ["invitation", "t1"],
    ["list", ["t2"]],
    ["system", "The server's list of invitations is not a list", "error"],
  ]);
});
