/**
 * The user's choices in the side menu, kept in localStorage, and the pure
 * rules that turn them into protocol values.
 *
 * @module
 */

/** Video throughput presets. */
export type Throughput = "lowest" | "low" | "normal" | "unlimited";
/** Whether to send two simulcast layers. */
export type SimulcastMode = "on" | "off" | "auto";
/**
 * Scalable video (SVC) in the camera stream: none, frame rate layers, or
 * frame rate and size layers, from which the server gives each person what
 * their connection can take.
 */
export type SvcMode = "off" | "temporal" | "spatial";
/** What we receive from the others. */
export type ReceiveMode = "everything" | "audio" | "nothing";
/** What the Enable button turns on. */
export type PublishMode = "both" | "audio" | "none";

/** Everything the side menu sets. */
export interface Settings {
  camera: string;
  microphone: string;
  throughput: Throughput;
  simulcast: SimulcastMode;
  svc: SvcMode;
  blackboard: boolean;
  receive: ReceiveMode;
  publish: PublishMode;
  /** Media through the TURN relay only (strict firewalls, hiding our address). */
  relayOnly: boolean;
}

/** Settings of a first visit. */
export const DEFAULT_SETTINGS: Readonly<Settings> = {
  camera: "",
  microphone: "",
  throughput: "normal",
  simulcast: "auto",
  svc: "off",
  blackboard: false,
  receive: "everything",
  publish: "both",
  relayOnly: false,
};

const BITRATES: Readonly<Record<Throughput, number | null>> = {
  // 100 kbit/s is Galène's low simulcast layer; a talking head is fine at
  // 700 kbit/s and a laptop camera rarely needs more than 1.5 Mbit/s.
  lowest: 100_000,
  low: 300_000,
  normal: 700_000,
  unlimited: null,
};

/** The video sender's `maxBitrate` for a throughput preset (null: none). */
export function maxBitrate(throughput: Throughput): number | null {
  return BITRATES[throughput];
}

/** Simulcast decision; `auto` turns it on from three non-system members. */
export function useSimulcast(mode: SimulcastMode, members: number): boolean {
  return mode === "on" || (mode === "auto" && members >= 3);
}

/**
 * The camera's `scalabilityMode` for an SVC setting, or null: three temporal
 * layers, and with "spatial" three sizes too (with simulcast each layer
 * has its own size already, so temporal layers only). Size layers need VP9
 * or AV1; with VP8 the browser sends frame rate layers only.
 */
export function scalabilityMode(
  mode: SvcMode,
  simulcast: boolean,
): string | null {
  if (mode === "off") return null;
  return mode === "spatial" && !simulcast ? "L3T3_KEY" : "L1T3";
}

/** The `request` message's map for a receive mode. */
export function requestFor(mode: ReceiveMode): Record<string, string[]> {
  switch (mode) {
    case "everything":
      return { "": ["audio", "video"] };
    case "audio":
      return { "": ["audio"] };
    case "nothing":
      return { "": [] };
  }
}

/** Tiles this small receive the low simulcast layer, as in Galène's client. */
export function wantsLowVideo(width: number, height: number): boolean {
  return width > 0 && height > 0 && width <= 320 && height <= 240;
}

function pick<T extends string>(v: unknown, allowed: readonly T[], d: T): T {
  return allowed.includes(v as T) ? (v as T) : d;
}

/** Reads settings from parsed JSON, keeping only valid values. */
export function parseSettings(json: unknown): Settings {
  const o = (typeof json === "object" && json !== null ? json : {}) as Record<
    string,
    unknown
  >;
  const d = DEFAULT_SETTINGS;
  return {
    camera: typeof o["camera"] === "string" ? o["camera"] : d.camera,
    microphone: typeof o["microphone"] === "string"
      ? o["microphone"]
      : d.microphone,
    throughput: pick(
      o["throughput"],
      ["lowest", "low", "normal", "unlimited"],
      d.throughput,
    ),
    simulcast: pick(o["simulcast"], ["on", "off", "auto"], d.simulcast),
    svc: pick(o["svc"], ["off", "temporal", "spatial"], d.svc),
    blackboard: o["blackboard"] === true,
    receive: pick(o["receive"], ["everything", "audio", "nothing"], d.receive),
    publish: pick(o["publish"], ["both", "audio", "none"], d.publish),
    relayOnly: o["relayOnly"] === true,
  };
}

const CHOICES: Readonly<Partial<Record<keyof Settings, readonly string[]>>> = {
  throughput: ["lowest", "low", "normal", "unlimited"],
  simulcast: ["on", "off", "auto"],
  svc: ["off", "temporal", "spatial"],
  receive: ["everything", "audio", "nothing"],
  publish: ["both", "audio", "none"],
};

/** The names of the settings, in the side menu's order. */
export const SETTING_KEYS: readonly (keyof Settings)[] = Object.keys(
  DEFAULT_SETTINGS,
) as (keyof Settings)[];

/** True when `key` names a setting. */
export function isSettingKey(key: string): key is keyof Settings {
  return (SETTING_KEYS as readonly string[]).includes(key);
}

/**
 * One setting from a value typed by the user (`/set key json`). Unlike
 * {@link parseSettings}, a wrong value is an error rather than a default:
 * the user asked for that value and must hear why it was not taken.
 *
 * @throws {RangeError} When `key` is unknown or `value` is not allowed.
 */
export function settingFromValue(
  key: string,
  value: unknown,
): Partial<Settings> {
  if (!isSettingKey(key)) {
    throw new RangeError(
      `No setting called "${key}"; settings are ${SETTING_KEYS.join(", ")}`,
    );
  }
  const choices = CHOICES[key];
  const ok = choices
    ? typeof value === "string" && choices.includes(value)
    : typeof value === typeof DEFAULT_SETTINGS[key];
  if (!ok) {
    const want = choices
      ? `one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`
      : `a ${typeof DEFAULT_SETTINGS[key]}`;
    throw new RangeError(
      `Cannot set ${key} to ${JSON.stringify(value)}: expected ${want}`,
    );
  }
  return { [key]: value } as Partial<Settings>;
}

/** Settings stored in `storage` under one key. */
export class SettingsStore {
  readonly #storage: Pick<Storage, "getItem" | "setItem"> | null;
  #value: Settings;

  constructor(storage: Pick<Storage, "getItem" | "setItem"> | null) {
    this.#storage = storage;
    let json: unknown = null;
    try {
      json = JSON.parse(storage?.getItem("nereid-settings") ?? "null");
    } catch {
      // A corrupt entry means defaults.
    }
    this.#value = parseSettings(json);
  }

  get value(): Readonly<Settings> {
    return this.#value;
  }

  /** Merges `change` and saves. */
  update(change: Partial<Settings>): Settings {
    this.#value = { ...this.#value, ...change };
    try {
      this.#storage?.setItem("nereid-settings", JSON.stringify(this.#value));
    } catch {
      // Private browsing may refuse storage; settings then last a session.
    }
    return this.#value;
  }
}
