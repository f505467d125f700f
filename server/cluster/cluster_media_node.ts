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
 * A group is kept whole on one node: when its placement changes (another
 * edge lost its link to the node and moved the group), the up connections
 * this edge has on the old node end with `"lost"` (closed there), so that
 * their publishers publish them again on the new node. An edge that places
 * a group says so on the group's placement channel, and the edges with up
 * connections in it read the lease again at once; a lease renewal that
 * finds another holder does the same, should the message be missed.
 *
 * While a group has up connections through this edge, the edge renews its
 * lease every `leaseMs / 3`, and takes it again when it is gone (Redis
 * restarted empty); when the group's last one closes, the lease is
 * left to run out. A placement that fails (no live node, every node full,
 * Redis unreachable) fails the open with `"unavailable"` and the reason.
 *
 * While Redis is unreachable, the edge uses the placement it last knew of
 * a group it has connections in (up or down): a subscription to a stream
 * of another edge, or a new stream, still goes to the group's node; so
 * does a subscription when Redis is back but has no placement for it yet
 * (restarted empty, until the lease is taken again).
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
import { groupPlacementChannel } from "./cluster_keys.ts";
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

/** A group this edge has up connections in. */
interface GroupUse {
  /** The node of its latest up connection here (its lease is renewed). */
  nodeId: string;
  ups: number;
  renew: ReturnType<typeof setInterval>;
  /** Stops listening on the group's placement channel. */
  unwatch(): void;
}

/** An up connection opened through this edge. */
interface UpEntry {
  group: string;
  record: MediaNodeRecord;
  node: RemoteMediaNode;
  /** Ends it as `"lost"`: closed on its node, and its publisher told. */
  lose(): void;
}

/** The placement this edge knows of a group it has connections in. */
interface KnownPlacement {
  record: MediaNodeRecord;
  connections: number;
}

/** An up connection's key: its group and id. */
function upKey(group: string, id: string): string {
  return JSON.stringify([group, id]);
}

/** The longest node id a placement message may carry. */
const MAX_NODE_ID = 64;

/** A {@link MediaNode} that spreads groups over the cluster's media nodes. */
export class ClusterMediaNode implements MediaNode {
  readonly #options: ClusterMediaNodeOptions;
  readonly #links = new Map<string, Promise<RemoteMediaNode>>();
  /** The incarnation each link was made for. */
  readonly #incarnations = new Map<string, string>();
  /** The links made so far, by node id (to know which ones are down). */
  readonly #connected = new Map<string, RemoteMediaNode>();
  /** The up connections opened through this edge, by {@link upKey}. */
  readonly #ups = new Map<string, UpEntry>();
  readonly #groups = new Map<string, GroupUse>();
  /** By group, for the time Redis is unreachable. */
  readonly #known = new Map<string, KnownPlacement>();
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

  // The group's node: its placement, made now if there is none (while
  // Redis is unreachable, the one this edge knows, if any).
  async #place(group: string): Promise<MediaNodeRecord> {
    if (this.#closed) throw new MediaError("closed", "The edge is closing");
    const redis = this.#options.redis;
    const placement = await placeGroup(redis, group, {
      leaseMs: this.#leaseMs(),
      usable: (node) => this.#usable(node),
      log: this.#options.log,
    });
    if (!placement.ok) {
      const known = this.#known.get(group)?.record;
      if (known !== undefined && !redis.up && this.#usable(known)) return known;
      throw new MediaError(
        "unavailable",
        `Cannot place group ${JSON.stringify(group)}: ${placement.reason}`,
      );
    }
    if (placement.placed) {
      // The edges with streams of the group elsewhere move them.
      redis.publish(groupPlacementChannel(group), placement.node.id).catch(
        (e) => this.#failed(group, "placement message", e),
      );
    }
    return placement.node;
  }

  #failed(group: string, what: string, e: unknown): void {
    // An unreachable Redis is logged by the connection, once.
    if (e instanceof RedisUnavailableError) return;
    this.#options.log(`group ${JSON.stringify(group)}: ${what}: ${e}`);
  }

  // Not a node whose link from here is down (the same incarnation: a
  // restarted node is tried afresh).
  #usable(node: MediaNodeRecord): boolean {
    const link = this.#connected.get(node.id);
    return link === undefined || link.linked ||
      this.#incarnations.get(node.id) !== node.incarnation;
  }

  async openUp(options: UpOptions): Promise<UpConnection> {
    const group = options.group;
    const record = await this.#place(group);
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
    const key = upKey(group, up.id);
    let released = false;
    release = () => {
      if (released) return;
      released = true;
      if (this.#ups.get(key) === entry) this.#ups.delete(key);
      this.#unused(group);
      this.#forget(group);
    };
    const entry: UpEntry = {
      group,
      record,
      node,
      lose: () => {
        if (released) return;
        release();
        up.close();
        options.onStateChange("lost");
      },
    };
    this.#ups.set(key, entry);
    this.#remember(group, record);
    this.#used(group, record.id);
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

  #remember(group: string, record: MediaNodeRecord): void {
    const known = this.#known.get(group);
    if (known === undefined) this.#known.set(group, { record, connections: 1 });
    else {
      known.record = record;
      known.connections++;
    }
  }

  #forget(group: string): void {
    const known = this.#known.get(group);
    if (known !== undefined && --known.connections <= 0) {
      this.#known.delete(group);
    }
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
      // are still on this node. One another node holds now means the
      // group moved: its streams here follow.
      renewPlacement(redis, lease).then((held) =>
        held || reclaimPlacement(redis, lease)
      ).then(async (held) => {
        if (!held) this.#converge(group, await placementOf(redis, group));
      }).catch((e) => this.#failed(group, "lease", e));
    }, leaseMs / 3);
    this.#groups.set(group, {
      nodeId,
      ups: (use?.ups ?? 0) + 1,
      renew,
      unwatch: use?.unwatch ?? this.#watch(group),
    });
    // This edge moved the group: what it still has elsewhere follows.
    if (use) this.#converge(group, nodeId);
  }

  #unused(group: string): void {
    const use = this.#groups.get(group);
    if (use === undefined) return;
    if (--use.ups > 0) return;
    clearInterval(use.renew);
    use.unwatch();
    this.#groups.delete(group);
  }

  // Listens for another edge's placement of the group, and reads the
  // lease again then (the message only says to look).
  #watch(group: string): () => void {
    const redis = this.#options.redis;
    let stopped = false;
    let stop: (() => Promise<void>) | undefined;
    redis.subscribe(groupPlacementChannel(group), (nodeId) => {
      const use = this.#groups.get(group);
      if (
        use === undefined || nodeId === use.nodeId ||
        nodeId.length > MAX_NODE_ID
      ) return;
      placementOf(redis, group).then((holder) => this.#converge(group, holder))
        .catch((e) => this.#failed(group, "placement", e));
    }).then((unsubscribe) => {
      if (stopped) unsubscribe().catch(() => {});
      else stop = unsubscribe;
    }, (e) => this.#failed(group, "placement channel", e));
    return () => {
      stopped = true;
      stop?.().catch(() => {});
    };
  }

  /**
   * The group is placed on `holder`: the up connections this edge has on
   * another node end as lost, to be published again there (a group split
   * over two nodes would hide each half's streams from the other's
   * subscribers). Nothing while the group has no holder (the lease ran
   * out, or Redis restarted: it is taken again).
   */
  #converge(group: string, holder: string | undefined): void {
    if (holder === undefined || this.#closed) return;
    const elsewhere = [...this.#ups.values()].filter((u) =>
      u.group === group && u.record.id !== holder
    );
    if (elsewhere.length === 0) return;
    const from = [...new Set(elsewhere.map((u) => u.record.id))].join(", ");
    this.#options.log(
      `group ${
        JSON.stringify(group)
      }: placed on ${holder}: ${elsewhere.length} stream(s) published here on ${from} end as lost, to be published again`,
    );
    for (const u of elsewhere) u.lose();
  }

  // An up's node: the one it was opened on here, else the group's node
  // (an up published through another edge; while Redis is unreachable or
  // has none, the one this edge knows); never a new placement.
  async #nodeOf(
    upId: string,
    group: string,
  ): Promise<{ node: RemoteMediaNode; record: MediaNodeRecord }> {
    const known = this.#ups.get(upKey(group, upId));
    if (known !== undefined) return known;
    const redis = this.#options.redis;
    let record: MediaNodeRecord | undefined;
    try {
      const [holder, nodes] = await Promise.all([
        placementOf(redis, group),
        listMediaNodes(redis),
      ]);
      // None (a restarted Redis, before the lease and the node's record
      // are written again): the one this edge knows.
      record = nodes.find((n) => n.id === holder) ??
        this.#known.get(group)?.record;
    } catch (e) {
      record = e instanceof RedisUnavailableError
        ? this.#known.get(group)?.record
        : undefined;
      if (record === undefined) {
        throw new MediaError("unavailable", `Cannot reach Redis: ${e}`);
      }
    }
    if (record === undefined) {
      throw new MediaError(
        "not-found",
        `No media node carries group ${JSON.stringify(group)}`,
      );
    }
    return { node: await this.#link(record), record };
  }

  async openDown(options: DownOptions): Promise<DownConnection> {
    const { node, record } = await this.#nodeOf(options.upId, options.group);
    let closedEarly = false;
    let release = () => {
      closedEarly = true;
    };
    const down = await node.openDown({
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
      this.#forget(options.group);
    };
    this.#remember(options.group, record);
    if (closedEarly) release();
    return {
      get id() {
        return down.id;
      },
      negotiate: (o) => down.negotiate(o),
      answer: (sdp) => down.answer(sdp),
      addIceCandidate: (c) => down.addIceCandidate(c),
      setRequest: (request) => down.setRequest(request),
      retarget: (upId) => down.retarget(upId),
      close: () => {
        release();
        down.close();
      },
    };
  }

  async record(options: RecordOptions): Promise<MediaRecording> {
    return await (await this.#nodeOf(options.upId, options.group)).node
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
    for (const use of this.#groups.values()) {
      clearInterval(use.renew);
      use.unwatch();
    }
    this.#groups.clear();
    const links = await Promise.allSettled([...this.#links.values()]);
    this.#links.clear();
    this.#connected.clear();
    await Promise.all(
      links.map((l) => l.status === "fulfilled" ? l.value.close() : undefined),
    );
  }
}
