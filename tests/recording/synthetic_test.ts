/**
 * Round trips through ffprobe and ffmpeg of files recorded from synthetic
 * RTP: real bitstreams from ffmpeg, packetised as browsers do.
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  decodeErrors,
  encodeFrames,
  hasCues,
  probe,
  recordPackets,
  streamPackets,
  type SyntheticCodec,
} from "./support/synthetic.ts";

const SECONDS = 10;

for (const codec of ["vp8", "vp9", "h264"] as SyntheticCodec[]) {
  Deno.test(`a recording of synthetic ${codec} and Opus probes, decodes cleanly, seeks and lasts 10 s`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "nereid-rec-" });
    try {
      const frames = await encodeFrames(codec, { seconds: SECONDS, dir });
      const packets = streamPackets(codec, frames, { audio: true });
      const paths = await recordPackets(packets, {
        dir: `${dir}/out`,
        video: codec,
        audio: true,
      });
      strictEqual(paths.length, 1);
      const path = paths[0]!;
      ok(path.endsWith(codec === "h264" ? ".mkv" : ".webm"), path);
      const p = await probe(path);
      deepStrictEqual(
        p.streams.map((s) => s.codec_name).sort(),
        [codec, "opus"].sort(),
      );
      const video = p.streams.find((s) => s.codec_type === "video")!;
      strictEqual(`${video.width}x${video.height}`, "320x240");
      const duration = Number(p.format.duration);
      ok(Math.abs(duration - SECONDS) <= 0.5, `duration ${duration}`);
      ok(await hasCues(path), "Cues");
      strictEqual(await decodeErrors(path), "");
      strictEqual(await decodeErrors(path, { seek: 5 }), "");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("a recorder that dies mid-stream leaves a file that decodes up to its last cluster", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nereid-rec-" });
  try {
    const frames = await encodeFrames("vp8", { seconds: 6, dir });
    const packets = streamPackets("vp8", frames, { audio: true });
    const paths = await recordPackets(packets, {
      dir: `${dir}/out`,
      video: "vp8",
      audio: true,
      kill: 4500,
    });
    strictEqual(paths.length, 1);
    const p = await probe(paths[0]!);
    strictEqual(p.streams.length, 2);
    strictEqual(await decodeErrors(paths[0]!), "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("with newFileOnResize, a new keyframe size ends the file and starts another", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nereid-rec-" });
  try {
    const small = await encodeFrames("vp8", { seconds: 2, dir });
    const large = await encodeFrames("vp8", {
      seconds: 2,
      dir,
      size: "640x480",
    });
    const packets = streamPackets("vp8", [...small, ...large], {
      audio: false,
    });
    const paths = await recordPackets(packets, {
      dir: `${dir}/out`,
      video: "vp8",
      newFileOnResize: true,
    });
    strictEqual(paths.length, 2);
    const sizes = [];
    for (const path of paths) {
      const v = (await probe(path)).streams[0]!;
      sizes.push(`${v.width}x${v.height}`);
      strictEqual(await decodeErrors(path), "");
    }
    deepStrictEqual(sizes, ["320x240", "640x480"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("by default a new keyframe size stays in the same file, which decodes cleanly", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nereid-rec-" });
  try {
    const small = await encodeFrames("vp8", { seconds: 2, dir });
    const large = await encodeFrames("vp8", {
      seconds: 2,
      dir,
      size: "640x480",
    });
    const packets = streamPackets("vp8", [...small, ...large], {
      audio: false,
    });
    const paths = await recordPackets(packets, {
      dir: `${dir}/out`,
      video: "vp8",
    });
    strictEqual(paths.length, 1);
    strictEqual(await decodeErrors(paths[0]!), "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
