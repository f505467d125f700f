import { deepStrictEqual, throws } from "node:assert/strict";
import {
  parseEdgeMessage,
  parseNodeMessage,
  parseStats,
} from "./media_wire.ts";

const call = (o: Record<string, unknown>) =>
  JSON.stringify({ v: 2, type: "call", call: 7, ...o });

Deno.test("parseEdgeMessage() types a call and keeps only known request values", () => {
  deepStrictEqual(
    parseEdgeMessage(call({
      op: "openDown",
      conn: "d1",
      id: "s",
      group: "g",
      subscriber: "c",
      upId: "s",
      request: ["video", "bogus"],
      ice: { iceServers: [{ urls: ["stun:x"] }], iceTransportPolicy: "relay" },
      extra: "ignored",
    })),
    {
      v: 2,
      type: "call",
      call: 7,
      op: "openDown",
      conn: "d1",
      id: "s",
      group: "g",
      subscriber: "c",
      upId: "s",
      request: ["video"],
      ice: { iceServers: [{ urls: ["stun:x"] }], iceTransportPolicy: "relay" },
    },
  );
});

Deno.test("parseEdgeMessage() refuses another version, unknown operations and group names that leave the recordings folder", () => {
  throws(
    () => parseEdgeMessage(JSON.stringify({ v: 1, type: "ping" })),
    /contract version 1, not 2/,
  );
  throws(() => parseEdgeMessage(call({ op: "rm" })), /Unknown operation "rm"/);
  for (const group of ["../etc", "a/../../b", "/abs", "a//b", "a\\b", ""]) {
    throws(
      () =>
        parseEdgeMessage(call({ op: "record", conn: "r", upId: "u", group })),
      /"group" is not a group name/,
      group,
    );
  }
  throws(() => parseEdgeMessage("{"), /not JSON/);
});

Deno.test("parseNodeMessage() turns an error result into a reason, unknown reasons into failed", () => {
  deepStrictEqual(
    parseNodeMessage(JSON.stringify({
      v: 2,
      type: "result",
      call: 3,
      error: { reason: "not-found", message: "no up" },
    })),
    {
      v: 2,
      type: "result",
      call: 3,
      error: { reason: "not-found", message: "no up" },
    },
  );
  deepStrictEqual(
    parseNodeMessage(JSON.stringify({
      v: 2,
      type: "result",
      call: 3,
      error: { reason: "weird", message: "m" },
    })),
    {
      v: 2,
      type: "result",
      call: 3,
      error: { reason: "failed", message: "m" },
    },
  );
  throws(
    () =>
      parseNodeMessage(
        JSON.stringify({
          v: 2,
          type: "event",
          event: "state",
          conn: "u1",
          state: "odd",
        }),
      ),
    /Unknown connection state/,
  );
});

Deno.test("parseStats() keeps a down track's SVC layers", () => {
  const track = { bitrate: 1, loss: 0, sid: 0, maxSid: 2, tid: 1, maxTid: 2 };
  deepStrictEqual(
    parseStats([{
      id: "s",
      direction: "down",
      subscriber: "c",
      tracks: [track],
    }]),
    [{ id: "s", direction: "down", subscriber: "c", tracks: [track] }],
  );
  throws(() =>
    parseStats([{
      id: "s",
      direction: "down",
      tracks: [{ ...track, tid: "1" }],
    }])
  );
});
