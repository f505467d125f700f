/**
 * The video stage of a session: a tile per stream (ours and the others'),
 * the active speaker sampled from audio levels, and the low video layer
 * asked for tiles too small to show the high one (`requestStream`).
 *
 * @module
 */

import type { ServerConnection } from "./protocol.ts";
import type { Publisher } from "./publisher.ts";
import { type SettingsStore, wantsLowVideo } from "./settings.ts";
import { SpeakerDetector } from "./speaker.ts";
import type { DownStream, StreamManager, UpStream } from "./streams.ts";
import { byId } from "./ui/dom.ts";
import { VideoGrid } from "./ui/video_grid.ts";

/** What the stage follows. */
export interface StageDeps {
  conn: ServerConnection;
  streams: StreamManager;
  store: SettingsStore;
  publisher: () => Publisher;
  /** Our own stream appeared or went: the controls change. */
  onLocalChange: () => void;
}

/** Tiles for every stream of one session. */
export class Stage {
  readonly #d: StageDeps;
  readonly #grid: VideoGrid;
  readonly #speaker = new SpeakerDetector();
  readonly #offs: (() => void)[];
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(deps: StageDeps) {
    this.#d = deps;
    this.#grid = new VideoGrid(
      byId("video-area", HTMLElement),
      byId("video-grid", HTMLElement),
      { onTileSize: (id, w, h) => this.#onTileSize(id, w, h) },
    );
    const s = deps.streams;
    this.#offs = [
      s.on("up", (up) => this.#tile(up, true)),
      s.on("upClosed", (up) => {
        this.#grid.remove(up.id);
        deps.publisher().closed(up);
      }),
      s.on("down", (down) => this.#tile(down, false)),
      s.on("downClosed", (down) => this.#grid.remove(down.id)),
    ];
    // Speaking is judged over a few samples (speaker.ts), 400 ms apart.
    this.#timer = setInterval(() => this.#sampleSpeakers(), 400);
  }

  /** Marks the members (client ids) whose microphone is off. */
  setMutedUsers(ids: Iterable<string>): void {
    this.#grid.setMutedUsers(ids);
  }

  /** Removes every tile and stops listening. */
  dispose(): void {
    clearInterval(this.#timer);
    for (const off of this.#offs) off();
    this.#grid.clear();
  }

  #tile(s: UpStream | DownStream, local: boolean): void {
    const down = local ? null : s as DownStream;
    this.#grid.upsert({
      id: s.id,
      userId: down ? down.source : this.#d.conn.id,
      username: down ? down.username : this.#d.conn.username,
      label: s.label,
      local,
      stream: s.stream,
    });
    if (local) this.#d.onLocalChange();
  }

  #onTileSize(id: string, width: number, height: number): void {
    const { streams, store } = this.#d;
    if (!streams.downs.has(id) || store.value.receive !== "everything") return;
    streams.requestStream(
      id,
      wantsLowVideo(width, height) ? ["audio", "video-low"] : null,
    );
  }

  async #sampleSpeakers(): Promise<void> {
    const levels = await this.#d.streams.audioLevels();
    const p = this.#d.publisher();
    if (p.muted && p.camera) levels.delete(p.camera.id);
    this.#grid.setSpeaker(this.#speaker.update(levels, Date.now()));
  }
}
