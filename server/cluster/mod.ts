/**
 * A Nereid cluster (the README's "Running a cluster"): stateless signalling edges (`-role edge`:
 * HTTP and WebSocket only) in front of media nodes (`-role media`),
 * coordinated through Redis. Each block is tested against a real
 * `redis-server` or a media node in another process.
 *
 * What exists:
 * - {@link RedisConnection} (`redis_connection.ts`, `redis_url.ts`): the
 *   one way to Redis (ioredis). Commands fail fast while Redis is
 *   unreachable and time out instead of hanging; it reconnects and
 *   resubscribes by itself; it logs "Redis unreachable" and "Redis back"
 *   once per transition, without credentials.
 * - The media node registry (`media_node_registry.ts`): a node's record
 *   (id, control URL, capacity, load, incarnation) under `PX 5000`,
 *   refreshed every second; a killed node leaves the list within 5 s.
 * - Group placement (`group_placement.ts`): a lease per group on the least
 *   loaded live node (`SET NX PX`), renewed by its holder, moved by
 *   compare-and-set when the holder is gone; racing edges agree.
 * - Edge↔media authentication (`edge_token.ts`): short-lived HS256 JWTs
 *   with the shared secret, one audience per media node.
 * - The media-node contract (server/media/media_node.ts) on the wire
 *   (`media_wire.ts`), a node's control endpoint (`media_control.ts`), the
 *   edge's client for one node (`remote_media_node.ts`: call timeouts,
 *   ping/pong, a gone node found within 3.25 s, reconnection), the edge's
 *   media plane over every node (`cluster_media_node.ts`: placement, one
 *   link per node, lease renewal) and the media role (`media_role.ts`).
 *   `main.ts` wires `-role`, `-redis` and `clusterSecret`.
 * - Shared group state: the chat history on a Redis stream per group
 *   (`shared_chat_history.ts`), and a pub/sub event channel per group
 *   between edges (`group_events.ts`).
 *
 * - Shared group state between edges (`group_replication.ts`, given to
 *   each group through `GroupRegistry`'s `onCreate` in `main.ts`; absent
 *   without `-redis`, so the single process is unchanged). Each edge's
 *   `Group` publishes on the group's event channel what its own members
 *   do that others see: `member-join` / `member-change` / `member-leave`
 *   (id, username, permissions, data), `chat` (the entry also goes to the
 *   group's `SharedChatHistory`, read when an edge first has a joiner in
 *   the group), `clearchat`, `lock` and `data` (also kept in keys, read
 *   then), and `stream` /
 *   `stream-close` (a member's published stream with its up id and
 *   tracks). Each edge mirrors the other edges' members as `remote`
 *   members, shown to its clients as `user add/change/delete` like its
 *   own, and publishes their streams in its group, so a local client
 *   subscribes through `openDown` with the group, which `ClusterMediaNode`
 *   routes to the group's node. What is done to a member of another edge
 *   (a message to it, a kick, a permission change) is published naming it
 *   (`member-send`, `member-kick`, `member-permissions`) and done by the
 *   edge that holds its socket. An edge that starts following a group
 *   publishes `resync`, and the others answer with their members and
 *   streams. An edge's first join in a group reads the shared
 *   state and waits (at most 2 s) for the other edges' rosters.
 *
 * Liveness: each edge with members in a group publishes `alive` with a digest
 *   of their ids every second; the members of an edge silent for 3 s are
 *   removed, and a digest unlike the mirror's asks for `resync` (answered
 *   with a `roster` that prunes the mirror).
 *
 * Failures (the README's "Failures"): a media node whose link is lost
 *   ends every connection it carried with the state `"lost"`; signalling
 *   tells a publisher `abort` with `error: "media-lost"` and a message
 *   (also when no node is reachable for a new stream), a subscriber
 *   `close`; `ClusterMediaNode` places no group on a node whose link from
 *   this edge is down (`placeGroup`'s `usable`), so the next publication
 *   moves the group at once. A group is kept whole on one node: an edge
 *   that places a group publishes the node on the group's placement
 *   channel (`groupPlacementChannel`), and every edge with up connections
 *   of the group on another node ends them as lost, to be published again
 *   there (also when a lease renewal finds another holder). Nereid's web
 *   client publishes a `media-lost` stream again by itself after a short
 *   back-off, and after a reconnection what it published. A killed edge's streams end for the
 *   other edges' clients without an error. Up connections are known on an
 *   edge by group and id (ids are unique per node only). Tests:
 *   tests/cluster/cross_edge_browser_test.ts (Chromium, SIGKILL of a media
 *   node and of an edge), edge_failure_test.ts, cluster_media_node_test.ts,
 *   split_link_test.ts (one edge's link to the group's node cut).
 *
 * Outages and the rest of the shared state:
 * - While Redis is away (`group_replication.ts`): every join is refused
 *   ("the cluster's shared state is unreachable, try again in a
 *   moment"); calls go on (members of other edges are kept, their streams
 *   flow through the node); a subscription or a new stream goes to the
 *   group's node as the edge last knew it (kept while it has connections
 *   in the group); chat, lock and data of that time are shared
 *   when it is back, and leases lost with a restarted Redis are taken
 *   again (`cluster_media_node.ts`). Each outage is logged once.
 * - `autolock` / `autokick` are decided once: by the edge whose last
 *   operator left, or the live edge with the smallest id when that edge
 *   died.
 * - Recording: the recorder is a shared system member, and its edge
 *   holds a lease in Redis (`group:NAME:recorder`); `record` elsewhere is
 *   "already recording", `unrecord` elsewhere kicks it
 *   (server/recording/group_recorder.ts). An edge that finds the recording
 *   edge gone (silent) releases its lease at once, and takes it over on
 *   `record`.
 * - `/recordings/` across nodes: a node serves its files on its control
 *   port to edges with an edge token (`node_recordings.ts`); an edge lists,
 *   serves and deletes every live node's and its own folder's
 *   (`cluster_recordings.ts`).
 * - Invitations: `data/var/tokens.jsonl`, shared by edges that share
 *   `data/` (re-read when it changes, written under a lock file:
 *   server/auth/token_store.ts).
 *
 * Known limit: the admin API writes the files of the edge it is asked, so
 *   edges share `data/` and the groups folder.
 * The cluster's figures: `deno task bench:cluster` (bench/README.md).
 *
 * @module
 */

export * from "./cluster_keys.ts";
export * from "./cluster_media_node.ts";
export * from "./cluster_recordings.ts";
export * from "./edge_token.ts";
export * from "./group_events.ts";
export * from "./group_placement.ts";
export * from "./group_replication.ts";
export * from "./media_control.ts";
export * from "./media_node_registry.ts";
export * from "./media_role.ts";
export * from "./media_wire.ts";
export * from "./node_recordings.ts";
export * from "./redis_connection.ts";
export * from "./redis_scripts.ts";
export * from "./redis_url.ts";
export * from "./remote_media_node.ts";
export * from "./shared_chat_history.ts";
