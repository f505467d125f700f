/**
 * Recording control as in Galène: `record` adds a hidden system member,
 * username `RECORDING`, permissions `["system"]`, that subscribes to every
 * stream of the group and writes one file per stream; `unrecord` removes it.
 * The files are written by the media node that carries each stream (the
 * contract's `record` operation): this side decides what to record and when.
 *
 * In a cluster, the recorder lives on the edge where `record` was typed
 * and is shown on the others as a remote system member `RECORDING` (so
 * their clients see the group recorded, as Galène shows it); it records
 * the streams of every edge's members through the group's media node.
 * `record` on another edge is refused with "already recording" (the edge
 * that records holds a lease in Redis, so two edges asked at once agree),
 * and `unrecord` there kicks the remote recorder, which its edge stops.
 *
 * @module
 */

import type { Permission } from "../config/permissions.ts";
import type { Group } from "../group/group.ts";
import type { Actor, Member, PublishedStream } from "../group/member.ts";
import type { MediaNode, MediaRecording } from "../media/media_node.ts";
import type { ServerMessage } from "../protocol/message.ts";

/** The username the recorder appears under. */
export const RECORDER_USERNAME = "RECORDING";

/** How long a published stream's tracks may keep changing before recording starts (ms). */
export const SETTLE_MS = 500;
/** How long a stream with audio only waits for its video (ms). */
export const AUDIO_ONLY_WAIT_MS = 3000;

/** Why `record` or `unrecord` was refused; the message is shown to the client. */
export class RecordingRefused extends Error {
  override name = "RecordingRefused";
}

/** What recording needs from the server. */
export interface GroupRecordersDeps {
  /** The node that records (into its folder for the group). */
  media: MediaNode;
  log(message: string): void;
  now(): number;
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function streamKey(stream: PublishedStream): string {
  return stream.tracks.map((t) => `${t.kind}/${t.codec}/${t.rid ?? ""}`)
    .sort().join(",");
}

/** A stream's recording: the tracks it was started for, and its start. */
interface RecordingEntry {
  key: string;
  rec: Promise<MediaRecording | null>;
}

/** The hidden member that records a group. */
export class RecorderMember implements Member {
  readonly id = randomId();
  readonly username = RECORDER_USERNAME;
  permissions: Permission[] = ["system"];
  data: Record<string, unknown> = {};
  readonly address = "";
  readonly system = true;
  readonly #group: Group;
  readonly #deps: GroupRecordersDeps;
  /** Streams being recorded, or whose recording is being started. */
  readonly #streams = new Map<string, RecordingEntry>();
  readonly #recordings = new Map<string, MediaRecording>();
  readonly #settling = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #onGone: () => void;
  #stopped = false;

  constructor(
    group: Group,
    options: { deps: GroupRecordersDeps; onGone(): void },
  ) {
    this.#group = group;
    this.#deps = options.deps;
    this.#onGone = options.onGone;
  }

  /** Streams being recorded, by stream id. */
  get recorders(): ReadonlyMap<string, MediaRecording> {
    return this.#recordings;
  }

  send(_message: ServerMessage): void {
    // The recorder reads no messages: it learns of streams as a member.
  }

  kick(_by: Actor, _reason: string): void {
    this.stop().catch((e) => this.#deps.log(`recorder: ${e}`));
  }

  permissionsChanged(): void {}

  streamPublished(stream: PublishedStream): void {
    if (this.#stopped) return;
    // A stream is published when its first tracks arrive, and again as
    // more do: wait for them to settle rather than start a file per step.
    // A stream's video often comes a second or two after its audio: an
    // audio-only stream waits longer for it, so that one file holds both.
    const video = stream.tracks.some((t) => t.kind === "video");
    clearTimeout(this.#settling.get(stream.id));
    this.#settling.set(
      stream.id,
      setTimeout(
        () => {
          this.#settling.delete(stream.id);
          this.#record(stream);
        },
        video || this.#streams.has(stream.id) ? SETTLE_MS : AUDIO_ONLY_WAIT_MS,
      ),
    );
  }

  #record(stream: PublishedStream): void {
    if (this.#stopped) return;
    const key = streamKey(stream);
    const current = this.#streams.get(stream.id);
    if (current?.key === key) return; // republished, same tracks
    if (current) void this.#end(stream.id, current);
    const entry: RecordingEntry = { key, rec: Promise.resolve(null) };
    entry.rec = this.#open(stream, entry);
    this.#streams.set(stream.id, entry);
  }

  // Starts a recording on the node; null when it is refused (operators
  // are told why). It counts as running while its entry is the stream's.
  async #open(
    stream: PublishedStream,
    entry: RecordingEntry,
  ): Promise<MediaRecording | null> {
    const current = () => this.#streams.get(stream.id) === entry;
    try {
      const rec = await this.#deps.media.record({
        upId: stream.upId,
        group: this.#group.name,
        ...(stream.owner.username !== undefined
          ? { username: stream.owner.username }
          : {}),
        onEnded: () => {
          if (!current()) return;
          this.#streams.delete(stream.id);
          this.#recordings.delete(stream.id);
        },
      });
      for (const reason of rec.skipped) this.#warn(reason);
      if (current()) this.#recordings.set(stream.id, rec);
      return rec;
    } catch (e) {
      this.#warn(e instanceof Error ? e.message : String(e));
      return null;
    }
  }

  // Forgets a stream's recording and ends its file (once it has started).
  #end(
    id: string,
    entry: RecordingEntry,
  ): Promise<void> {
    if (this.#streams.get(id) === entry) {
      this.#streams.delete(id);
      this.#recordings.delete(id);
    }
    return entry.rec.then((rec) => rec?.close()).catch((e) =>
      this.#warn(`${e}`)
    );
  }

  streamClosed(stream: PublishedStream): void {
    clearTimeout(this.#settling.get(stream.id));
    this.#settling.delete(stream.id);
    const current = this.#streams.get(stream.id);
    if (current) void this.#end(stream.id, current);
  }

  /** Ends every file, then leaves the group; idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const timer of this.#settling.values()) clearTimeout(timer);
    this.#settling.clear();
    const closing = [...this.#streams].map(([id, s]) => this.#end(id, s));
    this.#group.leave(this, this.#deps.now());
    this.#onGone();
    await Promise.all(closing);
  }

  // Galène tells operators when a stream cannot be recorded.
  #warn(text: string): void {
    this.#deps.log(`group ${this.#group.name}: recording: ${text}`);
    for (const m of this.#group.members()) {
      if (!m.system && m.permissions.includes("op")) {
        m.send({
          type: "usermessage",
          kind: "warning",
          dest: m.id,
          privileged: true,
          value: text,
        });
      }
    }
  }
}

/** The recorder of another edge of a cluster, shown in `group`. */
function remoteRecorder(group: Group): Member | undefined {
  for (const m of group.members()) {
    if (m.remote && m.system && m.username === RECORDER_USERNAME) return m;
  }
  return undefined;
}

/** Which groups are being recorded; one recorder per group. */
export class GroupRecorders {
  readonly #deps: GroupRecordersDeps;
  readonly #members = new Map<string, RecorderMember>();

  constructor(deps: GroupRecordersDeps) {
    this.#deps = deps;
  }

  /** The recorder of a group, if it is being recorded. */
  recorder(groupName: string): RecorderMember | undefined {
    return this.#members.get(groupName);
  }

  /**
   * Starts recording `group`: the recorder joins and subscribes to every
   * stream already published.
   * @throws {RecordingRefused} "already recording"
   */
  async start(group: Group): Promise<RecorderMember> {
    if (this.#members.has(group.name) || remoteRecorder(group)) {
      throw new RecordingRefused("already recording");
    }
    // In a cluster, one edge records a group: claimed in Redis.
    const claim = await group.replication?.claimRecorder() ?? "ok";
    if (claim === "unreachable") {
      throw new RecordingRefused("the cluster's shared state is unreachable");
    }
    if (claim === "taken" || this.#members.has(group.name)) {
      throw new RecordingRefused("already recording");
    }
    const member: RecorderMember = new RecorderMember(group, {
      deps: this.#deps,
      onGone: () => {
        if (this.#members.get(group.name) === member) {
          this.#members.delete(group.name);
          group.replication?.releaseRecorder();
        }
      },
    });
    this.#members.set(group.name, member);
    group.join(member, this.#deps.now());
    for (const stream of group.streams()) member.streamPublished(stream);
    return member;
  }

  /**
   * Stops recording `group` and resolves once its files are complete.
   * @throws {RecordingRefused} "not recording"
   */
  async stop(group: Group): Promise<void> {
    const member = this.#members.get(group.name);
    if (!member) {
      const remote = remoteRecorder(group);
      if (!remote) throw new RecordingRefused("not recording");
      // Its edge stops it; its leave reaches this edge as for any member.
      remote.kick({}, "recording stopped");
      return;
    }
    await member.stop();
  }

  /** Stops every recording (server shutdown). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#members.values()].map((m) => m.stop()));
  }
}
