/**
 * Recording control as in Galène: `record` adds a hidden system member,
 * username `RECORDING`, permissions `["system"]`, that subscribes to every
 * stream of the group and writes one file per stream; `unrecord` removes it.
 *
 * @module
 */

import { join } from "node:path";
import type { RecordingWasm } from "../../media-wasm/recording.ts";
import type { Permission } from "../config/permissions.ts";
import type { Group } from "../group/group.ts";
import type { Actor, Member, PublishedStream } from "../group/member.ts";
import type { MediaNode } from "../media/media_node.ts";
import type { ServerMessage } from "../protocol/message.ts";
import { StreamRecorder } from "./stream_recorder.ts";

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
  /** Loads the recording module once, when first needed. */
  wasm(): Promise<RecordingWasm>;
  media: MediaNode;
  /** The root recordings folder; each group records into `<root>/<group>`. */
  recordingsDir: string;
  log(message: string): void;
  now(): number;
  /** Wall clock for file names (tests pin it). */
  clock?: () => Date;
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function streamKey(stream: PublishedStream): string {
  return stream.up.tracks().map((t) => `${t.kind}/${t.codec}/${t.rid ?? ""}`)
    .sort().join(",");
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
  readonly #wasm: RecordingWasm;
  readonly #streams = new Map<string, { key: string; rec: StreamRecorder }>();
  readonly #settling = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #onGone: () => void;
  #stopped = false;

  constructor(
    group: Group,
    options: { deps: GroupRecordersDeps; wasm: RecordingWasm; onGone(): void },
  ) {
    this.#group = group;
    this.#deps = options.deps;
    this.#wasm = options.wasm;
    this.#onGone = options.onGone;
  }

  /** Streams being recorded, by up connection id. */
  get recorders(): ReadonlyMap<string, StreamRecorder> {
    return new Map([...this.#streams].map(([id, s]) => [id, s.rec]));
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
    const video = stream.up.tracks().some((t) => t.kind === "video");
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
    if (current) current.rec.close().catch((e) => this.#warn(`${e}`));
    this.#streams.delete(stream.id);
    try {
      const rec = StreamRecorder.start({
        wasm: this.#wasm,
        media: this.#deps.media,
        upId: stream.up.id,
        tracks: stream.up.tracks(),
        directory: join(this.#deps.recordingsDir, this.#group.name),
        username: stream.owner.username,
        log: this.#deps.log,
        ...(this.#deps.clock ? { clock: this.#deps.clock } : {}),
        onEnded: () => {
          if (this.#streams.get(stream.id)?.rec === rec) {
            this.#streams.delete(stream.id);
          }
        },
      });
      this.#streams.set(stream.id, { key, rec });
      for (const reason of rec.choice.skipped) this.#warn(reason);
    } catch (e) {
      this.#warn(e instanceof Error ? e.message : String(e));
    }
  }

  streamClosed(stream: PublishedStream): void {
    clearTimeout(this.#settling.get(stream.id));
    this.#settling.delete(stream.id);
    const current = this.#streams.get(stream.id);
    if (!current) return;
    this.#streams.delete(stream.id);
    current.rec.close().catch((e) => this.#warn(`${e}`));
  }

  /** Ends every file, then leaves the group; idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const timer of this.#settling.values()) clearTimeout(timer);
    this.#settling.clear();
    const closing = [...this.#streams.values()].map((s) => s.rec.close());
    this.#streams.clear();
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

/** Which groups are being recorded; one recorder per group. */
export class GroupRecorders {
  readonly #deps: GroupRecordersDeps;
  readonly #members = new Map<string, RecorderMember>();
  #wasm: Promise<RecordingWasm> | undefined;

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
    if (this.#members.has(group.name)) {
      throw new RecordingRefused("already recording");
    }
    this.#wasm ??= this.#deps.wasm();
    const wasm = await this.#wasm;
    if (this.#members.has(group.name)) {
      throw new RecordingRefused("already recording");
    }
    const member: RecorderMember = new RecorderMember(group, {
      deps: this.#deps,
      wasm,
      onGone: () => {
        if (this.#members.get(group.name) === member) {
          this.#members.delete(group.name);
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
    if (!member) throw new RecordingRefused("not recording");
    await member.stop();
  }

  /** Stops every recording (server shutdown). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#members.values()].map((m) => m.stop()));
  }
}
