/**
 * Applies a recorder's file writes to disk, in order, one at a time: open a
 * new file (never overwriting one), append, patch the header at close.
 *
 * @module
 */

import { join } from "node:path";
import type { FileWrite } from "../../media-wasm/recording.ts";
import { recordingCandidates } from "./recording_names.ts";

/** Options of {@link RecordingFiles}. */
export interface RecordingFilesOptions {
  /** The group's recordings folder (created when needed). */
  directory: string;
  /** The name of a new file, without extension (called at each begin). */
  baseName(): string;
  log(message: string): void;
}

/** The files of one recorded stream. */
export class RecordingFiles {
  readonly #options: RecordingFilesOptions;
  #chain: Promise<void> = Promise.resolve();
  #file: Deno.FsFile | undefined;
  #path: string | undefined;
  #position = 0;
  #paths: string[] = [];

  constructor(options: RecordingFilesOptions) {
    this.#options = options;
  }

  /** Every file started so far, in order. */
  get paths(): readonly string[] {
    return this.#paths;
  }

  /** Queues writes; they are applied in order, never concurrently. */
  enqueue(writes: Iterable<FileWrite>): void {
    for (const write of writes) {
      this.#chain = this.#chain.then(() => this.#apply(write)).catch((e) => {
        this.#options.log(`recording ${this.#path ?? "?"}: ${e}`);
        this.#drop();
      });
    }
  }

  /** Resolves once every queued write is on disk. */
  flushed(): Promise<void> {
    return this.#chain;
  }

  async #apply(write: FileWrite): Promise<void> {
    switch (write.type) {
      case "begin":
        this.#drop();
        await this.#open(write.extension);
        return;
      case "append":
        if (!this.#file) return;
        await this.#writeAt(this.#position, write.bytes);
        this.#position += write.bytes.length;
        return;
      case "patch":
        if (!this.#file) return;
        await this.#writeAt(write.offset, write.bytes);
        return;
      case "end":
        this.#drop();
        return;
    }
  }

  async #open(extension: string): Promise<void> {
    const dir = this.#options.directory;
    await Deno.mkdir(dir, { recursive: true });
    const base = this.#options.baseName();
    for (const name of recordingCandidates(base, extension)) {
      const path = join(dir, name);
      try {
        this.#file = await Deno.open(path, { write: true, createNew: true });
      } catch (e) {
        if (e instanceof Deno.errors.AlreadyExists) continue;
        throw e;
      }
      this.#path = path;
      this.#position = 0;
      this.#paths.push(path);
      this.#options.log(`recording to ${path}`);
      return;
    }
    throw new Error(
      `Cannot create a recording file "${base}.${extension}": 100 names taken`,
    );
  }

  async #writeAt(offset: number, bytes: Uint8Array): Promise<void> {
    const file = this.#file!;
    await file.seek(offset, Deno.SeekMode.Start);
    let done = 0;
    while (done < bytes.length) done += await file.write(bytes.subarray(done));
  }

  #drop(): void {
    this.#file?.close();
    this.#file = undefined;
  }
}
