import assert from "node:assert/strict";
import { hasTurnServer, relayTestText, runRelayTest } from "./relay_check.ts";

Deno.test("hasTurnServer() looks for turn: and turns: URLs only", () => {
  assert.equal(hasTurnServer(null), false);
  assert.equal(hasTurnServer({}), false);
  assert.equal(
    hasTurnServer({ iceServers: [{ urls: "stun:stun.example.org" }] }),
    false,
  );
  assert.equal(
    hasTurnServer({
      iceServers: [{ urls: ["stun:a.example", "turns:a.example:443"] }],
    }),
    true,
  );
  assert.equal(hasTurnServer({ iceServers: [{ urls: "TURN:b:3478" }] }), true);
});

Deno.test("runRelayTest() reports a missing TURN server without a peer connection", async () => {
  // Deno has no RTCPeerConnection: reaching for one would throw.
  assert.deepEqual(
    await runRelayTest({ iceServers: [{ urls: "stun:x" }] }),
    { kind: "no-turn" },
  );
});

Deno.test("relayTestText() gives the round trip in whole milliseconds", () => {
  assert.equal(
    relayTestText({ kind: "ok", rttMs: 12.6 }),
    "Relay test passed: media can go through the TURN server (round trip 13 ms)",
  );
  assert.match(relayTestText({ kind: "no-turn" }), /no TURN server/);
  assert.equal(
    relayTestText({
      kind: "failed",
      reason: "no relayed connection within 10 s",
    }),
    "Relay test failed: no relayed connection within 10 s",
  );
});
