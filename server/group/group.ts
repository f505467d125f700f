/**
 * A group in memory: its members, lock, shared data and chat history, and
 * the rules of who may join (Galène's semantics). In a cluster, a
 * {@link GroupReplication} set by the edge relays what local members do to
 * the other edges, and mirrors their members here as members marked
 * `remote` (server/cluster/group_replication.ts); without it, nothing of
 * this runs.
 *
 * @module
 */

import type { GroupDescription } from "../config/group_description.ts";
import { logText } from "../log_text.ts";
import { fitsBytes, MAX_DATA_BYTES } from "../protocol/byte_limits.ts";
import type { ServerMessage } from "../protocol/message.ts";
import {
  type ChatEntry,
  ChatHistory,
  type ClearSelector,
} from "./chat_history.ts";
import {
  type Actor,
  type Member,
  type PublishedStream,
  userMessage,
} from "./member.ts";

/**
 * The cluster's side of a group (absent in a single process): told what
 * local members do, so that other edges see it.
 */
export interface GroupReplication {
  /** Resolves once the group's shared state is here (before a join). */
  ready(): Promise<void>;
  joined(member: Member): void;
  left(member: Member): void;
  changed(member: Member): void;
  /** A chat message broadcast to the group, with its history entry. */
  chat(message: ServerMessage, entry: ChatEntry): void;
  /** The group's data changed here (the whole of it). */
  dataChanged(data: Readonly<Record<string, unknown>>): void;
  /** The chat history was cleared here; `message` tells the members. */
  chatCleared(selector: ClearSelector, message: ServerMessage): void;
  /** The group was locked (a message) or unlocked (null) here. */
  locked(message: string | null): void;
  /** A local member's stream appeared or its tracks changed. */
  published(stream: PublishedStream): void;
  /** A local member's stream is gone. */
  unpublished(stream: PublishedStream): void;
  /** Asks the edge holding a remote member to change its permissions. */
  setPermissions(member: Member, permissions: Member["permissions"]): void;
  /**
   * Claims the group's one recorder for this edge: `taken` when another
   * edge records the group, `unreachable` when that cannot be known.
   */
  claimRecorder(): Promise<"ok" | "taken" | "unreachable">;
  /** This edge's recorder of the group stopped. */
  releaseRecorder(): void;
}

/** Why a join was refused, with the text Galène's clients know. */
export class JoinRefused extends Error {
  override name = "JoinRefused";
}

/** Status fields of a group, as `.status` and `joined` carry them. */
export interface GroupStatus {
  name: string;
  displayName?: string;
  description?: string;
  authServer?: string;
  authPortal?: string;
  locked?: boolean;
  clientCount?: number;
  canChangePassword?: boolean;
  redirect?: string;
}

/** Options of the {@link Group} constructor. */
export interface GroupOptions {
  name: string;
  description: GroupDescription;
  /** True when the description comes from a parent with auto-subgroups. */
  autoSubgroup?: boolean;
  log: (message: string) => void;
  /** Whether members may change their password (config `writableGroups`). */
  canChangePassword?: () => boolean;
}

/** A group in memory. */
export class Group {
  readonly name: string;
  readonly history = new ChatHistory();
  #description: GroupDescription;
  #members = new Map<string, Member>();
  #streams = new Map<string, PublishedStream>();
  /** The lock message, or null when unlocked. */
  #lock: string | null = null;
  #data: Record<string, unknown> = {};
  #log: (message: string) => void;
  #canChangePassword: () => boolean;
  #lastActive: number;
  readonly autoSubgroup: boolean;
  /** Set by a cluster edge; see {@link GroupReplication}. */
  replication: GroupReplication | undefined;

  constructor(options: GroupOptions, now: number) {
    this.name = options.name;
    this.#description = options.description;
    this.#log = options.log;
    this.#canChangePassword = options.canChangePassword ?? (() => false);
    this.autoSubgroup = options.autoSubgroup ?? false;
    this.#lastActive = now;
    if (this.#description.autolock) this.#lock = "this group is locked";
  }

  get description(): GroupDescription {
    return this.#description;
  }

  get locked(): boolean {
    return this.#lock !== null;
  }

  get lockMessage(): string | null {
    return this.#lock;
  }

  get data(): Readonly<Record<string, unknown>> {
    return this.#data;
  }

  /** When the group last had a member (for expiry from memory). */
  get lastActive(): number {
    return this.#members.size > 0 ? Date.now() : this.#lastActive;
  }

  /** Every member, system clients included. */
  members(): IterableIterator<Member> {
    return this.#members.values();
  }

  member(id: string): Member | undefined {
    return this.#members.get(id);
  }

  /** Finds a member by id, or else by username (the first one). */
  findMember(idOrName: string): Member | undefined {
    const byId = this.#members.get(idOrName);
    if (byId) return byId;
    for (const m of this.#members.values()) {
      if (m.username === idOrName) return m;
    }
    return undefined;
  }

  /** All members, system clients included. */
  get clientCount(): number {
    return this.#members.size;
  }

  /** Whether a non-system member with `op` is present. */
  hasOperator(): boolean {
    for (const m of this.#members.values()) {
      if (!m.system && m.permissions.includes("op")) return true;
    }
    return false;
  }

  /**
   * Adds a member, or refuses it with the reason a client is shown.
   * Ops and system clients are exempt from the lock and the limits.
   * @throws {JoinRefused} when the member may not join
   */
  join(member: Member, now: number): void {
    const d = this.#description;
    const exempt = member.system || member.permissions.includes("op");
    if (!exempt) {
      if (this.#lock !== null) throw new JoinRefused(this.#lock);
      if (d.notBefore && now < d.notBefore.getTime()) {
        throw new JoinRefused("this group is not open yet");
      }
      if (d.expires && now >= d.expires.getTime()) {
        throw new JoinRefused("this group is closed");
      }
      if (d.maxClients > 0 && this.#members.size >= d.maxClients) {
        throw new JoinRefused("too many users");
      }
      if (d.autokick && !this.hasOperator()) {
        throw new JoinRefused("there are no operators in this group");
      }
    }
    if (this.#members.has(member.id)) {
      throw new JoinRefused("internal server error");
    }
    this.#members.set(member.id, member);
    this.#log(
      `group ${this.name}: ${member.id} joined as ${logText(member.username)}`,
    );
    this.broadcast(userMessage("add", member), member.id);
    if (!member.remote) this.replication?.joined(member);
  }

  /** Adds a member of another edge, without the join rules. */
  addRemote(member: Member): void {
    const existing = this.#members.get(member.id);
    if (existing !== undefined) {
      if (!existing.remote) return;
      this.#members.delete(member.id);
    }
    this.#members.set(member.id, member);
    this.broadcast(userMessage(existing ? "change" : "add", member));
  }

  /**
   * Removes a member and applies autolock/autokick when it was the last
   * operator; idempotent. For a member of another edge, its edge decides
   * (in a cluster the decision is made once, see
   * {@link operatorGone}).
   */
  leave(member: Member, now: number): void {
    if (this.#members.get(member.id) !== member) return;
    this.#members.delete(member.id);
    this.#lastActive = now;
    this.#log(`group ${this.name}: ${member.id} left`);
    this.broadcast(userMessage("delete", member));
    if (!member.remote) this.replication?.left(member);
    if (
      !member.remote && !member.system && member.permissions.includes("op")
    ) {
      this.operatorGone();
    }
  }

  /**
   * An operator is gone: when none is left on any edge, locks the group
   * (`autolock`) and kicks everyone (`autokick`, members of other edges
   * through theirs). Called by the edge that held the operator, or, when
   * that edge itself is gone, by the one edge the replication elects.
   */
  operatorGone(): void {
    if (this.hasOperator()) return;
    if (this.#description.autolock && this.#lock === null) {
      this.setLock("this group is locked");
    }
    if (this.#description.autokick) {
      for (const m of [...this.#members.values()]) {
        if (!m.system) {
          m.kick({}, "there are no operators in this group");
        }
      }
    }
  }

  /** Locks (with a message) or unlocks, and tells every member. */
  setLock(message: string | null): void {
    this.applyLock(message);
    this.replication?.locked(message);
  }

  /** {@link setLock} as another edge did it: not shared again. */
  applyLock(message: string | null): void {
    this.#lock = message;
    this.#log(
      `group ${this.name}: ${message === null ? "unlocked" : "locked"}`,
    );
    this.announceChange();
  }

  /** Locks without telling anyone (the server is going away). */
  setLockQuietly(message: string): void {
    this.#lock = message;
  }

  /**
   * Merges `value` into the group data (null deletes a key) and tells
   * everyone; returns `false`, changing nothing, when the data would be
   * over {@link MAX_DATA_BYTES}.
   */
  mergeData(value: Record<string, unknown>): boolean {
    const merged = mergeData(this.#data, value);
    if (!dataFits(merged)) return false;
    this.applyData(merged);
    this.replication?.dataChanged(merged);
    return true;
  }

  /** Replaces the group data, as another edge set it, and tells everyone. */
  applyData(data: Record<string, unknown>): void {
    this.#data = data;
    this.announceChange();
  }

  /** Changes a member's permissions and tells it and everyone else. */
  setPermissions(member: Member, permissions: Member["permissions"]): void {
    if (member.remote) {
      // Its edge changes it, and its member-change updates the mirror.
      this.replication?.setPermissions(member, permissions);
      return;
    }
    const previous = member.permissions;
    member.permissions = permissions;
    member.permissionsChanged(previous);
    this.broadcast(userMessage("change", member));
    if (!member.remote) this.replication?.changed(member);
    if (
      previous.includes("op") && !permissions.includes("op") && !member.system
    ) {
      this.operatorGone();
    }
  }

  /**
   * Merges `value` into a member's data and tells everyone; returns
   * `false`, changing nothing, when the data would be over
   * {@link MAX_DATA_BYTES}.
   */
  setMemberData(member: Member, value: Record<string, unknown>): boolean {
    const merged = mergeData(member.data, value);
    if (!dataFits(merged)) return false;
    member.data = merged;
    this.broadcast(userMessage("change", member));
    if (!member.remote) this.replication?.changed(member);
    return true;
  }

  /** Replaces the description after its file changed on disk. */
  updateDescription(description: GroupDescription): void {
    if (description === this.#description) return;
    this.#description = description;
    this.#log(`group ${this.name}: description reloaded`);
    this.announceChange();
  }

  /** Sends `joined` `change` to every member (status, data, permissions). */
  announceChange(): void {
    for (const m of this.#members.values()) {
      if (m.remote) continue; // its edge tells it
      if (m.groupChanged) m.groupChanged();
      else m.send(this.joinedMessage("change", m, {}));
    }
  }

  /** The `joined` message for a member. */
  joinedMessage(
    kind: "join" | "change",
    member: Member,
    extra: Partial<ServerMessage>,
  ): ServerMessage {
    return {
      type: "joined",
      kind,
      group: this.name,
      username: member.username,
      ...(member.permissions.length > 0
        ? { permissions: [...member.permissions] }
        : {}),
      status: {
        ...this.status({
          authenticated: true,
          canChangePassword: this.#canChangePassword(),
        }),
      },
      ...(Object.keys(this.#data).length > 0
        ? { data: { ...this.#data } }
        : {}),
      ...extra,
    };
  }

  /**
   * The group status. Public groups show `locked` and `clientCount` to
   * anyone; members (authenticated) see them always.
   */
  status(
    options: { authenticated: boolean; canChangePassword?: boolean },
  ): GroupStatus {
    const d = this.#description;
    const s: GroupStatus = { name: this.name };
    if (d.displayName) s.displayName = d.displayName;
    if (d.description) s.description = d.description;
    if (d.redirect) {
      s.redirect = d.redirect;
      return s;
    }
    if (d.authServer) s.authServer = d.authServer;
    if (d.authPortal) s.authPortal = d.authPortal;
    if (options.authenticated || d.public) {
      if (this.#lock !== null) s.locked = true;
      s.clientCount = this.#members.size;
    }
    if (options.authenticated && options.canChangePassword) {
      s.canChangePassword = true;
    }
    return s;
  }

  /** A published stream by id. */
  stream(id: string): PublishedStream | undefined {
    return this.#streams.get(id);
  }

  /** Every published stream. */
  streams(): IterableIterator<PublishedStream> {
    return this.#streams.values();
  }

  /** Publishes (or republishes after a change) a stream to every other member. */
  publish(stream: PublishedStream): void {
    this.#streams.set(stream.id, stream);
    for (const m of [...this.#members.values()]) {
      if (m !== stream.owner) m.streamPublished(stream);
    }
    if (!stream.owner.remote) this.replication?.published(stream);
  }

  /** Withdraws a stream from every other member; idempotent. */
  unpublish(stream: PublishedStream): void {
    if (this.#streams.get(stream.id) !== stream) return;
    this.#streams.delete(stream.id);
    for (const m of [...this.#members.values()]) {
      if (m !== stream.owner) m.streamClosed(stream);
    }
    if (!stream.owner.remote) this.replication?.unpublished(stream);
  }

  /**
   * Sends a message to every member of this edge except `except` (members
   * of other edges are told by their edge, through the replication).
   */
  broadcast(message: ServerMessage, except?: string): void {
    for (const m of this.#members.values()) {
      if (m.id !== except && !m.remote) m.send(message);
    }
  }

  /** Kicks every member (server shutdown, group deleted). */
  kickAll(by: Actor, reason: string): void {
    for (const m of [...this.#members.values()]) m.kick(by, reason);
  }
}

/** Merges a JSON object into another; a null value deletes the key. */
/** Whether user or group data is within {@link MAX_DATA_BYTES} as JSON. */
export function dataFits(data: Readonly<Record<string, unknown>>): boolean {
  return fitsBytes(JSON.stringify(data), MAX_DATA_BYTES);
}

export function mergeData(
  base: Readonly<Record<string, unknown>>,
  change: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(change)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}
