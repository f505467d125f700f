/**
 * The media plane as an edge sees it in a cluster: one {@link MediaNode}
 * that places each group on a media node (group_placement.ts: the least
 * loaded live node, a lease in Redis that every edge reads) and carries the
 * group's operations there through that node's {@link RemoteMediaNode}
 * (one link per node, opened when first needed and kept until the node
 * restarts with a new incarnation). A down
 * connection or a recording goes to the node of its up connection: the one
 * it was opened on through this edge, else the node holding the group's
 * lease (a down or a recording never places a group). Up connections are
 * known by group and id: ids are chosen by clients and unique on one node
 * only, and two groups on two nodes may each have a stream of the same id.
 *
 * A node whose link is lost (killed: its socket closes at once; silent:
 * within 3.25 s) ends every connection it carried with `"lost"`, and is not
 * used for placement by this edge while its link is down, even though its
 * record stays in the registry for up to 5 s: the next open of one of its
 * groups moves the group to a live node at once (group_placement.ts).
 *
 * While a group has up connections through this edge, the edge renews its
 * lease every `leaseMs / 3`, and takes it again when it is gone (Redis
 * restarted empty); when the group's last one closes, the lease is
 * left to run out. A placement that fails (no live node, every node full,
 * Redis unreachable) fails the open with `"unavailable"` and the reason.
 *
 * @module
 */

import {
  type ConnectionStats,
  type DownConnection,
  type DownOptions,
  MediaError,
  type MediaNode,
  type MediaRecording,
  type RecordOptions,
  type UpConnection,
  type UpOptions,
} from "../media/media_node.ts";
import type { EdgeTokens } from "./edge_token.ts";
import {
  placeGroup,
  placementOf,
  reclaimPlacement,
  renewPlacement,
} from "./group_placement.ts";
import { listMediaNodes, type MediaNodeRecord } from "./media_node_registry.ts";
import {
  type RedisConnection,
  RedisUnavailableError,
} from "./redis_connection.ts";
import { RemoteMediaNode } from "./remote_media_node.ts";

/** The default placement lease (ms). */
export const DEFAULT_LEASE_MS = 15_000;

/** Options of {@link ClusterMediaNode}. */
export interface ClusterMediaNodeOptions {
  redis: RedisConnection;
  /** This edge's id (the subject of its edge tokens). */
  edgeId: string;
  tokens: EdgeTokens;
  log(message: string): void;
  leaseMs?: number;
}

interface GroupUse {
  nodeId: string;
  ups: number;
  renew: ReturnType<typeof setInterval>;
}

/** An up connection's key: its group and id. */
function upKey(group: string, id: string): string {
  return JSON.stringify([group, id]);
}

/** A {@link MediaNode} that spreads groups over the cluster's media nodes. */
export class ClusterMediaNode implements MediaNode {
  readonly #options: ClusterMediaNodeOptions;
  readonly #links = new Map<string, Promise<RemoteMediaNode>>();
  /** The incarnation each link was made for. */
  readonly #incarnations = new Map<string, string>();
  /** The links made so far, by node id (to know which ones are down). */
  readonly #connected = new Map<string, RemoteMediaNode>();
  /** Which node carries each up connection opened through this edge, by {@link upKey}. */
  readonly #upNodes = new Map<string, RemoteMediaNode>();
  readonly #groups = new Map<string, GroupUse>();
  #closed = false;

  constructor(options: ClusterMediaNodeOptions) {
    this.#options = options;
  }

  #link(record: MediaNodeRecord): Promise<RemoteMediaNode> {
    const known = this.#incarnations.get(record.id);
    let link = this.#links.get(record.id);
    if (
      link !== undefined && known !== undefined && known !== record.incarnation
    ) {
      // The node restarted (perhaps elsewhere): a fresh link to its new URL.
      link.then((old) => old.close(), () => {});
      link = undefined;
    }
    if (link === undefined) {
      this.#incarnations.set(record.id, record.incarnation);
      link = RemoteMediaNode.connect({
        url: record.controlUrl,
        nodeId: record.id,
        edgeId: this.#options.edgeId,
        tokens: this.#options.tokens,
        log: this.#options.log,
      });
      this.#links.set(record.id, link);
      this.#connected.delete(record.id);
      // A node that cannot be reached now is asked again next time.
      const made = link;
      made.then((node) => {
        if (this.#links.get(record.id) === made) {
          this.#connected.set(record.id, node);
        }
      }, () => {
        if (this.#links.get(record.id) === made) this.#links.delete(record.id);
      });
    }
    return link;
  }

  #leaseMs(): number {
    return this.#options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  // The group's node: its placement, made now if there is none.
  async #place(group: string): Promise<MediaNodeRecord> {
    if (this.#closed) throw new MediaError("closed", "The edge is closing");
    const placement = await placeGroup(this.#options.redis, group, {
      leaseMs: this.#leaseMs(),
      usable: (node) => this.#usable(node),
      log: this.#options.log,
    });
    if (!placement.ok) {
      throw new MediaError(
        "unavailable",
        `Cannot place group ${JSON.stringify(group)}: ${placement.reason}`,
      );
    }
    return placement.node;
  }

  // Not a node whose link from here is down (the same incarnation: a
  // restarted node is tried afresh).
  #usable(node: MediaNodeRecord): boolean {
    const link = this.#connected.get(node.id);
    return link === undefined || link.linked ||
      this.#incarnations.get(node.id) !== node.incarnation;
  }

  async openUp(options: UpOptions): Promise<UpConnection> {
    const record = await this.#place(options.group);
    const node = await this.#link(record);
    // Forgotten when closed here, or by the node (its link lost included).
    let release = () => {
      closedEarly = true;
    };
    let closedEarly = false;
    const up = await node.openUp({
      ...options,
      onStateChange: (state) => {
        if (state === "closed" || state === "lost") release();
        options.onStateChange(state);
      },
    });
    let released = false;
    release = () => {
      if (released) return;
      released = true;
      const key = upKey(options.group, up.id);
      if (this.#upNodes.get(key) === node) this.#upNodes.delete(key);
      this.#unused(options.group);
    };
    this.#upNodes.set(upKey(options.group, up.id), node);
    this.#used(options.group, record.id);
    if (closedEarly) release();
    return {
      id: up.id,
      offer: (sdp) => up.offer(sdp),
      addIceCandidate: (c) => up.addIceCandidate(c),
      close: () => {
        release();
        up.close();
      },
    };
  }

  #used(group: string, nodeId: string): void {
    const use = this.#groups.get(group);
    if (use && use.nodeId === nodeId) {
      use.ups++;
      return;
    }
    if (use) clearInterval(use.renew);
    const leaseMs = this.#leaseMs();
    const redis = this.#options.redis;
    const lease = { group, nodeId, leaseMs };
    const renew = setInterval(() => {
      // A lease gone with a restarted Redis is taken again: the streams
      // are still on this node.
      renewPlacement(redis, lease).then((held) =>
        held || reclaimPlacement(redis, lease)
      ).then((held) => {
        if (!held) {
          this.#options.log(
            `group ${JSON.stringify(group)}: lease held by another node`,
          );
        }
      }).catch((e) => {
        // An unreachable Redis is logged by the connection, once.
        if (!(e instanceof RedisUnavailableError)) {
          this.#options.log(`group ${JSON.stringify(group)}: lease: ${e}`);
        }
      });
    }, leaseMs / 3);
    this.#groups.set(group, { nodeId, ups: (use?.ups ?? 0) + 1, renew });
  }

  #unused(group: string): void {
    const use = this.#groups.get(group);
    if (use === undefined) return;
    if (--use.ups > 0) return;
    clearInterval(use.renew);
    this.#groups.delete(group);
  }

  // An up's node: the one it was opened on here, else the group's node
  // (an up published through another edge); never a new placement.
  async #nodeOf(upId: string, group: string): Promise<RemoteMediaNode> {
    const known = this.#upNodes.get(upKey(group, upId));
    if (known !== undefined) return known;
    const redis = this.#options.redis;
    const [holder, nodes] = await Promise.all([
      placementOf(redis, group),
      listMediaNodes(redis),
    ]).catch((e) => {
      throw new MediaError("unavailable", `Cannot reach Redis: ${e}`);
    });
    const record = nodes.find((n) => n.id === holder);
    if (record === undefined) {
      throw new MediaError(
        "not-found",
        `No media node carries group ${JSON.stringify(group)}`,
      );
    }
    return await this.#link(record);
  }

  async openDown(options: DownOptions): Promise<DownConnection> {
    return await (await this.#nodeOf(options.upId, options.group))
      .openDown(options);
  }

  async record(options: RecordOptions): Promise<MediaRecording> {
    return await (await this.#nodeOf(options.upId, options.group))
      .record(options);
  }

  async stats(): Promise<ConnectionStats[]> {
    const nodes = await Promise.allSettled([...this.#links.values()]);
    const all = await Promise.all(
      nodes.map((n) =>
        n.status === "fulfilled"
          ? n.value.stats().catch(() => [])
          : Promise.resolve([])
      ),
    );
    return all.flat();
  }

  /** Closes every link (the nodes close what this edge opened). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const use of this.#groups.values()) clearInterval(use.renew);
    this.#groups.clear();
    const links = await Promise.allSettled([...this.#links.values()]);
    this.#links.clear();
    this.#connected.clear();
    await Promise.all(
      links.map((l) => l.status === "fulfilled" ? l.value.close() : undefined),
    );
  }
}
