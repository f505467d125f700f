/**
 * nereidctl's own configuration file, `nereidctl.json`: the server's URL
 * and the administrator's credentials, so they need not be typed.
 *
 * @module
 */

import { join } from "node:path";
import { isJsonObject } from "../config/json_fields.ts";

/** The fields of `nereidctl.json`, galenectl's names. */
export interface CtlConfig {
  server?: string;
  "admin-username"?: string;
  "admin-password"?: string;
  "admin-token"?: string;
}

const KEYS = ["server", "admin-username", "admin-password", "admin-token"];

/**
 * The per-user configuration directory, as Go's `os.UserConfigDir`:
 * `$XDG_CONFIG_HOME` or `~/.config` on Unix, `~/Library/Application
 * Support` on macOS, `%AppData%` on Windows.
 *
 * @throws {Error} When the environment names no home directory.
 */
export function userConfigDir(
  env: (name: string) => string | undefined,
  os: string,
): string {
  if (os === "windows") {
    const appData = env("AppData") ?? env("APPDATA");
    if (!appData) {
      throw new Error(
        "Cannot find the configuration directory: %AppData% is not set",
      );
    }
    return appData;
  }
  const home = env("HOME");
  if (os === "darwin") {
    if (!home) {
      throw new Error(
        "Cannot find the configuration directory: $HOME is not set",
      );
    }
    return join(home, "Library", "Application Support");
  }
  const xdg = env("XDG_CONFIG_HOME");
  if (xdg && xdg.startsWith("/")) return xdg;
  if (!home) {
    throw new Error(
      "Cannot find the configuration directory: neither $XDG_CONFIG_HOME nor $HOME is set",
    );
  }
  return join(home, ".config");
}

/** The default path of `nereidctl.json`. */
export function defaultCtlConfigFile(
  env: (name: string) => string | undefined,
  os: string,
): string {
  return join(userConfigDir(env, os), "nereid", "nereidctl.json");
}

/**
 * Reads `file`; a missing file is an empty configuration unless
 * `required` (the user named it).
 *
 * @throws {Error} Naming the file when it cannot be read or is not a JSON
 * object of strings with known keys.
 */
export async function loadCtlConfig(
  file: string,
  options: { required: boolean },
): Promise<CtlConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && !options.required) return {};
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot read ${file}: ${detail}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${file}: invalid JSON`);
  }
  if (!isJsonObject(json)) throw new Error(`${file}: must be a JSON object`);
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(json)) {
    if (!KEYS.includes(key)) {
      throw new Error(`${file}: unknown key ${JSON.stringify(key)}`);
    }
    if (typeof value !== "string") {
      throw new Error(`${file}: ${JSON.stringify(key)} must be a string`);
    }
    config[key] = value;
  }
  return config as CtlConfig;
}
