import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { parseGroupDescription } from "../config/group_description.ts";
import { Group } from "../group/group.ts";
import type { Member } from "../group/member.ts";
import type { MediaNode } from "../media/media_node.ts";
import type { ServerMessage } from "../protocol/message.ts";
import { GroupRecorders, RecordingRefused } from "./group_recorder.ts";
import { chooseTracks } from "./stream_recorder.ts";

function group(): Group {
  return new Group({
    name: "g",
    description: parseGroupDescription({}, { file: "g.json" }),
    log: () => {},
  }, 0);
}

function watcher(): Member & { messages: ServerMessage[] } {
  const messages: ServerMessage[] = [];
  return {
    id: "w",
    username: "op",
    permissions: ["op"],
    data: {},
    address: "",
    system: false,
    messages,
    send: (m) => messages.push(m),
    kick: () => {},
    permissionsChanged: () => {},
    streamPublished: () => {},
    streamClosed: () => {},
  };
}

function recorders(): GroupRecorders {
  return new GroupRecorders({
    media: {} as MediaNode,
    log: () => {},
    now: () => 0,
  });
}

Deno.test("record adds a hidden RECORDING member with only the system permission", async () => {
  const g = group();
  const w = watcher();
  g.join(w, 0);
  const r = recorders();
  const member = await r.start(g);
  strictEqual(member.username, "RECORDING");
  deepStrictEqual(member.permissions, ["system"]);
  ok(member.system);
  strictEqual(member.id.length, 32);
  deepStrictEqual(w.messages.at(-1), {
    type: "user",
    kind: "add",
    id: member.id,
    username: "RECORDING",
    permissions: ["system"],
  });
  await r.stop(g);
  strictEqual(w.messages.at(-1)?.kind, "delete");
  strictEqual(r.recorder("g"), undefined);
});

Deno.test("record twice is refused with 'already recording', unrecord without with 'not recording'", async () => {
  const g = group();
  const r = recorders();
  await rejects(r.stop(g), new RecordingRefused("not recording"));
  await r.start(g);
  await rejects(r.start(g), new RecordingRefused("already recording"));
  await r.stop(g);
  await rejects(r.stop(g), new RecordingRefused("not recording"));
});

Deno.test("chooseTracks() prefers the full simulcast layer and refuses AV1 with a clear message", () => {
  deepStrictEqual(
    chooseTracks([
      { id: "l", kind: "video", codec: "vp8", rid: "l" },
      { id: "h", kind: "video", codec: "vp8", rid: "h" },
      { id: "a", kind: "audio", codec: "opus" },
    ]),
    { video: "vp8", audio: "opus", skipped: [] },
  );
  const av1 = chooseTracks([{ id: "v", kind: "video", codec: "av1" }]);
  strictEqual(av1.video, undefined);
  deepStrictEqual(av1.skipped, [
    "Cannot record AV1 video: only VP8, VP9 and H.264 can be recorded",
  ]);
});
