/**
 * A group's state shared between the edges of a cluster (see the design in
 * `mod.ts`): each edge publishes on the group's event channel what its own
 * members do (`member-join`, `member-change`, `member-leave`, `chat`),
 * keeps the members of the other edges in its `Group` as `remote` members
 * (shown to its clients as `user add/change/delete`, like its own), and
 * delivers the other edges' chat messages to its members. The chat history
 * is also appended to the group's {@link SharedChatHistory}, read once when
 * an edge first has a joiner in the group, so a joiner on any edge gets it.
 * An edge that starts following a group publishes `resync`, and the others
 * answer with their members, streams and a `roster`; the first join waits
 * for every edge's roster (at most 2 s), so the join rules that count
 * members (autokick's operator, max-clients) see the whole group.
 *
 * Recording: the edge that records the group holds its recorder lease in
 * Redis, renewed by its heartbeat; an edge that finds it gone (silent)
 * releases that lease at once, and takes it over on `record` should the
 * release not be done yet, so `record` works as soon as the recorder is
 * removed.
 *
 * `autolock` and `autokick` are decided once for the cluster: by the edge
 * whose operator left or lost `op` (Group.leave and setPermissions), or,
 * when that edge is gone (silent for 3 s), by the live edge with the
 * smallest id. The lock and the kicks then reach the others as events.
 *
 * What is done to a member of another edge (a message to it, a kick, a
 * permission change) is published naming it (`member-send`,
 * `member-kick`, `member-permissions`), and the edge that holds it does
 * it; a lock or unlock is `lock` and the group data `data`, applied by
 * every edge (both also kept in a key, read when an edge starts following
 * the group); `clearchat` clears every edge's history and the shared one.
 *
 * Pub/sub keeps nothing, so liveness is by heartbeat: every second an edge
 * with members in the group publishes `alive` with a digest of their ids
 * (see {@link rosterDigest}). An edge whose mirror of that edge has
 * another digest (events were missed while
 * Redis was away) asks for `resync`, answered with the members, streams
 * and a `roster` of ids that prunes the mirror; the members of an edge
 * not heard for 3 s (killed) are removed, seen as `user delete`. An edge
 * with no member left in the group stops following it.
 *
 * A local member's published stream is announced (`stream`, with its up
 * id and tracks; `stream-close`), and other edges publish it in their
 * group as the remote member's: their clients subscribe through the
 * media plane's `openDown` with the group, which reaches the group's node
 * where the up connection lives.
 *
 * Before a join, the group's state must be here: while Redis is
 * unreachable every join is refused with {@link SHARED_STATE_UNREACHABLE}
 * (a member the other edges cannot learn of would split the group). What
 * is already running goes on: members of other edges stay in the mirror
 * (their streams still flow through the media node) however long Redis
 * is away, chat between this edge's members still works, and what this
 * edge's members did meanwhile (chat, up to {@link MAX_PENDING_CHAT}
 * messages; a lock; the group data) is shared when Redis is back, at the
 * next heartbeat, which also asks the other edges for their members.
 * The outage itself is logged by the connection, once; a failed share
 * while Redis is away is not logged.
 *
 * @module
 */

import type { Permission } from "../config/permissions.ts";
import { PERMISSIONS } from "../config/permissions.ts";
import type { ChatEntry, ClearSelector } from "../group/chat_history.ts";
import {
  type Group,
  type GroupReplication,
  JoinRefused,
} from "../group/group.ts";
import type { Actor, Member, PublishedStream } from "../group/member.ts";
import type { UpTrackInfo } from "../media/media_node.ts";
import { isCodecName } from "../media/codec_names.ts";
import type { ServerMessage } from "../protocol/message.ts";
import type { GroupEvent, GroupEvents } from "./group_events.ts";
import {
  type RedisConnection,
  RedisUnavailableError,
} from "./redis_connection.ts";
import type { SharedChatHistory } from "./shared_chat_history.ts";
import {
  groupDataKey,
  groupLockKey,
  groupRecorderKey,
} from "./cluster_keys.ts";
import {
  compareAndDelete,
  compareAndExpire,
  compareAndSet,
} from "./redis_scripts.ts";

/** Options of {@link GroupReplicator}. */
export interface GroupReplicatorOptions {
  redis: RedisConnection;
  events: GroupEvents;
  history: SharedChatHistory;
  log: (message: string) => void;
  now?: () => number;
}

/** Gives each group of an edge its {@link GroupReplication}. */
export class GroupReplicator {
  readonly #options: GroupReplicatorOptions;

  constructor(options: GroupReplicatorOptions) {
    this.#options = options;
  }

  /** Makes `group` shared with the other edges. */
  attach(group: Group): void {
    group.replication = new Replica(group, this.#options);
  }
}

/** What a `member-*` event says of a member. */
interface MemberState {
  id: string;
  username: string;
  permissions: Permission[];
  data: Record<string, unknown>;
  /** A system member (the recorder). */
  system?: boolean;
}

const MAX_ID = 256;
/** How often an edge says it is alive in a group it has members in. */
const HEARTBEAT_MS = 1000;
/** An edge not heard for this long is gone, and its members with it. */
const EDGE_GONE_MS = 3000;
/** The recorder's lease: renewed by the heartbeat, gone with a dead edge. */
const RECORDER_LEASE_MS = 5000;
/** How many edges found gone are remembered (their leases taken over). */
const MAX_GONE_EDGES = 64;
/** The longest a first join waits for the other edges' members. */
const RESYNC_WAIT_MS = 2000;
const MAX_NAME = 1024;
/** Chat messages kept while Redis is away, shared when it is back. */
const MAX_PENDING_CHAT = 200;
/** Why a join is refused while the shared state cannot be read. */
export const SHARED_STATE_UNREACHABLE =
  "the cluster's shared state is unreachable, try again in a moment";

function memberState(m: Member): MemberState {
  return {
    id: m.id,
    username: m.username,
    permissions: [...m.permissions],
    data: { ...m.data },
    ...(m.system ? { system: true } : {}),
  };
}

function parseMember(data: unknown): MemberState | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const d = data as Record<string, unknown>;
  const { id, username, permissions, system } = d;
  const memberData = d["data"];
  if (
    typeof id !== "string" || id.length === 0 || id.length > MAX_ID ||
    typeof username !== "string" || username.length > MAX_NAME ||
    !Array.isArray(permissions) ||
    !permissions.every((p) => PERMISSIONS.includes(p)) ||
    typeof memberData !== "object" || memberData === null ||
    Array.isArray(memberData) || (system !== undefined && system !== true)
  ) {
    return undefined;
  }
  return {
    id,
    username,
    permissions: permissions as Permission[],
    data: memberData as Record<string, unknown>,
    ...(system === true ? { system } : {}),
  };
}

function streamState(s: PublishedStream): Record<string, unknown> {
  return {
    id: s.id,
    label: s.label,
    owner: s.owner.id,
    upId: s.upId,
    tracks: s.tracks,
    ...(s.replace ? { replace: s.replace } : {}),
  };
}

const KINDS = new Set(["audio", "video"]);

/** A remote member's stream from a `stream` event; undefined if malformed. */
function parseStream(
  d: Record<string, unknown>,
  owner: Member,
): PublishedStream | undefined {
  const { id, label, upId, tracks, replace } = d;
  if (
    typeof id !== "string" || id.length === 0 || id.length > MAX_ID ||
    typeof label !== "string" || label.length > MAX_NAME ||
    typeof upId !== "string" || upId.length === 0 || upId.length > MAX_ID ||
    (replace !== undefined && typeof replace !== "string") ||
    !Array.isArray(tracks) || tracks.length > 64
  ) {
    return undefined;
  }
  const parsed: UpTrackInfo[] = [];
  for (const t of tracks as unknown[]) {
    if (typeof t !== "object" || t === null) return undefined;
    const { id: tid, kind, codec, rid } = t as Record<string, unknown>;
    if (
      typeof tid !== "string" || typeof kind !== "string" ||
      !KINDS.has(kind) || !isCodecName(codec) ||
      (rid !== undefined && typeof rid !== "string")
    ) {
      return undefined;
    }
    parsed.push({
      id: tid,
      kind: kind as UpTrackInfo["kind"],
      codec,
      ...(rid !== undefined ? { rid } : {}),
    });
  }
  return {
    id,
    label,
    owner,
    upId,
    tracks: parsed,
    ...(replace !== undefined ? { replace } : {}),
  };
}

/**
 * A member connected to another edge, mirrored here: what is sent to it
 * or done to it goes to that edge as an event naming it.
 */
class RemoteMember implements Member {
  readonly id: string;
  readonly username: string;
  permissions: Permission[];
  data: Record<string, unknown>;
  readonly address = "";
  /** The recorder of another edge. */
  readonly system: boolean;
  readonly remote = true;
  /** The edge that holds its connection. */
  readonly edge: string;
  readonly #replica: Replica;

  constructor(state: MemberState, edge: string, replica: Replica) {
    this.#replica = replica;
    this.id = state.id;
    this.username = state.username;
    this.permissions = state.permissions;
    this.data = state.data;
    this.system = state.system ?? false;
    this.edge = edge;
  }

  send(message: ServerMessage): void {
    this.#replica.relay("member-send", { target: this.id, message });
  }
  kick(by: Actor, reason: string): void {
    this.#replica.relay("member-kick", { target: this.id, by, reason });
  }
  permissionsChanged(): void {}
  streamPublished(): void {}
  streamClosed(): void {}
}

class Replica implements GroupReplication {
  readonly #group: Group;
  readonly #redis: RedisConnection;
  readonly #events: GroupEvents;
  readonly #history: SharedChatHistory;
  readonly #log: (message: string) => void;
  readonly #now: () => number;
  #ready: Promise<void> | undefined;
  #unsubscribe: (() => Promise<void>) | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** When each other edge was last heard in this group (ms). */
  readonly #heard = new Map<string, number>();
  /** Edges found gone here (silent), until heard again. */
  readonly #gone = new Set<string>();
  /** While starting: the edges whose roster came, and how many will. */
  #rosters:
    | { from: Set<string>; expected: number; done: () => void }
    | undefined;
  /** Whether this edge holds the group's recorder lease. */
  #recording = false;
  /** Whether Redis was up at the last heartbeat. */
  #wasUp = true;
  /** Chat of local members not shared because Redis was away. */
  #pendingChat: { message: ServerMessage; entry: ChatEntry }[] = [];
  /** A lock and group data set here while Redis was away. */
  #pendingLock: { message: string | null } | undefined;
  #pendingData: Record<string, unknown> | undefined;

  constructor(group: Group, options: GroupReplicatorOptions) {
    this.#group = group;
    this.#redis = options.redis;
    this.#events = options.events;
    this.#history = options.history;
    this.#log = options.log;
    this.#now = options.now ?? (() => Date.now());
  }

  ready(): Promise<void> {
    // Every join waits for Redis: a member that joined while it is away
    // would be unknown to the other edges (the connection has logged the
    // outage, once).
    if (!this.#redis.up) {
      return Promise.reject(new JoinRefused(SHARED_STATE_UNREACHABLE));
    }
    this.#ready ??= this.#start().catch((e) => {
      this.#stop();
      if (!(e instanceof RedisUnavailableError)) {
        this.#log(
          `group ${this.#group.name}: shared state unavailable: ${
            e instanceof Error ? e.message : String(e)
          }`,
        );
      }
      throw new JoinRefused(SHARED_STATE_UNREACHABLE);
    });
    return this.#ready;
  }

  async #start(): Promise<void> {
    const name = this.#group.name;
    this.#unsubscribe = await this.#events.subscribe(
      name,
      (e) => this.#apply(e),
    );
    const entries = await this.#history.entries(name, this.#time());
    const known = new Set(
      this.#group.history.entries(this.#now(), Number.MAX_SAFE_INTEGER)
        .map((e) => e.id),
    );
    for (const e of entries) if (!known.has(e.id)) this.#group.history.add(e);
    const lock = await this.#redis.command((r) => r.get(groupLockKey(name)));
    const message = lock === null ? undefined : parseLock(lock);
    if (message !== undefined) this.#group.applyLock(message);
    const data = await this.#redis.command((r) => r.get(groupDataKey(name)));
    const parsed = data === null ? undefined : parseData(data);
    if (parsed !== undefined) this.#group.applyData(parsed);
    // Every edge following the group answers with its members, then a
    // roster: the join waits for them (the rules of autokick and
    // max-clients count them), a bounded time.
    const { promise, resolve } = Promise.withResolvers<void>();
    const rosters = { from: new Set<string>(), expected: -1, done: resolve };
    this.#rosters = rosters;
    const receivers = await this.#events.publish(name, "resync", {});
    rosters.expected = receivers - 1;
    if (rosters.from.size >= rosters.expected) resolve();
    const timer = setTimeout(() => {
      this.#log(
        `group ${name}: ${rosters.from.size} of ${rosters.expected} edges answered within ${RESYNC_WAIT_MS} ms`,
      );
      resolve();
    }, RESYNC_WAIT_MS);
    await promise;
    clearTimeout(timer);
    this.#rosters = undefined;
    this.#wasUp = true;
    this.#timer = setInterval(() => this.#beat(), HEARTBEAT_MS);
  }

  /** Stops following the group (no member here, or a failed start). */
  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#ready = undefined;
    this.#heard.clear();
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    unsubscribe?.().catch((e) => this.#failed("unsubscribe", e));
  }

  /** This edge's members, its recorder included (they are all shared). */
  #localMembers(): Member[] {
    return [...this.#group.members()].filter((m) => !m.remote);
  }

  /**
   * Every {@link HEARTBEAT_MS}: says this edge is alive with the digest
   * of its members here, and forgets the members of edges not heard for
   * {@link EDGE_GONE_MS}; stops following the group when no member is
   * left on any edge.
   */
  #beat(): void {
    const group = this.#group;
    const now = this.#now();
    const up = this.#redis.up;
    const back = up && (!this.#wasUp || this.#pendingChat.length > 0 ||
      this.#pendingLock !== undefined || this.#pendingData !== undefined);
    this.#wasUp = up;
    if (back) this.#resume(now);
    // While Redis is away no edge is heard: their members stay (their
    // calls go on through the media node) until Redis is back.
    let operatorGone = false;
    for (const m of up ? [...group.members()] : []) {
      if (!(m instanceof RemoteMember)) continue;
      const heard = this.#heard.get(m.edge) ?? 0;
      if (now - heard > EDGE_GONE_MS) {
        if (this.#heard.delete(m.edge)) this.#edgeGone(m.edge);
        operatorGone ||= m.permissions.includes("op") && !m.system;
        this.#forget(m);
      }
    }
    // The edge that held the last operator is gone: one edge decides
    // autolock and autokick for it, the live edge with the smallest id.
    if (operatorGone && this.#elected()) group.operatorGone();
    const local = this.#localMembers();
    if (local.length === 0 && group.clientCount === 0) {
      this.#stop();
      return;
    }
    if (local.length > 0) {
      this.#publish("alive", { members: rosterDigest(local) });
    }
    if (this.#recording && up) this.#renewRecorder();
  }

  /**
   * An edge is gone (silent): a recorder lease it held is released at
   * once, not when it runs out, and taken over by a `record` here should
   * the release not be done yet.
   */
  #edgeGone(edge: string): void {
    this.#gone.add(edge);
    if (this.#gone.size > MAX_GONE_EDGES) {
      this.#gone.delete(this.#gone.values().next().value!);
    }
    compareAndDelete(this.#redis, this.#recorderLease().key, edge).catch((e) =>
      this.#failed("recorder", e)
    );
  }

  #recorderLease() {
    return {
      key: groupRecorderKey(this.#group.name),
      origin: this.#events.origin,
    };
  }

  async claimRecorder(): Promise<"ok" | "taken" | "unreachable"> {
    const { key, origin } = this.#recorderLease();
    try {
      const set = await this.#redis.command((r) =>
        r.set(key, origin, "PX", RECORDER_LEASE_MS, "NX")
      );
      let holder = set === "OK"
        ? origin
        : await this.#redis.command((r) => r.get(key));
      // Held by an edge found gone: its recorder is gone with it.
      if (
        holder !== null && holder !== origin && this.#gone.has(holder) &&
        await compareAndSet(this.#redis, key, {
          expected: holder,
          value: origin,
          ttlMs: RECORDER_LEASE_MS,
        })
      ) holder = origin;
      if (holder !== origin) return "taken";
      this.#recording = true;
      return "ok";
    } catch (e) {
      if (!(e instanceof RedisUnavailableError)) throw e;
      return "unreachable";
    }
  }

  releaseRecorder(): void {
    if (!this.#recording) return;
    this.#recording = false;
    const { key, origin } = this.#recorderLease();
    compareAndDelete(this.#redis, key, origin).catch((e) =>
      this.#failed("recorder", e)
    );
  }

  /** Renews the recorder's lease, or takes it again (Redis restarted). */
  #renewRecorder(): void {
    const { key, origin } = this.#recorderLease();
    compareAndExpire(this.#redis, key, {
      expected: origin,
      ttlMs: RECORDER_LEASE_MS,
    }).then(async (held) => {
      if (held) return;
      await this.#redis.command((r) =>
        r.set(key, origin, "PX", RECORDER_LEASE_MS, "NX")
      );
    }).catch((e) => this.#failed("recorder", e));
  }

  /**
   * Redis is back: the other edges get {@link EDGE_GONE_MS} to be heard
   * again, what was done here meanwhile (chat, a lock, group data) is
   * shared, this edge's members and streams are announced again, and the
   * others are asked for theirs.
   */
  #resume(now: number): void {
    for (const edge of this.#heard.keys()) this.#heard.set(edge, now);
    const name = this.#group.name;
    this.#log(`group ${name}: Redis is back, sharing the group's state again`);
    const chat = this.#pendingChat;
    this.#pendingChat = [];
    for (const { message, entry } of chat) this.chat(message, entry);
    const lock = this.#pendingLock;
    this.#pendingLock = undefined;
    if (lock !== undefined) this.locked(lock.message);
    const data = this.#pendingData;
    this.#pendingData = undefined;
    if (data !== undefined) this.dataChanged(data);
    // Changes of members (permissions, data) missed meanwhile are not in
    // the heartbeat's digest: say them all again, and ask the others.
    this.#announce();
    this.#publish("resync", {});
  }

  /**
   * Whether this edge has the smallest id of the edges heard in the group
   * lately (every edge with members there says it is alive each second);
   * an edge without members of its own there is not heard, and does not
   * decide.
   */
  #elected(): boolean {
    if (this.#localMembers().length === 0) return false;
    const self = this.#events.origin;
    const now = this.#now();
    for (const [edge, heard] of this.#heard) {
      if (edge < self && now - heard <= EDGE_GONE_MS) return false;
    }
    return true;
  }

  /** Tells the other edges this edge's members, their streams, a roster. */
  #announce(): void {
    for (const m of this.#localMembers()) {
      this.#publish("member-join", memberState(m));
    }
    for (const s of this.#group.streams()) {
      if (!s.owner.remote) this.#publish("stream", streamState(s));
    }
    this.#publish("roster", { ids: this.#localMembers().map((m) => m.id) });
  }

  /** Removes a remote member and its streams from the mirror. */
  #forget(m: Member): void {
    const group = this.#group;
    for (const s of [...group.streams()]) {
      if (s.owner === m) group.unpublish(s);
    }
    group.leave(m, this.#now());
  }

  /** The mirrored members of edge `origin`. */
  #mirrorOf(origin: string): RemoteMember[] {
    return [...this.#group.members()].filter((m): m is RemoteMember =>
      m instanceof RemoteMember && m.edge === origin
    );
  }

  #time() {
    return {
      now: this.#now(),
      maxAgeMs: this.#group.description.maxHistoryAge * 1000,
    };
  }

  /** Publishes an event about a member of another edge. */
  relay(type: string, data: unknown): void {
    this.#publish(type, data);
  }

  #publish(type: string, data: unknown): void {
    try {
      this.#events.publish(this.#group.name, type, data).catch((e) =>
        this.#failed(type, e)
      );
    } catch (e) {
      this.#failed(type, e);
    }
  }

  #failed(type: string, e: unknown): void {
    // An unreachable Redis is logged by the connection, once per outage.
    if (e instanceof RedisUnavailableError) return;
    this.#log(
      `group ${this.#group.name}: could not share ${type}: ${
        e instanceof Error ? e.message : String(e)
      }`,
    );
  }

  joined(member: Member): void {
    this.#publish("member-join", memberState(member));
  }

  left(member: Member): void {
    this.#publish("member-leave", { id: member.id });
  }

  changed(member: Member): void {
    this.#publish("member-change", memberState(member));
  }

  chat(message: ServerMessage, entry: ChatEntry): void {
    if (!this.#redis.up) {
      // Shared once Redis is back (the oldest go past the bound).
      this.#pendingChat.push({ message, entry });
      if (this.#pendingChat.length > MAX_PENDING_CHAT) {
        this.#pendingChat.shift();
      }
      return;
    }
    this.#publish("chat", message);
    this.#history.append(this.#group.name, entry, this.#time()).catch((e) =>
      this.#failed("chat history", e)
    );
  }

  published(stream: PublishedStream): void {
    this.#publish("stream", streamState(stream));
  }

  unpublished(stream: PublishedStream): void {
    this.#publish("stream-close", { id: stream.id, owner: stream.owner.id });
  }

  dataChanged(data: Readonly<Record<string, unknown>>): void {
    if (!this.#redis.up) {
      this.#pendingData = { ...data };
      return;
    }
    this.#redis.command((r) =>
      r.set(groupDataKey(this.#group.name), JSON.stringify(data))
    ).catch((e) => this.#failed("data", e));
    this.#publish("data", { data });
  }

  chatCleared(selector: ClearSelector, message: ServerMessage): void {
    this.#history.clear(this.#group.name, selector).catch((e) =>
      this.#failed("clearchat", e)
    );
    this.#publish("clearchat", { selector, message });
  }

  locked(message: string | null): void {
    if (!this.#redis.up) {
      this.#pendingLock = { message };
      return;
    }
    // Kept for edges that follow the group later; the event is for now.
    this.#redis.command((r) =>
      r.set(groupLockKey(this.#group.name), JSON.stringify({ message }))
    ).catch((e) => this.#failed("lock", e));
    this.#publish("lock", { message });
  }

  setPermissions(member: Member, permissions: Permission[]): void {
    this.#publish("member-permissions", { target: member.id, permissions });
  }

  /** The member of this edge an event names, if it is here. */
  #target(event: GroupEvent): Member | undefined {
    const target = (event.data as { target?: unknown } | null)?.target;
    if (typeof target !== "string") return undefined;
    const m = this.#group.member(target);
    return m !== undefined && !m.remote ? m : undefined;
  }

  #apply(event: GroupEvent): void {
    const group = this.#group;
    const d =
      (typeof event.data === "object" && event.data !== null
        ? event.data
        : {}) as Record<string, unknown>;
    this.#heard.set(event.origin, this.#now());
    this.#gone.delete(event.origin);
    switch (event.type) {
      case "alive": {
        // Events were missed (Redis was away): ask that edge again.
        if (d["members"] !== rosterDigest(this.#mirrorOf(event.origin))) {
          this.#publish("resync", {});
        }
        return;
      }
      case "roster": {
        const ids = d["ids"];
        if (!Array.isArray(ids)) return this.#dropped(event);
        const keep = new Set(ids);
        for (const m of this.#mirrorOf(event.origin)) {
          if (!keep.has(m.id)) this.#forget(m);
        }
        const rosters = this.#rosters;
        if (rosters !== undefined) {
          rosters.from.add(event.origin);
          if (
            rosters.expected >= 0 && rosters.from.size >= rosters.expected
          ) rosters.done();
        }
        return;
      }
      case "data": {
        const data = d["data"];
        if (typeof data !== "object" || data === null || Array.isArray(data)) {
          return this.#dropped(event);
        }
        group.applyData(data as Record<string, unknown>);
        return;
      }
      case "clearchat": {
        const selector = parseSelector(d["selector"]);
        const message = d["message"];
        if (
          selector === undefined || typeof message !== "object" ||
          message === null
        ) {
          return this.#dropped(event);
        }
        group.history.clear(selector);
        group.broadcast(message as ServerMessage);
        return;
      }
      case "lock": {
        const message = d["message"];
        if (message !== null && typeof message !== "string") {
          return this.#dropped(event);
        }
        group.applyLock(message);
        return;
      }
      case "member-send": {
        const message = d["message"];
        if (typeof message !== "object" || message === null) return;
        this.#target(event)?.send(message as ServerMessage);
        return;
      }
      case "member-kick": {
        const by = d["by"];
        const reason = d["reason"];
        const target = this.#target(event);
        if (target === undefined) return;
        const actor: Actor = {};
        if (typeof by === "object" && by !== null) {
          const { id, username } = by as Record<string, unknown>;
          if (typeof id === "string") actor.id = id;
          if (typeof username === "string") actor.username = username;
        }
        this.#log(
          `group ${group.name}: ${target.id} kicked from edge ${event.origin}`,
        );
        target.kick(actor, typeof reason === "string" ? reason : "");
        return;
      }
      case "member-permissions": {
        const permissions = d["permissions"];
        const target = this.#target(event);
        if (target === undefined) return;
        if (
          !Array.isArray(permissions) ||
          !permissions.every((p) => PERMISSIONS.includes(p))
        ) {
          return this.#dropped(event);
        }
        group.setPermissions(target, permissions as Permission[]);
        return;
      }
      case "resync":
        this.#announce();
        return;
      case "stream": {
        const owner = typeof d["owner"] === "string"
          ? group.member(d["owner"])
          : undefined;
        const stream = owner?.remote ? parseStream(d, owner) : undefined;
        if (stream === undefined) return this.#dropped(event);
        group.publish(stream);
        return;
      }
      case "stream-close": {
        const id = d["id"];
        const stream = typeof id === "string" ? group.stream(id) : undefined;
        if (stream?.owner.remote && stream.owner.id === d["owner"]) {
          group.unpublish(stream);
        }
        return;
      }
      case "member-join":
      case "member-change": {
        const state = parseMember(event.data);
        if (state === undefined) return this.#dropped(event);
        group.addRemote(new RemoteMember(state, event.origin, this));
        return;
      }
      case "member-leave": {
        const id = (event.data as { id?: unknown } | null)?.id;
        const m = typeof id === "string" ? group.member(id) : undefined;
        if (m?.remote) this.#forget(m);
        return;
      }
      case "chat": {
        const m = event.data as Record<string, unknown> | null;
        if (
          m === null || typeof m !== "object" || m["type"] !== "chat" ||
          typeof m["id"] !== "string" || typeof m["source"] !== "string" ||
          typeof m["value"] !== "string"
        ) {
          return this.#dropped(event);
        }
        group.history.add({
          id: m["id"],
          source: m["source"],
          username: typeof m["username"] === "string" ? m["username"] : "",
          time: this.#now(),
          kind: typeof m["kind"] === "string" ? m["kind"] : "",
          value: m["value"],
        });
        for (const member of group.members()) {
          if (!member.remote) member.send(m as unknown as ServerMessage);
        }
        return;
      }
      default:
        return;
    }
  }

  #dropped(event: GroupEvent): void {
    this.#log(
      `group ${this.#group.name}: dropped a ${event.type} event of ${event.origin}`,
    );
  }
}

/** The message of a stored lock (null: unlocked); undefined if malformed. */
function parseLock(json: string): string | null | undefined {
  try {
    const message = (JSON.parse(json) as { message?: unknown }).message;
    return message === null || typeof message === "string"
      ? message
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A digest of a set of members: their number and a 32-bit FNV-1a hash of
 * their sorted ids, enough to notice that a mirror missed events.
 */
export function rosterDigest(members: readonly Member[]): string {
  const ids = members.map((m) => m.id).sort();
  let hash = 0x811c9dc5;
  for (const id of ids) {
    for (let i = 0; i < id.length; i++) {
      hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
    }
    hash = Math.imul(hash ^ 0x2c, 0x01000193) >>> 0; // a separator
  }
  return `${ids.length}:${hash.toString(16)}`;
}

/** Stored group data; undefined if malformed. */
function parseData(json: string): Record<string, unknown> | undefined {
  try {
    const data = JSON.parse(json) as unknown;
    return typeof data === "object" && data !== null && !Array.isArray(data)
      ? data as Record<string, unknown>
      : undefined;
  } catch {
    return undefined;
  }
}

/** A `clearchat` selector from an event; undefined if malformed. */
function parseSelector(v: unknown): ClearSelector | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const s = v as Record<string, unknown>;
  if (s["all"] === true) return { all: true };
  const { userId, id } = s;
  if (typeof userId !== "string") return undefined;
  if (id === undefined) return { userId };
  return typeof id === "string" ? { userId, id } : undefined;
}
