/**
 * The settings pane: devices, throughput, simulcast, scalable video,
 * blackboard mode, relay only, what to receive, and playing a local file.
 * Bound to a SettingsStore.
 *
 * @module
 */

import { listDevices } from "../local_media.ts";
import {
  parseSettings,
  type Settings,
  type SettingsStore,
} from "../settings.ts";
import { byId, el } from "./dom.ts";

/** Options of {@link SideMenu}. */
export interface SideMenuOptions {
  store: SettingsStore;
  /** A setting changed; `key` says which. */
  onChange: (key: keyof Settings, settings: Settings) => void;
  /** The user chose a file to play. */
  onFile: (file: File) => void;
  /** Aborting it removes the listeners. */
  signal: AbortSignal;
}

/** The settings pane. */
export class SideMenu {
  readonly #form = byId("settings-form", HTMLFormElement);
  readonly #pane = byId("side-menu", HTMLElement);
  readonly #button = byId("menu-button", HTMLButtonElement);
  readonly #options: SideMenuOptions;

  constructor(options: SideMenuOptions) {
    this.#options = options;
    const signal = options.signal;
    this.refresh();
    this.#form.addEventListener("change", (e) => {
      const target = e.target as HTMLInputElement | HTMLSelectElement;
      if (target.id === "file-input") return;
      const key = target.name as keyof Settings;
      const read = parseSettings({
        ...options.store.value,
        [key]: target instanceof HTMLInputElement && target.type === "checkbox"
          ? target.checked
          : target.value,
      });
      const next = options.store.update({ [key]: read[key] });
      options.onChange(key, next);
    }, { signal });
    this.#form.addEventListener("submit", (e) => e.preventDefault(), {
      signal,
    });
    const fileInput = byId("file-input", HTMLInputElement);
    byId("file-button", HTMLButtonElement).addEventListener(
      "click",
      () => fileInput.click(),
    );
    fileInput.addEventListener("change", () => {
      const file = fileInput.files?.[0];
      fileInput.value = "";
      if (file) options.onFile(file);
    }, { signal });
    this.#button.addEventListener("click", () => this.toggle());
    byId("side-menu-close", HTMLButtonElement).addEventListener("click", () => {
      this.toggle(false);
      this.#button.focus();
    }, { signal });
    this.#pane.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        this.toggle(false);
        this.#button.focus();
      }
    }, { signal });
    navigator.mediaDevices?.addEventListener?.(
      "devicechange",
      () => this.refreshDevices(),
      { signal },
    );
  }

  /** Opens or closes the pane. */
  toggle(open = this.#pane.hidden === true): void {
    this.#pane.hidden = !open;
    this.#button.setAttribute("aria-expanded", String(open));
    if (open) {
      this.refreshDevices();
      this.#form.querySelector<HTMLElement>("select, input")?.focus();
    }
  }

  /** Lists the devices again (labels appear once permission is given). */
  async refreshDevices(): Promise<void> {
    try {
      const { cameras, microphones } = await listDevices();
      this.#devices(
        byId("camera-select", HTMLSelectElement),
        cameras,
        "Default camera",
        this.#options.store.value.camera,
      );
      this.#devices(
        byId("microphone-select", HTMLSelectElement),
        microphones,
        "Default microphone",
        this.#options.store.value.microphone,
      );
    } catch (e) {
      console.warn("Cannot list devices:", e);
    }
  }

  /** Offers only the "Enable" choices that make sense. */
  setCanPresent(can: boolean): void {
    for (
      const id of [
        "publish-select",
        "camera-select",
        "microphone-select",
        "file-button",
      ]
    ) {
      (byId(id, HTMLElement) as HTMLSelectElement | HTMLButtonElement)
        .disabled = !can;
    }
  }

  #devices(
    select: HTMLSelectElement,
    devices: MediaDeviceInfo[],
    fallback: string,
    chosen: string,
  ): void {
    const options = [el("option", { text: fallback, attrs: { value: "" } })];
    devices.forEach((d, i) => {
      if (!d.deviceId || d.deviceId === "default") return;
      options.push(
        el("option", {
          text: d.label || `${fallback.replace("Default ", "")} ${i + 1}`,
          attrs: { value: d.deviceId },
        }),
      );
    });
    select.replaceChildren(...options);
    select.value = devices.some((d) => d.deviceId === chosen) ? chosen : "";
  }

  /** Shows the stored settings again (after `/set` or `/unset`). */
  refresh(): void {
    const s = this.#options.store.value;
    const set = (name: string, value: string) => {
      const field = this.#form.elements.namedItem(name);
      if (field instanceof RadioNodeList) field.value = value;
      else if (field instanceof HTMLSelectElement) field.value = value;
    };
    set("publish", s.publish === "none" ? "both" : s.publish);
    set("throughput", s.throughput);
    set("simulcast", s.simulcast);
    set("svc", s.svc);
    set("receive", s.receive);
    byId("blackboard-check", HTMLInputElement).checked = s.blackboard;
    byId("relay-check", HTMLInputElement).checked = s.relayOnly;
    for (
      const [id, value] of [["camera-select", s.camera], [
        "microphone-select",
        s.microphone,
      ]] as const
    ) {
      const select = byId(id, HTMLSelectElement);
      // A device not listed (yet) shows as the default until it is.
      if ([...select.options].some((o) => o.value === value)) {
        select.value = value;
      }
    }
  }
}
