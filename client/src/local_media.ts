/**
 * Getting local media: camera and microphone with the user's choices,
 * the screen, or a local file played through `captureStream()`.
 *
 * @module
 */

import type { PublishMode, Settings } from "./settings.ts";

/** getUserMedia constraints for the settings and what to publish. */
export function cameraConstraints(
  settings: Pick<Settings, "camera" | "microphone" | "blackboard">,
  mode: Exclude<PublishMode, "none">,
): MediaStreamConstraints {
  const device = (id: string) => (id ? { deviceId: { exact: id } } : {});
  // Blackboard mode: legible chalk matters more than motion, so more pixels
  // and few frames (Galène's client also lowers the rate to a few fps).
  const video: MediaTrackConstraints = settings.blackboard
    ? { width: { ideal: 1920 }, height: { ideal: 1080 }, frameRate: { max: 5 } }
    : {
      width: { ideal: 1280 },
      height: { ideal: 720 },
      frameRate: { ideal: 30 },
    };
  return {
    audio: { ...device(settings.microphone) },
    video: mode === "both" ? { ...video, ...device(settings.camera) } : false,
  };
}

/**
 * Opens camera and/or microphone.
 *
 * @throws {Error} With a message for the user when access fails.
 */
export async function openCamera(
  settings: Pick<Settings, "camera" | "microphone" | "blackboard">,
  mode: Exclude<PublishMode, "none">,
): Promise<MediaStream> {
  try {
    const stream = await navigator.mediaDevices.getUserMedia(
      cameraConstraints(settings, mode),
    );
    if (settings.blackboard) {
      for (const t of stream.getVideoTracks()) t.contentHint = "detail";
    }
    return stream;
  } catch (e) {
    throw new Error(
      mediaErrorText(
        e,
        mode === "both" ? "camera or microphone" : "microphone",
      ),
    );
  }
}

/**
 * Asks the browser for a screen, window or tab.
 *
 * @throws {Error} When the user refuses or the browser cannot.
 */
export async function openScreen(): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getDisplayMedia) {
    throw new Error("This browser cannot share the screen");
  }
  try {
    const stream = await navigator.mediaDevices.getDisplayMedia({
      video: true,
      audio: true,
    });
    for (const t of stream.getVideoTracks()) t.contentHint = "detail";
    return stream;
  } catch (e) {
    throw new Error(mediaErrorText(e, "screen"));
  }
}

/** A media file playing in a hidden element, captured as a stream. */
export interface FileSource {
  stream: MediaStream;
  stop(): void;
}

/**
 * Plays `file` and captures it.
 *
 * @throws {Error} When the browser cannot play or capture it.
 */
export async function openFile(file: File): Promise<FileSource> {
  const url = URL.createObjectURL(file);
  const video = document.createElement("video");
  video.src = url;
  video.playsInline = true;
  // Not muted: a muted element captures silence. It is not in the page,
  // so it is heard only through our own tile (which is muted).
  const capture =
    (video as HTMLVideoElement & { captureStream?: () => MediaStream })
      .captureStream;
  if (!capture) {
    URL.revokeObjectURL(url);
    throw new Error("This browser cannot stream a local file");
  }
  try {
    await video.play();
  } catch (e) {
    URL.revokeObjectURL(url);
    throw new Error(
      `Cannot play ${file.name}: ${e instanceof Error ? e.message : e}`,
    );
  }
  const stream = capture.call(video);
  return {
    stream,
    stop() {
      video.pause();
      for (const t of stream.getTracks()) t.stop();
      video.removeAttribute("src");
      URL.revokeObjectURL(url);
    },
  };
}

/** Cameras and microphones, labelled when permission was given. */
export async function listDevices(): Promise<
  { cameras: MediaDeviceInfo[]; microphones: MediaDeviceInfo[] }
> {
  const all = await navigator.mediaDevices?.enumerateDevices() ?? [];
  return {
    cameras: all.filter((d) => d.kind === "videoinput"),
    microphones: all.filter((d) => d.kind === "audioinput"),
  };
}

function mediaErrorText(e: unknown, what: string): string {
  const name = e instanceof DOMException ? e.name : "";
  switch (name) {
    case "NotAllowedError":
      return `Access to the ${what} was refused`;
    case "NotFoundError":
      return `No ${what} was found`;
    case "NotReadableError":
      return `The ${what} is in use by another program`;
    case "OverconstrainedError":
      return `The chosen ${what} is not available; pick another in Settings`;
    default:
      return `Cannot open the ${what}: ${e instanceof Error ? e.message : e}`;
  }
}
