/**
 * The groups in memory, loaded on demand from their descriptions and kept
 * in step with the files on disk.
 *
 * @module
 */

import type { DescriptionStore } from "../config/description_store.ts";
import { isValidGroupName } from "../config/group_name.ts";
import { Group } from "./group.ts";

/** Why a group cannot be had. */
export type GroupFailure = {
  ok: false;
  reason: "not-found" | "invalid";
  message: string;
};

/** Options of the {@link GroupRegistry} constructor. */
export interface GroupRegistryOptions {
  store: DescriptionStore;
  log: (message: string) => void;
  canChangePassword?: () => boolean;
  /** Called with each group as it is loaded (a cluster edge shares it). */
  onCreate?: (group: Group) => void;
}

/** The groups in memory. */
export class GroupRegistry {
  #groups = new Map<string, Group>();
  #store: DescriptionStore;
  #log: (message: string) => void;
  #canChangePassword: () => boolean;
  #onCreate: ((group: Group) => void) | undefined;

  constructor(options: GroupRegistryOptions) {
    this.#onCreate = options.onCreate;
    this.#store = options.store;
    this.#log = options.log;
    this.#canChangePassword = options.canChangePassword ?? (() => false);
  }

  /** The group if it is in memory. */
  existing(name: string): Group | undefined {
    return this.#groups.get(name);
  }

  /** Every group in memory. */
  all(): Group[] {
    return [...this.#groups.values()];
  }

  /**
   * The group named `name`, loaded from its description when needed; the
   * description is checked against the file on every call, so edits on disk
   * take effect at once.
   */
  async get(name: string, now: number): Promise<Group | GroupFailure> {
    if (!isValidGroupName(name)) {
      return {
        ok: false,
        reason: "not-found",
        message: "group does not exist",
      };
    }
    const lookup = await this.#store.get(name);
    const group = this.#groups.get(name);
    if (!lookup.ok) {
      // A group whose file broke keeps running with the last good description.
      if (group && lookup.reason === "invalid") return group;
      if (lookup.reason === "not-found") {
        return {
          ok: false,
          reason: "not-found",
          message: "group does not exist",
        };
      }
      return lookup;
    }
    if (group) {
      group.updateDescription(lookup.description);
      return group;
    }
    const created = new Group({
      name,
      description: lookup.description,
      autoSubgroup: lookup.autoSubgroupOf !== undefined,
      log: this.#log,
      canChangePassword: this.#canChangePassword,
    }, now);
    this.#onCreate?.(created);
    this.#groups.set(name, created);
    return created;
  }

  /** Every public group, loading those not yet in memory. */
  async publicGroups(now: number): Promise<Group[]> {
    const out: Group[] = [];
    for (const name of await this.#store.list()) {
      const g = await this.get(name, now);
      if (g instanceof Group && g.description.public) out.push(g);
    }
    return out.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  }

  /**
   * Re-reads the description of every group in memory and forgets empty,
   * non-public groups idle for longer than their history age.
   */
  async refresh(now: number): Promise<void> {
    for (const [name, group] of this.#groups) {
      const result = await this.get(name, now);
      if (!(result instanceof Group)) {
        if (group.clientCount === 0) this.#groups.delete(name);
        continue;
      }
      const idle = now - group.lastActive;
      if (
        group.clientCount === 0 && !group.description.public &&
        idle > group.description.maxHistoryAge * 1000
      ) {
        this.#groups.delete(name);
      }
    }
  }

  /** Populated subgroups of `name`, for the `subgroups` action. */
  subgroups(name: string): Group[] {
    const prefix = name + "/";
    return this.all().filter((g) =>
      g.name.startsWith(prefix) && g.clientCount > 0
    );
  }
}
