/**
 * Lookup of group files and `config.json` on disk, re-read when they change.
 *
 * @module
 */

import { join } from "node:path";
import { FileCache } from "./file_cache.ts";
import {
  type GroupDescription,
  parseGroupDescription,
} from "./group_description.ts";
import { isValidGroupName } from "./group_name.ts";
import {
  defaultServerConfig,
  parseServerConfig,
  type ServerConfig,
} from "./server_config.ts";

/** The result of {@link DescriptionStore.get}. */
export type GroupLookup =
  | {
    ok: true;
    description: GroupDescription;
    file: string;
    autoSubgroupOf?: string;
  }
  | { ok: false; reason: "not-found" | "invalid"; message: string };

/** Where configuration lives and where its problems are reported. */
export interface StoreOptions {
  /** Called with one line per problem, once per change of the file. */
  log: (message: string) => void;
}

/**
 * Finds group descriptions under a groups directory (`a/b.json` is group
 * `a/b`), falling back to an ancestor with `auto-subgroups`.
 *
 * @example
 * ```ts
 * const store = new DescriptionStore({ groupsDir: "groups", log: console.warn });
 * const lookup = await store.get("teaching/networking");
 * ```
 */
export class DescriptionStore {
  #groupsDir: string;
  #log: (message: string) => void;
  #cache = new FileCache<GroupDescription>({
    parse: (json, file) => parseGroupDescription(json, { file }),
  });
  #ignoredWarned = new Set<string>();

  /** Creates a store reading `options.groupsDir`. */
  constructor(options: StoreOptions & { groupsDir: string }) {
    this.#groupsDir = options.groupsDir;
    this.#log = options.log;
  }

  /** The directory holding the group files. */
  get groupsDir(): string {
    return this.#groupsDir;
  }

  /** Returns the path of the file that would describe group `name`. */
  fileOf(name: string): string {
    return join(this.#groupsDir, `${name}.json`);
  }

  /**
   * Looks up group `name`; invalid names are refused before touching the
   * disk, and an invalid file is reported, never thrown.
   */
  async get(name: string): Promise<GroupLookup> {
    if (!isValidGroupName(name)) {
      return {
        ok: false,
        reason: "not-found",
        message: `Invalid group name ${JSON.stringify(name)}`,
      };
    }
    const direct = await this.#load(name);
    if (direct.ok || direct.reason === "invalid") return direct;
    // Like Galène, the nearest existing ancestor decides: it grants the
    // subgroup if it has auto-subgroups, and refuses it otherwise.
    for (
      let i = name.lastIndexOf("/");
      i > 0;
      i = name.lastIndexOf("/", i - 1)
    ) {
      const parentName = name.slice(0, i);
      const parent = await this.#load(parentName);
      if (!parent.ok && parent.reason === "not-found") continue;
      if (!parent.ok) return parent;
      if (!parent.description.autoSubgroups) break;
      return {
        ok: true,
        description: {
          ...parent.description,
          public: false,
          displayName: "",
          description: "",
          warnings: [],
        },
        file: parent.file,
        autoSubgroupOf: parentName,
      };
    }
    return {
      ok: false,
      reason: "not-found",
      message: `Group ${JSON.stringify(name)} not found`,
    };
  }

  /**
   * Returns every group name under the groups directory, sorted; entries
   * starting with `.` are skipped and other non-`.json` files reported once.
   */
  async list(): Promise<string[]> {
    const names: string[] = [];
    await this.#walk("", names);
    return names.sort();
  }

  async #load(name: string): Promise<GroupLookup> {
    const file = this.fileOf(name);
    const result = await this.#cache.read(file);
    switch (result.state) {
      case "missing":
        return {
          ok: false,
          reason: "not-found",
          message: `Group ${JSON.stringify(name)} not found`,
        };
      case "error":
        if (result.fresh) this.#log(result.error.message);
        return { ok: false, reason: "invalid", message: result.error.message };
      case "ok":
        if (result.fresh) result.value.warnings.forEach((w) => this.#log(w));
        return { ok: true, description: result.value, file };
    }
  }

  async #walk(prefix: string, names: string[]): Promise<void> {
    const dir = prefix === "" ? this.#groupsDir : join(this.#groupsDir, prefix);
    const entries: Deno.DirEntry[] = [];
    try {
      for await (const entry of Deno.readDir(dir)) entries.push(entry);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const relative = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      // Symlinked directories are not followed, so a link loop cannot hang us.
      const isFile = entry.isFile ||
        (entry.isSymlink && await isRegularFile(join(dir, entry.name)));
      if (entry.isDirectory) {
        await this.#walk(relative, names);
      } else if (isFile && entry.name.endsWith(".json")) {
        const name = relative.slice(0, -".json".length);
        if (isValidGroupName(name)) names.push(name);
      } else {
        this.#warnIgnored(join(dir, entry.name));
      }
    }
  }

  #warnIgnored(path: string): void {
    if (this.#ignoredWarned.has(path)) return;
    this.#ignoredWarned.add(path);
    this.#log(`${path}: not a .json group file, ignored`);
  }
}

/**
 * Holds `data/config.json`: a missing file gives the defaults, an invalid one
 * is reported and the last good configuration kept.
 */
export class ConfigStore {
  #file: string;
  #log: (message: string) => void;
  #cache = new FileCache<ServerConfig>({
    parse: (json, file) => parseServerConfig(json, { file }),
  });
  #lastGood: ServerConfig | undefined;

  /** Creates a store reading `config.json` in `options.dataDir`. */
  constructor(options: StoreOptions & { dataDir: string }) {
    this.#file = join(options.dataDir, "config.json");
    this.#log = options.log;
  }

  /** The path of the configuration file. */
  get file(): string {
    return this.#file;
  }

  /** Returns the current configuration, re-reading the file if it changed. */
  async get(): Promise<ServerConfig> {
    const result = await this.#cache.read(this.#file);
    switch (result.state) {
      case "missing":
        this.#lastGood = undefined;
        return defaultServerConfig();
      case "error":
        if (result.fresh) {
          const kept = this.#lastGood
            ? "keeping the previous configuration"
            : "using defaults";
          this.#log(`${result.error.message} (${kept})`);
        }
        return this.#lastGood ?? defaultServerConfig();
      case "ok":
        if (result.fresh) result.value.warnings.forEach((w) => this.#log(w));
        this.#lastGood = result.value;
        return result.value;
    }
  }
}

async function isRegularFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
