/**
 * What we publish: the camera and microphone, a screen share and a local
 * file, each one up stream; the microphone's mute state (told to the
 * others through user data); simulcast switched as the group grows, SVC
 * as the user sets it; the settings that reopen or retune the camera; and
 * publishing again, with the same tracks, a stream whose media server the
 * server lost (after a short back-off, longer after each loss in a row, so
 * that a cluster that has no media server left is not hammered).
 *
 * @module
 */

import {
  type FileSource,
  openCamera,
  openFile,
  openScreen,
} from "./local_media.ts";
import type { ServerConnection } from "./protocol.ts";
import {
  maxBitrate,
  type PublishMode,
  scalabilityMode,
  type Settings,
  type SettingsStore,
  useSimulcast,
} from "./settings.ts";
import type { StreamManager, UpStream } from "./streams.ts";

/**
 * How long to wait before publishing a lost stream again, after `losses`
 * losses in a row: 0.5 s, doubled each time up to 16 s, plus up to 0.5 s
 * so that the group's publishers do not all come back at once.
 */
export function lostStreamDelay(
  losses: number,
  random = Math.random(),
): number {
  return 500 * 2 ** Math.min(losses, 5) + Math.floor(random * 500);
}

/** Options of {@link Publisher}. */
export interface PublisherOptions {
  conn: ServerConnection;
  streams: StreamManager;
  store: SettingsStore;
  /** Start muted (kept across reconnections). */
  muted: boolean;
  /** Members that count for simulcast (not the recorder). */
  memberCount: () => number;
  /** Something the controls show changed. */
  onChange: () => void;
  /** A background operation failed; the message is for the user. */
  onError: (message: string) => void;
}

/** Our published streams and microphone state. */
export class Publisher {
  readonly #o: PublisherOptions;
  #camera: UpStream | null = null;
  #screen: UpStream | null = null;
  #file: { up: UpStream; source: FileSource } | null = null;
  #muted: boolean;
  #disposed = false;
  /** Streams being republished: their closing is not the end of the media. */
  readonly #replacing = new Set<UpStream>();
  /** Streams whose media server was lost, each with its republishing timer. */
  readonly #lost = new Map<UpStream, ReturnType<typeof setTimeout>>();
  /** Losses since a stream of ours last connected. */
  #losses = 0;
  readonly #offs: (() => void)[];

  constructor(options: PublisherOptions) {
    this.#o = options;
    this.#muted = options.muted;
    this.#offs = [
      options.streams.on("upLost", (up) => this.#onLost(up)),
      options.streams.on("state", ({ stream, state }) => {
        if (state === "connected" && options.streams.ups.get(stream.id)) {
          this.#losses = 0;
        }
      }),
    ];
  }

  /** The camera/microphone stream, if on. */
  get camera(): UpStream | null {
    return this.#camera;
  }
  /** True while we share a screen. */
  get sharing(): boolean {
    return this.#screen !== null;
  }
  /** Whether our microphone is muted. */
  get muted(): boolean {
    return this.#muted;
  }
  /** What is published now, to restore it after a reconnection. */
  get mode(): PublishMode {
    if (!this.#camera) return "none";
    return this.#camera.stream.getVideoTracks().length > 0 ? "both" : "audio";
  }

  /**
   * Opens camera and/or microphone and publishes them.
   *
   * @throws {Error} When the devices cannot be opened or the offer fails.
   */
  async enableCamera(mode?: "both" | "audio"): Promise<void> {
    if (this.#camera) return;
    const s = this.#o.store.value;
    const m = mode ?? (s.publish === "audio" ? "audio" : "both");
    const stream = await openCamera(s, m);
    if (this.#disposed) {
      for (const t of stream.getTracks()) t.stop();
      return;
    }
    for (const t of stream.getAudioTracks()) t.enabled = !this.#muted;
    const simulcast = useSimulcast(s.simulcast, this.#o.memberCount()) &&
      m === "both";
    this.#camera = await this.#o.streams.publish(stream, {
      label: "camera",
      simulcast,
      maxBitrate: maxBitrate(s.throughput),
      scalabilityMode: scalabilityMode(s.svc, simulcast),
    });
    this.#o.onChange();
  }

  /** Stops the camera and the microphone. */
  disableCamera(): void {
    if (this.#camera) this.#stop(this.#camera);
  }

  /** Ends a stream: unpublishes it, or forgets it if it was lost. */
  #stop(up: UpStream): void {
    const timer = this.#lost.get(up);
    if (timer === undefined) {
      this.#o.streams.unpublish(up.id);
      return;
    }
    clearTimeout(timer);
    this.#lost.delete(up);
    up.stopTracks();
    this.closed(up);
  }

  /** The server lost the media server of `up`: publish it again soon. */
  #onLost(up: UpStream): void {
    const delay = lostStreamDelay(this.#losses++);
    this.#lost.set(up, setTimeout(() => this.#guard(this.#again(up)), delay));
  }

  async #again(up: UpStream): Promise<void> {
    this.#lost.delete(up);
    const slot = this.#camera === up
      ? "camera"
      : this.#screen === up
      ? "screen"
      : this.#file?.up === up
      ? "file"
      : null;
    const live = up.stream.getTracks().some((t) => t.readyState === "live");
    if (this.#disposed || slot === null || !live) {
      up.stopTracks();
      this.closed(up);
      return;
    }
    let next: UpStream;
    try {
      next = await this.#o.streams.publish(up.stream, {
        label: up.label,
        simulcast: up.options.simulcast,
        maxBitrate: up.options.maxBitrate,
        scalabilityMode: up.options.scalabilityMode,
      });
    } catch (e) {
      up.stopTracks();
      this.closed(up);
      throw e;
    }
    if (slot === "camera" && this.#camera === up) this.#camera = next;
    else if (slot === "screen" && this.#screen === up) this.#screen = next;
    else if (slot === "file" && this.#file?.up === up) this.#file.up = next;
    else this.#o.streams.unpublish(next.id); // turned off meanwhile
    this.#o.onChange();
  }

  /**
   * Starts or stops sharing the screen (a second stream, never simulcast).
   *
   * @throws {Error} When the user refuses or the offer fails.
   */
  async shareScreen(on: boolean): Promise<void> {
    if (!on) {
      if (this.#screen) this.#stop(this.#screen);
      return;
    }
    if (this.#screen) return;
    const stream = await openScreen();
    this.#screen = await this.#o.streams.publish(stream, {
      label: "screenshare",
      simulcast: false,
      maxBitrate: null,
      scalabilityMode: null,
    });
    this.#o.onChange();
  }

  /**
   * Plays a local file to everyone, in place of any file playing.
   *
   * @throws {Error} When we may not present or the file cannot play.
   */
  async playFile(file: File): Promise<void> {
    if (!this.#o.conn.can("present")) {
      throw new Error("You are not allowed to present");
    }
    if (this.#file) this.#stop(this.#file.up);
    const source = await openFile(file);
    const up = await this.#o.streams.publish(source.stream, {
      label: "video",
      simulcast: false,
      maxBitrate: null,
      scalabilityMode: null,
    });
    this.#file = { up, source };
  }

  /** Mutes or unmutes the microphone and tells the others (user data). */
  setMuted(muted: boolean): void {
    this.#muted = muted;
    for (const t of this.#camera?.stream.getAudioTracks() ?? []) {
      t.enabled = !muted;
    }
    const conn = this.#o.conn;
    if (conn.connected) {
      conn.userAction("setdata", conn.id, { muted: muted ? true : null });
    }
    this.#o.onChange();
  }

  /** Forgets an up stream that closed (by us, the server or the browser). */
  closed(up: UpStream): void {
    // Disposed (the socket went): what we published is kept in `mode`, to
    // publish it again after the reconnection.
    if (this.#disposed) return;
    if (this.#replacing.has(up) || this.#lost.has(up)) return;
    if (this.#camera === up) this.#camera = null;
    if (this.#screen === up) this.#screen = null;
    if (this.#file?.up === up) {
      this.#file.source.stop();
      this.#file = null;
    }
    this.#o.onChange();
  }

  /** Closes every up stream (permission `present` was taken away). */
  stopAll(): void {
    for (const up of [...this.#o.streams.ups.values(), ...this.#lost.keys()]) {
      this.#stop(up);
    }
  }

  /** Republishes the camera when simulcast or SVC should be switched. */
  checkSimulcast(): void {
    const cam = this.#camera;
    if (!cam || cam.stream.getVideoTracks().length === 0) return;
    const s = this.#o.store.value;
    const want = useSimulcast(s.simulcast, this.#o.memberCount());
    const mode = scalabilityMode(s.svc, want);
    if (
      want === cam.options.simulcast && mode === cam.options.scalabilityMode
    ) {
      return;
    }
    this.#guard(
      this.#o.streams.republish(cam.id, {
        simulcast: want,
        maxBitrate: cam.options.maxBitrate,
        scalabilityMode: mode,
      }).then((up) => {
        if (up) this.#camera = up;
      }),
    );
  }

  /**
   * Publishes every up stream again with `replace`, so that the server and
   * the others swap to a fresh peer connection without a gap (`/replace`).
   * Resolves to how many streams were replaced.
   *
   * @throws {Error} When an offer fails.
   */
  async replaceAll(): Promise<number> {
    const again = async (up: UpStream): Promise<UpStream> => {
      this.#replacing.add(up);
      try {
        const { simulcast, maxBitrate, scalabilityMode } = up.options;
        return await this.#o.streams.republish(up.id, {
          simulcast,
          maxBitrate,
          scalabilityMode,
        }) ?? up;
      } finally {
        this.#replacing.delete(up);
      }
    };
    let n = 0;
    if (this.#camera) {
      this.#camera = await again(this.#camera);
      n++;
    }
    if (this.#screen) {
      this.#screen = await again(this.#screen);
      n++;
    }
    if (this.#file) {
      this.#file.up = await again(this.#file.up);
      n++;
    }
    this.#o.onChange();
    return n;
  }

  /** Applies a changed setting to what we publish. */
  applySetting(key: keyof Settings, s: Settings): void {
    const cam = this.#camera;
    if (key === "throughput" && cam) {
      this.#guard(
        this.#o.streams.setMaxBitrate(cam.id, maxBitrate(s.throughput)),
      );
    } else if (key === "simulcast" || key === "svc") {
      this.checkSimulcast();
    } else if (
      (key === "camera" || key === "microphone" || key === "blackboard" ||
        key === "publish") && cam
    ) {
      // New devices or constraints: reopen, then publish in place of the old.
      const mode = key === "publish"
        ? (s.publish === "audio" ? "audio" : "both")
        : this.mode;
      if (mode === "none") return;
      this.disableCamera();
      this.#guard(this.enableCamera(mode));
    }
  }

  /** Stops the local file player (the streams close with the manager). */
  dispose(): void {
    this.#disposed = true;
    for (const off of this.#offs) off();
    for (const [up, timer] of this.#lost) {
      clearTimeout(timer);
      up.stopTracks();
    }
    this.#lost.clear();
    this.#file?.source.stop();
  }

  #guard(p: Promise<unknown>): void {
    p.catch((e) => this.#o.onError(e instanceof Error ? e.message : String(e)));
  }
}
