/**
 * The building blocks of a Nereid cluster (the README's "Running a
 * cluster"): stateless signalling
 * edges (`-role edge`: HTTP and WebSocket only) in front of media nodes
 * (`-role media`), coordinated through Redis. Nothing here is wired into
 * the server yet; each block is tested against a real `redis-server`.
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
 * - Shared group state: the chat history on a Redis stream per group
 *   (`shared_chat_history.ts`), and a pub/sub event channel per group
 *   between edges (`group_events.ts`).
 *
 * What is next, in order: the media-node contract as asynchronous,
 * serialisable operations (one message per call with an id, one event per
 * callback, versioned) with the in-process node behind it; a node's
 * control endpoint (a WebSocket, authenticated with an edge token) and the
 * edge's client for it, resynchronising after a reconnection; the
 * `-role`, `-redis` and secret settings; then moving each piece of group
 * state an edge holds (members, locks, ops, kicks, recording state,
 * tokens in use) onto Redis with these blocks, and the failure tests of
 * the issue (SIGKILL of a node or an edge, Redis restarts).
 *
 * @module
 */

export * from "./cluster_keys.ts";
export * from "./edge_token.ts";
export * from "./group_events.ts";
export * from "./group_placement.ts";
export * from "./media_node_registry.ts";
export * from "./redis_connection.ts";
export * from "./redis_scripts.ts";
export * from "./redis_url.ts";
export * from "./shared_chat_history.ts";
