/**
 * The video grid: one tile per stream (ours and the others'), sized to fill
 * the area, with the name, a mute indicator, fullscreen and
 * picture-in-picture buttons, and the active speaker highlighted.
 *
 * @module
 */

import { gridShape } from "../grid_layout.ts";
import { el } from "./dom.ts";
import { icon } from "./icons.ts";

/** What a tile shows. */
export interface TileInfo {
  /** Stream id. */
  id: string;
  /** Publisher's client id. */
  userId: string;
  username: string;
  label: string;
  local: boolean;
  stream: MediaStream;
}

/** Options of {@link VideoGrid}. */
export interface VideoGridOptions {
  /** Called when a tile's displayed size changes (CSS pixels). */
  onTileSize?: (id: string, width: number, height: number) => void;
}

interface Tile {
  info: TileInfo;
  root: HTMLElement;
  video: HTMLVideoElement;
  name: HTMLElement;
  mute: HTMLElement;
  avatar: HTMLElement;
}

/** The grid of tiles inside one container. */
export class VideoGrid {
  readonly #area: HTMLElement;
  readonly #grid: HTMLElement;
  readonly #tiles = new Map<string, Tile>();
  readonly #options: VideoGridOptions;
  readonly #sizes: ResizeObserver;
  readonly #areaObserver: ResizeObserver;
  #muted = new Set<string>();
  #speaker: string | null = null;

  constructor(
    area: HTMLElement,
    grid: HTMLElement,
    options: VideoGridOptions = {},
  ) {
    this.#area = area;
    this.#grid = grid;
    this.#options = options;
    this.#areaObserver = new ResizeObserver(() => this.layout());
    this.#areaObserver.observe(area);
    this.#sizes = new ResizeObserver((entries) => {
      for (const e of entries) {
        const id = (e.target as HTMLElement).dataset["streamId"];
        const box = e.contentRect;
        if (id) {
          this.#options.onTileSize?.(
            id,
            Math.round(box.width),
            Math.round(box.height),
          );
        }
      }
    });
  }

  /** Number of tiles. */
  get size(): number {
    return this.#tiles.size;
  }

  /** Adds a tile or refreshes it (new tracks, new name). */
  upsert(info: TileInfo): void {
    let tile = this.#tiles.get(info.id);
    if (!tile) {
      tile = this.#create(info);
      this.#tiles.set(info.id, tile);
      // Our own tiles first, then others in arrival order.
      if (info.local) this.#grid.prepend(tile.root);
      else this.#grid.append(tile.root);
      this.#sizes.observe(tile.root);
      this.layout();
    }
    tile.info = info;
    if (tile.video.srcObject !== info.stream) {
      tile.video.srcObject = info.stream;
    }
    tile.name.textContent = info.label === "screenshare"
      ? `${info.username || "Anonymous"} (screen)`
      : info.username || "Anonymous";
    this.#refresh(tile);
  }

  /** Removes a tile. */
  remove(id: string): void {
    const tile = this.#tiles.get(id);
    if (!tile) return;
    this.#tiles.delete(id);
    this.#sizes.unobserve(tile.root);
    tile.video.srcObject = null;
    tile.root.remove();
    this.layout();
  }

  /** Removes every tile and stops observing sizes. */
  clear(): void {
    for (const id of [...this.#tiles.keys()]) this.remove(id);
    this.#areaObserver.disconnect();
    this.#sizes.disconnect();
  }

  /** Marks the users (client ids) whose microphone is off. */
  setMutedUsers(userIds: Iterable<string>): void {
    this.#muted = new Set(userIds);
    for (const t of this.#tiles.values()) this.#refresh(t);
  }

  /** Highlights one stream as the active speaker (or none). */
  setSpeaker(streamId: string | null): void {
    if (streamId === this.#speaker) return;
    this.#speaker = streamId;
    for (const t of this.#tiles.values()) {
      t.root.classList.toggle("speaking", t.info.id === streamId);
    }
  }

  /** Recomputes the grid shape for the area's size. */
  layout(): void {
    const n = this.#tiles.size;
    this.#area.classList.toggle("empty", n === 0);
    if (n === 0) return;
    const pad = getComputedStyle(this.#area);
    const width = this.#area.clientWidth - parseFloat(pad.paddingLeft) -
      parseFloat(pad.paddingRight);
    const height = this.#area.clientHeight - parseFloat(pad.paddingTop) -
      parseFloat(pad.paddingBottom);
    const gap = 8;
    const aspect = this.#videoAspect();
    // Tiles take the videos' shape, so that the whole picture fills them.
    // Before the first frame, or with pictures of several shapes, any shape
    // from 4:3 to 16:9; on a phone held upright, squarer tiles use its height.
    const shape = gridShape(n, {
      width,
      height,
      gap,
      ...(aspect !== null
        ? { minAspect: aspect, maxAspect: aspect }
        : height > width * 1.2
        ? { minAspect: 1 }
        : {}),
    });
    const style = this.#grid.style;
    style.setProperty("--tile-width", `${shape.tileWidth}px`);
    style.setProperty("--tile-height", `${shape.tileHeight}px`);
    style.setProperty(
      "--grid-width",
      `${shape.columns * shape.tileWidth + (shape.columns - 1) * gap}px`,
    );
    this.#grid.dataset["shape"] = `${shape.columns}x${shape.rows}`;
    this.#area.classList.toggle("scrolls", shape.scrolls);
  }

  /** The shape shared by every picture shown, or null. */
  #videoAspect(): number | null {
    let aspect: number | null = null;
    for (const t of this.#tiles.values()) {
      const { videoWidth: w, videoHeight: h } = t.video;
      if (w === 0 || h === 0 || t.root.classList.contains("no-video")) {
        continue;
      }
      // Encoders round sizes to even pixels: 2 % apart is the same shape.
      if (aspect !== null && Math.abs(w / h / aspect - 1) > 0.02) return null;
      aspect ??= w / h;
    }
    return aspect;
  }

  #create(info: TileInfo): Tile {
    const video = el("video", {
      attrs: { autoplay: "", playsinline: "" },
    });
    // Our own sound would echo; others' sound plays from the tile.
    video.muted = info.local;
    const avatar = el("div", {
      class: "tile-avatar",
      attrs: { "aria-hidden": "true" },
    });
    const name = el("span", { class: "tile-name" });
    const mute = el("span", {
      class: "tile-muted",
      attrs: {
        role: "img",
        "aria-label": "Microphone off",
        title: "Microphone off",
      },
    }, icon("micOff"));
    const pip = el("button", {
      class: "icon-button small",
      attrs: {
        type: "button",
        "aria-label": "Picture in picture",
        title: "Picture in picture",
      },
    }, icon("pip"));
    const full = el("button", {
      class: "icon-button small",
      attrs: {
        type: "button",
        "aria-label": "Fullscreen",
        title: "Fullscreen",
      },
    }, icon("fullscreen"));
    const root = el(
      "figure",
      { class: "tile", attrs: { "data-stream-id": info.id } },
      video,
      avatar,
      el(
        "figcaption",
        { class: "tile-bar" },
        mute,
        name,
        el("span", { class: "tile-actions" }, pip, full),
      ),
    );
    if (info.local && info.label === "camera") root.classList.add("mirrored");
    if (info.label === "screenshare") root.classList.add("screen");
    pip.addEventListener("click", () => {
      if (document.pictureInPictureElement === video) {
        document.exitPictureInPicture().catch(() => {});
      } else {
        video.requestPictureInPicture().catch((e) =>
          console.warn("Picture in picture:", e)
        );
      }
    });
    full.addEventListener("click", () => {
      if (document.fullscreenElement === root) {
        document.exitFullscreen().catch(() => {});
      } else {root.requestFullscreen().catch((e) =>
          console.warn("Fullscreen:", e)
        );}
    });
    video.addEventListener("loadedmetadata", () => {
      video.play().catch(() => {});
    });
    // A first frame, or a camera that changed its size: new tile shapes.
    video.addEventListener("resize", () => this.layout());
    if (
      !("pictureInPictureEnabled" in document) ||
      !document.pictureInPictureEnabled
    ) {
      pip.hidden = true;
    }
    return { info, root, video, name, mute, avatar };
  }

  #refresh(t: Tile): void {
    const hasVideo = t.info.stream.getVideoTracks().length > 0;
    const hasAudio = t.info.stream.getAudioTracks().some((a) => a.enabled);
    t.root.classList.toggle("no-video", !hasVideo);
    t.avatar.textContent = (t.info.username || "?").slice(0, 1).toUpperCase();
    const muted = this.#muted.has(t.info.userId) ||
      (!hasAudio && t.info.label !== "screenshare");
    t.mute.hidden = !muted;
    t.root.classList.toggle("muted", muted);
    t.root.setAttribute(
      "aria-label",
      `${t.name.textContent}${muted ? ", microphone off" : ""}`,
    );
  }
}
