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

Deno.test("parseEdgeMessage() refuses an openUp whose codecs name an unknown codec", () => {
  const openUp = (codecs: unknown) =>
    call({
      op: "openUp",
      conn: "u1",
      id: "s",
      group: "g",
      codecs,
      ice: { iceServers: [] },
    });
  deepStrictEqual(parseEdgeMessage(openUp(["vp9", "opus"])), {
    v: 2,
    type: "call",
    call: 7,
    op: "openUp",
    conn: "u1",
    id: "s",
    group: "g",
    codecs: ["vp9", "opus"],
    ice: { iceServers: [] },
  });
  throws(
    () => parseEdgeMessage(openUp(["vp8", "h265"])),
    /Unknown codec "h265"/,
  );
  // The wire carries the lower-case names only.
  throws(() => parseEdgeMessage(openUp(["VP8"])), /Unknown codec "VP8"/);
});

Deno.test("parseNodeMessage() refuses a tracks event with an unknown codec", () => {
  const tracks = (codec: string) =>
    JSON.stringify({
      v: 2,
      type: "event",
      event: "tracks",
      conn: "u1",
      tracks: [{ id: "a", kind: "audio", codec }],
    });
  deepStrictEqual(parseNodeMessage(tracks("opus")), {
    v: 2,
    type: "event",
    event: "tracks",
    conn: "u1",
    tracks: [{ id: "a", kind: "audio", codec: "opus" }],
  });
  throws(() => parseNodeMessage(tracks("speex")), /Unknown codec "speex"/);
});
