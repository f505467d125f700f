/**
 * A Nereid cluster (issue 11): stateless signalling edges (`-role edge`:
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
 * Design of the shared group state (being built, in this order): with
 * `-redis`, each edge's `Group` gets a replication layer (absent without
 * Redis, so the single process is unchanged). Through the group's event
 * channel an edge publishes what its own members do that others see:
 * `member-join` / `member-change` / `member-leave` (id, username,
 * permissions, data), `chat` (the broadcast message; the entry also goes
 * to the group's `SharedChatHistory`, which a joiner on any edge reads),
 * `lock` / `data` (group status), and `stream` / `stream-close` (a
 * member's published stream, with its up id and tracks). Each edge keeps a
 * mirror of the remote members of its groups and shows them to its own
 * clients as `user add/change/delete`, as local ones. An action on a
 * member held by another edge (kick, op/present changes, a private chat)
 * is published as `member-action` naming the member; only the edge that
 * holds its socket carries it out and announces the result. Pub/sub
 * keeps nothing, so each member also has a presence key with an expiry
 * (refreshed while it is connected), and after a Redis reconnect an edge
 * re-announces its members and publishes `resync`, to which every edge
 * answers with its members, rebuilding the mirrors. A local client
 * subscribes to a remote member's stream through the contract's
 * `openDown` with the group's name, which `ClusterMediaNode` routes to
 * the group's node where the up lives.
 *
 * What is next, in order: the replication above (members and chat, then
 * streams, then kick/op/lock); recording state and tokens in use;
 * clients republishing by themselves when a node is lost (the edge already
 * ends the streams and the next open places the group on a live node);
 * `/recordings/` across nodes; the failure tests of the issue (SIGKILL of
 * an edge, Redis restarts) and the cluster benchmarks.
 *
 * @module
 */

export * from "./cluster_keys.ts";
export * from "./cluster_media_node.ts";
export * from "./edge_token.ts";
export * from "./group_events.ts";
export * from "./group_placement.ts";
export * from "./group_replication.ts";
export * from "./media_control.ts";
export * from "./media_node_registry.ts";
export * from "./media_role.ts";
export * from "./media_wire.ts";
export * from "./redis_connection.ts";
export * from "./redis_scripts.ts";
export * from "./redis_url.ts";
export * from "./remote_media_node.ts";
export * from "./shared_chat_history.ts";
