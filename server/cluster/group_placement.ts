/**
 * Which media node hosts a group: a lease in Redis,
 * `nereid:group:<name>:node` = node id with a time to live. When a group's
 * first stream is published, an edge picks the least loaded live node and
 * writes it with `SET … NX PX`, so two edges racing agree on one node (the
 * loser reads the winner's choice). The holder renews the lease while it
 * hosts the group; when the placed node is gone from the registry, or the
 * edge knows it is gone before the registry does (its link to the node was
 * lost: `usable`), the next placement moves the group to another live node
 * with a compare-and-set, so racing edges agree on the new node too.
 *
 * @example
 * ```ts
 * const placement = await placeGroup(connection, "night-watch", { leaseMs: 10_000 });
 * if (placement.ok) connectTo(placement.node.controlUrl);
 * else refuse(placement.reason);
 * ```
 *
 * @module
 */

import { groupNodeKey } from "./cluster_keys.ts";
import {
  listMediaNodes,
  type MediaNodeInfo,
  type MediaNodeRecord,
} from "./media_node_registry.ts";
import {
  type RedisConnection,
  RedisUnavailableError,
} from "./redis_connection.ts";
import {
  compareAndDelete,
  compareAndExpire,
  compareAndSet,
} from "./redis_scripts.ts";

/** The outcome of {@link placeGroup}: a node, or why there is none. */
export type Placement =
  | {
    ok: true;
    node: MediaNodeRecord;
    /** `true` when this call made the choice (`false`: it was made). */
    placed: boolean;
    /** The node the group left, when this call moved it. */
    replaced?: string;
  }
  | { ok: false; reason: string };

/** Options of {@link placeGroup}. */
export interface PlacementOptions {
  /** The lease's time to live; the holder renews it before it runs out. */
  leaseMs: number;
  /** Picks among live nodes (default {@link chooseLeastLoaded}). */
  choose?: (nodes: readonly MediaNodeInfo[]) => MediaNodeInfo | undefined;
  /**
   * Whether a registered node may carry the group (default: every one).
   * An edge that has lost its link to a node says no for it, so that the
   * group moves at once instead of when the node's record runs out.
   */
  usable?: (node: MediaNodeRecord) => boolean;
  log?: (message: string) => void;
}

// Each attempt reads the lease, then writes it conditionally; another edge
// can only make us retry by winning, so a few attempts always settle.
const MAX_ATTEMPTS = 5;

/**
 * The node with the lowest load for its capacity (then the lowest load,
 * then the smallest id, so every edge makes the same choice from the same
 * data); `undefined` when every node is full.
 */
export function chooseLeastLoaded(
  nodes: readonly MediaNodeInfo[],
): MediaNodeInfo | undefined {
  let best: MediaNodeInfo | undefined;
  for (const node of nodes) {
    if (node.load >= node.capacity) continue;
    if (best === undefined || compareLoad(node, best) < 0) best = node;
  }
  return best;
}

function compareLoad(a: MediaNodeInfo, b: MediaNodeInfo): number {
  return a.load * b.capacity - b.load * a.capacity || a.load - b.load ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Finds or makes the group's placement: the node named by a live lease,
 * else a newly chosen one. Errors come back as values (no live node, every
 * node full, Redis unreachable).
 */
export async function placeGroup(
  connection: RedisConnection,
  group: string,
  options: PlacementOptions,
): Promise<Placement> {
  const key = groupNodeKey(group);
  const choose = options.choose ?? chooseLeastLoaded;
  const ttl = String(options.leaseMs);
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const [current, registered] = await Promise.all([
        connection.command((r) => r.get(key)),
        listMediaNodes(connection, options.log ? { log: options.log } : {}),
      ]);
      const usable = options.usable;
      const nodes = usable ? registered.filter((n) => usable(n)) : registered;
      const holder = nodes.find((n) => n.id === current);
      if (holder !== undefined) {
        return { ok: true, node: holder, placed: false };
      }
      const choice = pick(nodes, choose);
      if (typeof choice === "string") return { ok: false, reason: choice };
      if (current === null) {
        const set = await connection.command((r) =>
          r.set(key, choice.id, "PX", ttl, "NX")
        );
        if (set === "OK") return { ok: true, node: choice, placed: true };
      } else {
        const moved = await compareAndSet(connection, key, {
          expected: current,
          value: choice.id,
          ttlMs: options.leaseMs,
        });
        if (moved) {
          options.log?.(
            `group ${
              JSON.stringify(group)
            }: media node ${current} is gone, placed on ${choice.id}`,
          );
          return { ok: true, node: choice, placed: true, replaced: current };
        }
      }
      // Another edge wrote first: read its choice.
    }
    return {
      ok: false,
      reason: `Placement of group ${JSON.stringify(group)} kept changing`,
    };
  } catch (error) {
    if (!(error instanceof RedisUnavailableError)) throw error;
    return { ok: false, reason: error.message };
  }
}

function pick(
  nodes: readonly MediaNodeRecord[],
  choose: NonNullable<PlacementOptions["choose"]>,
): MediaNodeRecord | string {
  if (nodes.length === 0) return "No media node is available";
  const chosen = choose(nodes);
  const node = nodes.find((n) => n.id === chosen?.id);
  return node ?? "Every media node is full";
}

/** The id of the node that holds the group's lease, if any. */
export async function placementOf(
  connection: RedisConnection,
  group: string,
): Promise<string | undefined> {
  const id = await connection.command((r) => r.get(groupNodeKey(group)));
  return id ?? undefined;
}

/**
 * Extends the lease by `leaseMs` if `nodeId` still holds it; `false` means
 * the group was moved (or its lease ran out): the holder should let go of
 * the group.
 *
 * @throws {RedisUnavailableError} When Redis is unreachable.
 */
export function renewPlacement(
  connection: RedisConnection,
  options: { group: string; nodeId: string; leaseMs: number },
): Promise<boolean> {
  return compareAndExpire(connection, groupNodeKey(options.group), {
    expected: options.nodeId,
    ttlMs: options.leaseMs,
  });
}

/**
 * Takes the lease for `nodeId` again when nobody holds it: after Redis
 * restarted empty (or the lease ran out while Redis was away), the node
 * that still carries the group's streams keeps it. `false` when another
 * node holds it now.
 *
 * @throws {RedisUnavailableError} When Redis is unreachable.
 */
export async function reclaimPlacement(
  connection: RedisConnection,
  options: { group: string; nodeId: string; leaseMs: number },
): Promise<boolean> {
  const key = groupNodeKey(options.group);
  const set = await connection.command((r) =>
    r.set(key, options.nodeId, "PX", String(options.leaseMs), "NX")
  );
  return set === "OK" || await renewPlacement(connection, options);
}

/**
 * Ends the lease if `nodeId` holds it (the group's last stream closed);
 * the next publication places the group afresh.
 *
 * @throws {RedisUnavailableError} When Redis is unreachable.
 */
export function releasePlacement(
  connection: RedisConnection,
  options: { group: string; nodeId: string },
): Promise<boolean> {
  return compareAndDelete(
    connection,
    groupNodeKey(options.group),
    options.nodeId,
  );
}
