/**
 * The in-process media node: werift transports in this process.
 *
 * @example
 * ```ts
 * const node = new LocalMediaNode({ ice: { iceServers: [] }, log: console.log });
 * // werift's SRTP and UDP paths are replaced process-wide while a node is open
 * // (server/media/fast); `fastPath: false` keeps werift's own.
 * const up = node.openUp({ id: "s1", codecs: ["vp8", "opus"], ...callbacks });
 * const answer = await up.offer(clientOffer);
 * ```
 *
 * @module
 */

import type {
  ConnectionStats,
  DownConnection,
  DownOptions,
  IceConfiguration,
  MediaNode,
  MediaTap,
  TapOptions,
  UpConnection,
  UpOptions,
} from "../media_node.ts";
import { LocalDownConnection } from "./local_down_connection.ts";
import { LocalUpConnection } from "./local_up_connection.ts";
import { LocalTap } from "./local_tap.ts";
import type { PacketPipelines } from "./packet_pipeline.ts";
import type { TransportSettings } from "./peer_config.ts";
import type { Faults } from "./down_track.ts";
import { createWasmPipelines } from "./wasm_pipeline.ts";
import { installDtlsRetransmission } from "./dtls_retransmission.ts";
import { installNoDefaultStunServer } from "./werift_internals.ts";
import { MediaWasm } from "../../../media-wasm/mod.ts";
import {
  acquireFastPath,
  type FastPathLease,
  type FastPathOptions,
} from "../fast/werift_seam.ts";

/** Options of {@link LocalMediaNode}. */
export interface LocalMediaNodeOptions {
  /**
   * ICE servers and policy; a function is asked again for each new peer
   * connection, so that time-limited TURN credentials are fresh and edits
   * to the servers' list are seen.
   */
  ice: IceConfiguration | (() => IceConfiguration);
  udpPortRange?: [number, number];
  log: (message: string) => void;
  /** Gather IPv4 loopback candidates only (tests). */
  loopbackOnly?: boolean;
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
  /** Test only: faults to inject into forwarding. */
  faults?: Faults;
}

/** A {@link MediaNode} running werift peer connections in this process. */
export class LocalMediaNode implements MediaNode {
  readonly #settings: TransportSettings;
  readonly #log: (message: string) => void;
  readonly #pipelines: PacketPipelines;
  readonly #faults: Faults;
  readonly #fastPath: FastPathLease | undefined;
  readonly #ups = new Map<string, LocalUpConnection>();
  readonly #downs = new Set<LocalDownConnection>();
  readonly #teardowns = new Set<Promise<void>>();
  #closed = false;

  constructor(options: LocalMediaNodeOptions) {
    const ice = options.ice;
    const settings: TransportSettings = {
      ice: typeof ice === "function" ? ice : () => ice,
    };
    if (options.udpPortRange) settings.udpPortRange = options.udpPortRange;
    if (options.loopbackOnly) settings.loopbackOnly = true;
    this.#settings = settings;
    this.#log = options.log;
    this.#pipelines = options.pipelines ??
      createWasmPipelines(MediaWasm.loadSync());
    this.#faults = { ...options.faults };
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

  /**
   * Opens a publisher's connection.
   * @throws {Error} when the node is closed or the id is in use
   */
  openUp(options: UpOptions): UpConnection {
    if (this.#closed) {
      throw new Error(
        `Cannot open up connection "${options.id}": media node is closed`,
      );
    }
    if (this.#ups.has(options.id)) {
      throw new Error(
        `Cannot open up connection "${options.id}": the id is in use`,
      );
    }
    const up = new LocalUpConnection(options, {
      settings: this.#settings,
      pipelines: this.#pipelines,
      faults: this.#faults,
      log: this.#log,
      onClosed: (closed, teardown) => {
        if (this.#ups.get(closed.id) === closed) this.#ups.delete(closed.id);
        this.#track(teardown);
      },
    });
    this.#ups.set(options.id, up);
    return up;
  }

  /**
   * Opens a subscriber's connection to an up connection.
   * @throws {RangeError} when the up connection does not exist
   * @throws {Error} when the node is closed
   */
  openDown(options: DownOptions): DownConnection {
    if (this.#closed) {
      throw new Error(
        `Cannot open down connection "${options.id}": media node is closed`,
      );
    }
    const up = this.#ups.get(options.upId);
    if (!up) {
      throw new RangeError(
        `Cannot open down connection "${options.id}" for "${options.subscriber}": no up connection "${options.upId}"`,
      );
    }
    const down = new LocalDownConnection(options, {
      up,
      settings: this.#settings,
      pipelines: this.#pipelines,
      faults: this.#faults,
      log: this.#log,
      onClosed: (closed, teardown) => {
        this.#downs.delete(closed);
        this.#track(teardown);
      },
    });
    this.#downs.add(down);
    return down;
  }

  /**
   * Opens a tap (the recorder's view) on an up connection.
   * @throws {RangeError} when the up connection does not exist
   */
  openTap(options: TapOptions): MediaTap {
    const up = this.#ups.get(options.upId);
    if (!up) {
      throw new RangeError(
        `Cannot open tap: no up connection "${options.upId}"`,
      );
    }
    const tap = new LocalTap(options, {
      host: up,
      faults: this.#faults,
      log: this.#log,
    });
    up.attachTap(tap);
    return tap;
  }

  stats(): Promise<ConnectionStats[]> {
    const now = performance.now();
    const result: ConnectionStats[] = [];
    for (const up of this.#ups.values()) result.push(up.stats(now));
    for (const down of this.#downs) result.push(down.stats(now));
    return Promise.resolve(result);
  }

  connectionCount(): number {
    return this.#ups.size + this.#downs.size;
  }

  /** Closes every connection and waits until werift has released their sockets. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const up of [...this.#ups.values()]) up.close();
    for (const down of [...this.#downs]) down.close();
    while (this.#teardowns.size > 0) await Promise.all([...this.#teardowns]);
    this.#fastPath?.release();
  }

  #track(teardown: Promise<void>): void {
    this.#teardowns.add(teardown);
    teardown.finally(() => this.#teardowns.delete(teardown));
  }
}
