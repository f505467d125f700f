/**
 * The SFU under test, alone in its process so that its CPU time and RSS can
 * be read from /proc: `taskset -c 0 deno run -A bench/sfu_process.ts
 * --media nereid|baseline`.
 *
 * Starts a server on 127.0.0.1 over a temporary directory holding one group,
 * `bench`, where anyone may publish, then prints one JSON line
 * (`{"ws":…,"pid":…,"media":…,"fastPath":…}`) and runs until SIGTERM/SIGINT.
 * Each stdin line `{"type":"stats"}` is answered with one line
 * `{"type":"stats","loop":…,"send":…,"memory":…}`: what the receive loop
 * and the sendmmsg path did since the last one (`receive_loop.ts`,
 * `udp_batch.ts`), and where the process's memory is (`Deno.memoryUsage()`).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { RTCDtlsTransport } from "werift";
import { startServer } from "../server/server.ts";
import type { MediaNode } from "../server/media/media_node.ts";
import { acquireFastPath } from "../server/media/fast/werift_seam.ts";
import { BaselineMediaNode } from "./baseline_media_node.ts";
import { BENCH_GROUP } from "./bench_defaults.ts";
import { ReceiveLoop } from "../server/media/fast/receive_loop.ts";
import { takeSendStats } from "../server/media/fast/udp_batch.ts";

const FAST_PATH_MARK = Symbol.for("nereid.fastPath");

function fastPathInstalled(): boolean {
  const proto = RTCDtlsTransport.prototype as unknown as Record<
    PropertyKey,
    unknown
  >;
  return proto[FAST_PATH_MARK] === true;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      media: { type: "string", default: "nereid" },
      // auto: Nereid gets the fast path, from its node or else from here.
      "fast-path": { type: "string", default: "auto" },
      verbose: { type: "boolean", default: false },
    },
  });
  const kind = values.media;
  if (kind !== "nereid" && kind !== "baseline") {
    throw new RangeError(`Unknown --media "${kind}": use nereid or baseline`);
  }
  const log = values.verbose
    ? (m: string) =>
      console.error(
        `[sfu ${kind} ${(performance.now() / 1000).toFixed(1)}s] ${m}`,
      )
    : () => {};
  const root = await Deno.makeTempDir({ prefix: "nereid-bench-" });
  const dirs = ["data", "groups", "recordings", "static"].map((d) =>
    join(root, d)
  );
  for (const d of dirs) await Deno.mkdir(d);
  const [dataDir, groupsDir, recordingsDir, staticDir] = dirs as [
    string,
    string,
    string,
    string,
  ];
  await Deno.writeTextFile(
    join(groupsDir, `${BENCH_GROUP}.json`),
    JSON.stringify({
      "wildcard-user": {
        password: { type: "wildcard" },
        permissions: "present",
      },
      codecs: ["vp8"],
    }),
  );
  const media: MediaNode | undefined = kind === "baseline"
    ? new BaselineMediaNode({ log })
    : undefined;
  const server = await startServer({
    hostname: "127.0.0.1",
    port: 0,
    dataDir,
    groupsDir,
    recordingsDir,
    staticDir,
    insecure: true,
    loopbackOnly: true,
    ...(media ? { media } : {}),
    log,
  });
  // Peer connections are made on offers, so installing now still counts.
  let fastPath = fastPathInstalled() ? "by the media node" : "off";
  let release = () => {};
  if (
    kind === "nereid" && fastPath === "off" && values["fast-path"] !== "off"
  ) {
    const lease = acquireFastPath();
    release = () => lease.release();
    fastPath = `bench (${lease.crypto}, ${lease.udp})`;
  }
  console.log(JSON.stringify({
    ws: `${server.url.replace(/^http/, "ws")}/ws`,
    pid: Deno.pid,
    media: kind,
    fastPath,
  }));
  const stop = Promise.withResolvers<void>();
  Deno.addSignalListener("SIGTERM", () => stop.resolve());
  Deno.addSignalListener("SIGINT", () => stop.resolve());
  void answerStats();
  await stop.promise;
  await Promise.race([
    server.shutdown("benchmark over"),
    new Promise((r) => setTimeout(r, 3000)),
  ]);
  release();
  await Deno.remove(root, { recursive: true }).catch(() => {});
  Deno.exit(0);
}

// Answers the bench's stats requests until stdin closes.
async function answerStats(): Promise<void> {
  let buffered = "";
  for await (
    const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())
  ) {
    buffered += chunk;
    let at;
    while ((at = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, at).trim();
      buffered = buffered.slice(at + 1);
      if (line !== '{"type":"stats"}') continue;
      console.log(JSON.stringify({
        type: "stats",
        loop: ReceiveLoop.shared().takeStats(),
        send: takeSendStats(),
        memory: Deno.memoryUsage(),
      }));
    }
  }
}

if (import.meta.main) await main();
