/**
 * The two server setups the cluster benchmark compares, each made of real
 * processes on loopback:
 * - `all-in-one`: one process serving signalling and media, as `-role all`
 *   does (all_in_one_process.ts: `startServer` with the server's own media
 *   node, loopback candidates only);
 * - `edge+node`: `redis-server`, one media node (`-role media`'s
 *   `startMediaRole`) and one edge (`main.ts -role edge`), started with the
 *   cluster tests' support code.
 *
 * Both serve the same groups from a root made by `clusterRoot`: `bench`
 * ({@link BENCH_GROUP}) and `cap-0` … for the edge's capacity figures;
 * anyone may present in them.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { listMediaNodes } from "../server/cluster/media_node_registry.ts";
import { openRedisConnection } from "../server/cluster/redis_connection.ts";
import {
  type MediaProcess,
  startMediaProcess,
} from "../tests/media_node/support/remote_node.ts";
import { startRedisServer } from "../tests/support/redis_server.ts";
import { waitFor } from "../tests/support/wait_for.ts";
import { startEdgeProcess } from "../tests/cluster/support/edge_process.ts";
import { clusterRoot } from "../tests/cluster/support/cluster_setup.ts";
import { PinnedProcess } from "./pinned_process.ts";

/** The group of the latency figures. */
export const BENCH_GROUP = "bench";

/** The setups compared. */
export type SetupName = "all-in-one" | "edge+node";

/** A running setup. */
export interface Setup extends AsyncDisposable {
  readonly name: SetupName;
  /** Where clients connect (`ws://…/ws`). */
  readonly ws: string;
  /** The process that serves the WebSocket protocol (the edge, or the one process). */
  readonly signallingPid: number;
  /** Stops every process the setup started; idempotent. */
  close(): Promise<void>;
}

/** Options of the start functions. */
export interface SetupOptions {
  /**
   * The cores (as `taskset -c` takes them: "0", "0-1") of the process that
   * serves the WebSocket protocol (the one process, or the edge).
   */
  cores: string;
  /** The cores of the cluster's media node (default {@link cores}). */
  mediaCores?: string;
  /** Groups `cap-0` … `cap-(capGroups-1)` (default none). */
  capGroups?: number;
  /** Server logs: the one process's, the edge's and the media node's. */
  verbose?: boolean;
}

/** Every group's description: anyone may present, default codecs. */
const DESCRIPTION = {
  "wildcard-user": { password: { type: "wildcard" }, permissions: "present" },
};

/** A root with `data/` (the cluster secret) and the groups. */
function benchRoot(capGroups: number): Promise<string> {
  const groups: Record<string, unknown> = { [BENCH_GROUP]: DESCRIPTION };
  for (let i = 0; i < capGroups; i++) groups[capGroup(i)] = DESCRIPTION;
  return clusterRoot(groups);
}

/** The name of capacity group `i`. */
export function capGroup(i: number): string {
  return `cap-${i}`;
}

/** Every core of this machine, as `taskset -c` takes them. */
export function allCores(): string {
  return `0-${Math.max(0, navigator.hardwareConcurrency - 1)}`;
}

/**
 * Pins every thread of process `pid` (and those it starts later) to
 * `cores` ("0", "0-1").
 * @throws Error when taskset fails
 */
export async function pinToCores(pid: number, cores: string): Promise<void> {
  const { success, stderr } = await new Deno.Command("taskset", {
    args: ["-a", "-c", "-p", cores, String(pid)],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(
      `Cannot pin process ${pid} to cores ${cores}: ${
        new TextDecoder().decode(stderr).trim()
      }`,
    );
  }
}

/** Starts the all-in-one process and waits until it listens. */
export async function startAllInOne(options: SetupOptions): Promise<Setup> {
  const root = await benchRoot(options.capGroups ?? 0);
  const child = PinnedProcess.spawn({
    core: 0,
    args: [
      fileURLToPath(new URL("./all_in_one_process.ts", import.meta.url)),
      root,
      ...(options.verbose ? ["--verbose"] : []),
    ],
    stderr: options.verbose ? "inherit" : "null",
  });
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      await child.stop();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    })();
  try {
    // PinnedProcess pins to one core; then its threads go where asked.
    await pinToCores(child.pid, options.cores);
    const info = await child.message<{ ws: string; pid: number }>(60_000);
    return {
      name: "all-in-one",
      ws: info.ws,
      signallingPid: info.pid,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * Starts Redis, one media node and one edge, and waits until the node is
 * registered and the edge listens.
 */
export async function startEdgeAndNode(options: SetupOptions): Promise<Setup> {
  if (options.verbose) {
    // What the cluster tests' support code reads in this process's
    // environment (the edge), and passes on to the media node's.
    Deno.env.set("NEREID_TEST_EDGE_LOG", "1");
    Deno.env.set("NODE_LOG", "1");
  }
  const redis = await startRedisServer();
  const root = await benchRoot(options.capGroups ?? 0);
  let media: MediaProcess | undefined;
  let edge: Awaited<ReturnType<typeof startEdgeProcess>> | undefined;
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      await edge?.stop();
      await media?.stop();
      await redis.close();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    })();
  try {
    media = await startMediaProcess({
      recordingsDir: `${root}/recordings`,
      nodeId: "bench-node",
      redisUrl: redis.url,
    });
    await pinToCores(media.child.pid, options.mediaCores ?? options.cores);
    const watcher = openRedisConnection(redis.url, { log: () => {} });
    try {
      await waitFor(
        "the media node to register",
        async () => (await listMediaNodes(watcher)).length === 1,
      );
    } finally {
      await watcher.close();
    }
    edge = await startEdgeProcess(root, redis.url);
    await pinToCores(edge.child.pid, options.cores);
    return {
      name: "edge+node",
      ws: edge.ws,
      signallingPid: edge.child.pid,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
