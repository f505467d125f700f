import { strictEqual } from "node:assert/strict";
import type { Member, PublishedStream } from "../group/member.ts";
import { chooseStream } from "./whep_session.ts";

function stream(id: string, username: string, tracks = 2): PublishedStream {
  return {
    id,
    label: "camera",
    owner: { username } as Member,
    upId: id,
    tracks: Array.from(
      { length: tracks },
      () => ({ id: "t", kind: "video" as const, codec: "vp8" }),
    ),
  };
}

const STREAMS = [
  stream("a1", "ann"),
  stream("b1", "bob"),
  stream("a2", "ann"),
  stream("c1", "cat", 0),
];

Deno.test("chooseStream() takes the last stream with tracks by default", () => {
  strictEqual(chooseStream(STREAMS, {})?.id, "a2");
  strictEqual(chooseStream([], {}), undefined);
});

Deno.test("chooseStream() takes a user's last stream, or a stream by id", () => {
  strictEqual(chooseStream(STREAMS, { user: "bob" })?.id, "b1");
  strictEqual(chooseStream(STREAMS, { user: "ann" })?.id, "a2");
  strictEqual(chooseStream(STREAMS, { stream: "a1" })?.id, "a1");
  strictEqual(chooseStream(STREAMS, { stream: "c1" }), undefined);
  strictEqual(chooseStream(STREAMS, { user: "nobody" }), undefined);
});
