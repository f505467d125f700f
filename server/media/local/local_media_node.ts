/**
 * The in-process media node: werift transports, the media-wasm hot path and
 * the recorders in this process, behind the asynchronous media-node
 * contract (server/media/media_node.ts). Each open operation's ICE
 * configuration is that connection's; everything thrown inside comes back as
 * a {@link MediaError}.
 *
 * @example
 * ```ts
 * const node = new LocalMediaNode({ log: console.log });
 * // werift's SRTP and UDP paths are replaced process-wide while a node is open
 * // (server/media/fast); `fastPath: false` keeps werift's own.
 * const up = await node.openUp({ id: "s1", codecs: ["vp8", "opus"], ice, ...callbacks });
 * const answer = await up.offer(clientOffer);
 * ```
 *
 * @module
 */

import { join } from "node:path";
import {
  type ConnectionStats,
  type DownConnection,
  type DownOptions,
  MediaError,
  type MediaNode,
  type MediaRecording,
  type RecordOptions,
  type UpConnection,
  type UpOptions,
} from "../media_node.ts";
import type { MediaTap, TapOptions } from "../media_tap.ts";
import { LocalDownConnection } from "./local_down_connection.ts";
import { LocalUpConnection, TICK_MS } from "./local_up_connection.ts";
import { Ticker } from "./ticker.ts";
import { LocalTap } from "./local_tap.ts";
import type { PacketPipelines } from "./packet_pipeline.ts";
import type { TransportSettings } from "./peer_config.ts";
import type { TestFaults } from "./test_faults.ts";
import { createWasmPipelines } from "./wasm_pipeline.ts";
import {
  assertWerift,
  installDtlsRetransmission,
  installNoDefaultStunServer,
} from "../werift_patches.ts";
import { MediaWasm } from "../../../media-wasm/mod.ts";
import type { RecordingWasm } from "../../../media-wasm/recording.ts";
import { StreamRecorder } from "../../recording/stream_recorder.ts";
import {
  acquireFastPath,
  type FastPathLease,
  type FastPathOptions,
} from "../fast/werift_seam.ts";

/** Where and how a node records. */
export interface NodeRecordingOptions {
  /** The root folder: a group's files go to `<dir>/<group>`. */
  dir: string;
  /** Loads the recording module once, when first needed. */
  wasm(): Promise<RecordingWasm>;
  /** Wall clock for file names (tests pin it). */
  clock?: () => Date;
}

/** Options of {@link LocalMediaNode}. */
export interface LocalMediaNodeOptions {
  udpPortRange?: [number, number];
  log: (message: string) => void;
  /** Gather IPv4 loopback candidates only (tests). */
  loopbackOnly?: boolean;
  /** Recording; absent, `record` is refused. */
  recordings?: NodeRecordingOptions;
  /** The per-packet implementation; media-wasm's by default. */
  pipelines?: PacketPipelines;
  /**
   * The SRTP/UDP fast path for this process (default `{}`: OpenSSL and
   * sendmmsg where they load, node:crypto and node:dgram where not);
   * `false` leaves werift's own paths, its socket binding included (which,
   * under `udpPortRange` with IPv6, can lose a race and end the process:
   * for comparisons only).
   */
  fastPath?: FastPathOptions | false;
  /** Test only: the faults to inject (server/media/local/test_faults.ts). */
  testFaults?: TestFaults;
}

// Rethrows anything a connection throws as the contract's error.
function fail(e: unknown): never {
  throw MediaError.from(e);
}

/** A {@link MediaNode} running werift peer connections in this process. */
export class LocalMediaNode implements MediaNode {
  readonly #transport: Omit<TransportSettings, "ice">;
  readonly #log: (message: string) => void;
  readonly #pipelines: PacketPipelines;
  readonly #testFaults: TestFaults;
  readonly #recording: NodeRecordingOptions | undefined;
  readonly #fastPath: FastPathLease | undefined;
  readonly #ups = new Map<string, LocalUpConnection>();
  readonly #downs = new Set<LocalDownConnection>();
  readonly #recorders = new Set<StreamRecorder>();
  readonly #teardowns = new Set<Promise<void>>();
  // One timer for every up connection's tick, none while there is none.
  readonly #ticker = new Ticker(TICK_MS);
  #recordingWasm: Promise<RecordingWasm> | undefined;
  #closed = false;

  constructor(options: LocalMediaNodeOptions) {
    const transport: Omit<TransportSettings, "ice"> = {};
    if (options.udpPortRange) transport.udpPortRange = options.udpPortRange;
    if (options.loopbackOnly) transport.loopbackOnly = true;
    this.#transport = transport;
    this.#log = options.log;
    this.#recording = options.recordings;
    this.#pipelines = options.pipelines ??
      createWasmPipelines(MediaWasm.loadSync());
    this.#testFaults = { ...options.testFaults };
    // Refuses to start on a werift other than the one patched for.
    assertWerift();
    installDtlsRetransmission();
    installNoDefaultStunServer();
    if (options.fastPath !== false) {
      this.#fastPath = acquireFastPath(options.fastPath ?? {});
      this.#log(
        `media node: fast path with ${this.#fastPath.crypto} crypto and ${this.#fastPath.udp} UDP`,
      );
    }
  }

  /** What the fast path runs on, or undefined without it. */
  get fastPath(): { crypto: string; udp: string } | undefined {
    const f = this.#fastPath;
    return f && { crypto: f.crypto, udp: f.udp };
  }

  /** Opens a publisher's connection. */
  openUp(options: UpOptions): Promise<UpConnection> {
    if (this.#closed) {
      return Promise.reject(
        new MediaError(
          "closed",
          `Cannot open up connection "${options.id}": media node is closed`,
        ),
      );
    }
    if (this.#ups.has(options.id)) {
      return Promise.reject(
        new MediaError(
          "in-use",
          `Cannot open up connection "${options.id}": the id is in use`,
        ),
      );
    }
    let up: LocalUpConnection;
    try {
      up = new LocalUpConnection(options, {
        settings: { ...this.#transport, ice: options.ice },
        pipelines: this.#pipelines,
        testFaults: this.#testFaults,
        ticker: this.#ticker,
        log: this.#log,
        onClosed: (closed, teardown) => {
          if (this.#ups.get(closed.id) === closed) this.#ups.delete(closed.id);
          this.#track(teardown);
        },
      });
    } catch (e) {
      return Promise.reject(MediaError.from(e));
    }
    this.#ups.set(options.id, up);
    return Promise.resolve({
      id: up.id,
      offer: (sdp) => up.offer(sdp).catch(fail),
      addIceCandidate: (c) => up.addIceCandidate(c).catch(fail),
      close: () => up.close(),
    });
  }

  /** Opens a subscriber's connection to an up connection. */
  openDown(options: DownOptions): Promise<DownConnection> {
    const refuse = (reason: "closed" | "not-found", why: string) =>
      Promise.reject(
        new MediaError(
          reason,
          `Cannot open down connection "${options.id}" for "${options.subscriber}": ${why}`,
        ),
      );
    if (this.#closed) return refuse("closed", "media node is closed");
    const up = this.#ups.get(options.upId);
    if (!up) {
      return refuse("not-found", `no up connection "${options.upId}"`);
    }
    let down: LocalDownConnection;
    try {
      down = new LocalDownConnection(options, {
        up,
        settings: { ...this.#transport, ice: options.ice },
        pipelines: this.#pipelines,
        testFaults: this.#testFaults,
        log: this.#log,
        onClosed: (closed, teardown) => {
          this.#downs.delete(closed);
          this.#track(teardown);
        },
      });
    } catch (e) {
      return Promise.reject(MediaError.from(e));
    }
    this.#downs.add(down);
    return Promise.resolve({
      get id() {
        return down.id;
      },
      negotiate: (o) => down.negotiate(o).catch(fail),
      answer: (sdp) => down.answer(sdp).catch(fail),
      addIceCandidate: (c) => down.addIceCandidate(c).catch(fail),
      setRequest: (request) => {
        try {
          return Promise.resolve(down.setRequest(request));
        } catch (e) {
          return Promise.reject(MediaError.from(e));
        }
      },
      retarget: (upId) => {
        const target = this.#ups.get(upId);
        if (target === undefined) {
          return Promise.reject(
            new MediaError(
              "not-found",
              `Cannot move down connection "${options.id}": no up connection "${upId}"`,
            ),
          );
        }
        try {
          down.retarget(target);
          return Promise.resolve();
        } catch (e) {
          return Promise.reject(MediaError.from(e));
        }
      },
      close: () => down.close(),
    });
  }

  /**
   * Opens a tap (a recorder's per-packet view) on an up connection: in this
   * process only, not part of the contract.
   * @throws {MediaError} `"not-found"` when the up connection does not exist
   */
  openTap(options: TapOptions): MediaTap {
    const up = this.#ups.get(options.upId);
    if (!up) {
      throw new MediaError(
        "not-found",
        `Cannot open tap: no up connection "${options.upId}"`,
      );
    }
    const tap = new LocalTap(options, {
      host: up,
      testFaults: this.#testFaults,
      log: this.#log,
    });
    up.attachTap(tap);
    return tap;
  }

  /** Records an up connection into the node's recordings folder. */
  async record(options: RecordOptions): Promise<MediaRecording> {
    const settings = this.#recording;
    if (this.#closed || settings === undefined) {
      throw new MediaError(
        this.#closed ? "closed" : "refused",
        this.#closed
          ? "media node is closed"
          : "this media node does not record",
      );
    }
    this.#recordingWasm ??= settings.wasm();
    const wasm = await this.#recordingWasm.catch(fail);
    const up = this.#ups.get(options.upId);
    if (up === undefined || this.#closed) {
      throw new MediaError(
        "not-found",
        `Cannot record: no up connection "${options.upId}"`,
      );
    }
    let rec: StreamRecorder;
    try {
      rec = StreamRecorder.start({
        wasm,
        openTap: (tap) => this.openTap(tap),
        upId: options.upId,
        tracks: up.tracks(),
        directory: join(settings.dir, options.group),
        ...(options.username !== undefined
          ? { username: options.username }
          : {}),
        log: this.#log,
        ...(settings.clock ? { clock: settings.clock } : {}),
        onEnded: () => {
          this.#recorders.delete(rec);
          options.onEnded();
        },
      });
    } catch (e) {
      throw e instanceof RangeError
        ? new MediaError("refused", e.message)
        : MediaError.from(e);
    }
    this.#recorders.add(rec);
    return {
      skipped: rec.choice.skipped,
      close: () => {
        this.#recorders.delete(rec);
        return rec.close();
      },
    };
  }

  stats(): Promise<ConnectionStats[]> {
    const now = performance.now();
    const result: ConnectionStats[] = [];
    for (const up of this.#ups.values()) result.push(up.stats(now));
    for (const down of this.#downs) result.push(down.stats(now));
    return Promise.resolve(result);
  }

  /**
   * Closes every connection, ends every recording, and waits until werift
   * has released the sockets.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const recordings = [...this.#recorders].map((r) => r.close());
    this.#recorders.clear();
    for (const up of [...this.#ups.values()]) up.close();
    for (const down of [...this.#downs]) down.close();
    await Promise.all(recordings);
    while (this.#teardowns.size > 0) await Promise.all([...this.#teardowns]);
    this.#fastPath?.release();
  }

  #track(teardown: Promise<void>): void {
    this.#teardowns.add(teardown);
    teardown.finally(() => this.#teardowns.delete(teardown));
  }
}
