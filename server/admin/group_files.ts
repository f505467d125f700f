/**
 * Group files as the administrative API reads and writes them: each read
 * returns the description with its entity tag, and each change is a
 * read–check–write under a per-file lock, written atomically.
 *
 * @module
 */

import { relative, resolve } from "node:path";
import type { DescriptionStore } from "../config/description_store.ts";
import {
  type GroupDescription,
  parseGroupDescription,
  serializeGroupDescription,
} from "../config/group_description.ts";
import { isValidGroupName } from "../config/group_name.ts";
import {
  removeFileDurably,
  writeFileAtomically,
} from "../files/atomic_file.ts";
import { KeyedLock } from "./keyed_lock.ts";

/** A group file as read: missing (empty tag), valid, or broken. */
export type GroupFile =
  | { state: "missing"; etag: "" }
  | { state: "ok"; etag: string; description: GroupDescription }
  | { state: "invalid"; etag: string; problem: string };

/**
 * What a change returns: the new description, `null` to delete the file,
 * or `undefined` to leave it alone.
 */
export type GroupChange = GroupDescription | null | undefined;

/** The outcome of {@link GroupFiles.change}. */
export interface ChangeResult {
  /** The file's tag after the change (`""` once deleted). */
  etag: string;
  /** Whether the file did not exist before. */
  created: boolean;
}

/**
 * Reads and writes `groups/NAME.json`.
 *
 * @example
 * ```ts
 * const files = new GroupFiles({ store });
 * await files.change("a", (current) => {
 *   if (current.state !== "ok") return undefined;
 *   return { ...current.description, displayName: "A" };
 * });
 * ```
 */
export class GroupFiles {
  #store: DescriptionStore;
  #lock = new KeyedLock();

  /** Creates the accessor over the store's groups directory. */
  constructor(options: { store: DescriptionStore }) {
    this.#store = options.store;
  }

  /** Every group name, as the store lists them. */
  list(): Promise<string[]> {
    return this.#store.list();
  }

  /**
   * Returns the path of group `name`'s file.
   *
   * @throws {RangeError} When `name` is not a valid group name or the path
   * would leave the groups directory (checked twice on purpose).
   */
  fileOf(name: string): string {
    if (!isValidGroupName(name)) {
      throw new RangeError(`Invalid group name ${JSON.stringify(name)}`);
    }
    const root = resolve(this.#store.groupsDir);
    const file = resolve(this.#store.fileOf(name));
    const inside = relative(root, file);
    if (inside.startsWith("..") || resolve(root, inside) !== file) {
      throw new RangeError(`Invalid group name ${JSON.stringify(name)}`);
    }
    return file;
  }

  /** Reads group `name`'s file with its tag; never throws on bad content. */
  read(name: string): Promise<GroupFile> {
    return readGroupFile(this.fileOf(name));
  }

  /**
   * Applies `edit` to the current file under the file's lock, so that no
   * other change of this process can slip between the read (and the
   * precondition check `edit` makes) and the write.
   *
   * @throws Whatever `edit` throws, with the file untouched; and I/O errors.
   */
  change(
    name: string,
    edit: (current: GroupFile) => GroupChange | Promise<GroupChange>,
  ): Promise<ChangeResult> {
    const file = this.fileOf(name);
    return this.#lock.run(file, async () => {
      const current = await readGroupFile(file);
      const next = await edit(current);
      const created = current.state === "missing";
      if (next === undefined) return { etag: current.etag, created: false };
      if (next === null) {
        if (current.state !== "missing") await removeFileDurably(file);
        return { etag: "", created: false };
      }
      const text = JSON.stringify(serializeGroupDescription(next), null, 2);
      await writeFileAtomically(file, new TextEncoder().encode(`${text}\n`));
      return { etag: (await stampOf(file)) ?? "", created };
    });
  }
}

/**
 * The entity tag of a file: Galène's size and mtime, plus the inode, since
 * mtime has only millisecond precision here and every write renames a new
 * inode into place.
 */
async function stampOf(file: string): Promise<string | undefined> {
  try {
    const info = await Deno.stat(file);
    if (!info.isFile) return undefined;
    return `"${info.size}-${info.mtime?.getTime() ?? 0}-${info.ino ?? 0}"`;
  } catch (error) {
    if (
      error instanceof Deno.errors.NotFound ||
      error instanceof Deno.errors.NotADirectory
    ) return undefined;
    throw error;
  }
}

async function readGroupFile(file: string): Promise<GroupFile> {
  // A writer outside this process may replace the file between the stat
  // and the read: read until the tag is the same on both sides.
  for (let attempt = 0;; attempt++) {
    const before = await stampOf(file);
    if (before === undefined) return { state: "missing", etag: "" };
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      throw error;
    }
    const after = await stampOf(file);
    if (after !== before && attempt < 3) continue;
    return parseFile(text, { file, etag: before });
  }
}

function parseFile(
  text: string,
  options: { file: string; etag: string },
): GroupFile {
  const { file, etag } = options;
  try {
    const description = parseGroupDescription(JSON.parse(text), { file });
    return { state: "ok", etag, description };
  } catch (error) {
    if (error instanceof SyntaxError) {
      return { state: "invalid", etag, problem: `${file}: invalid JSON` };
    }
    if (error instanceof TypeError) {
      return { state: "invalid", etag, problem: error.message };
    }
    throw error;
  }
}
