/**
 * The one in-process server launcher of the tests: a real Nereid server on a
 * free loopback port, over temporary directories that a test fills with
 * group files. What differs between suites is an option: the static root
 * (the web client, or the end-to-end tests' peer page), HTTPS, TURN,
 * `-relay-only`, media on loopback only, a clock, faults of the media node,
 * or a folder to keep. Its log lines are kept in `logs` (and printed when
 * `NEREID_LOG` is set).
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningServer, startServer } from "../../server/server.ts";
import { LocalMediaNode } from "../../server/media/local/local_media_node.ts";
import type { TestFaults } from "../../server/media/local/test_faults.ts";
import type { MediaNode } from "../../server/media/media_node.ts";
import type { ConnectionTimeouts } from "../../server/http/connection_watch.ts";
import type { SessionTimings } from "../../server/signalling/session_deps.ts";
import {
  connect,
  type ConnectOptions,
  joinedClient,
  type WsClient,
} from "./ws_client.ts";
import { waitFor } from "./wait_for.ts";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The web client, the server's static root by default. */
export const CLIENT_DIR = join(REPO, "client");

/** Options of {@link startTestServer}. */
export interface TestServerOptions {
  /** Group files to write before the server starts, by group name. */
  groups?: Record<string, unknown>;
  /** `data/config.json`, written before the server starts. */
  config?: unknown;
  /** `data/ice-servers.json`, written before the server starts. */
  iceServers?: unknown;
  /** The server's wall clock; `Date.now` by default. */
  now?: () => number;
  /** Session timings; the defaults below keep failed logins quick. */
  timings?: Partial<SessionTimings>;
  /** Test-only faults of the in-process media node (server/media/local/test_faults.ts). */
  testFaults?: TestFaults;
  /** The media node to use instead of an in-process one (closed with the server). */
  media?: MediaNode;
  /** HTTP connection timeouts (Galène's 60 s and 120 s by default). */
  connectionTimeouts?: Partial<ConnectionTimeouts>;
  /** Up streams a client may have open at once. */
  maxUpStreams?: number;
  /** HTTPS with a generated self-signed certificate, instead of HTTP. */
  secure?: boolean;
  /** `-turn` (default "": no built-in TURN server). */
  turn?: string;
  /** `-relay-only`. */
  relayOnly?: boolean;
  /**
   * Offer loopback addresses only for media (default true); false in a
   * test's network namespace, for Firefox, which never uses 127.0.0.1 for
   * media.
   */
  loopbackOnly?: boolean;
  /** The static root (default {@link CLIENT_DIR}). */
  staticDir?: string;
  /**
   * The folder that holds `data/`, `groups/` and `recordings/`, kept when
   * the server closes; by default a fresh temporary one, removed.
   */
  root?: string;
}

/** A server under test and the directories it reads. */
export interface TestServer {
  readonly server: RunningServer;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `ws://127.0.0.1:PORT/ws` */
  readonly wsUrl: string;
  readonly groupsDir: string;
  readonly dataDir: string;
  /** The server's `-recordings` folder. */
  readonly recordingsDir: string;
  /** Every line the server logged, in order. */
  readonly logs: readonly string[];
  /** Writes `groups/NAME.json` (creating subdirectories for `a/b`). */
  writeGroup(name: string, json: unknown): Promise<void>;
  /** Writes raw text as `groups/NAME.json`, for files that do not parse. */
  writeGroupText(name: string, text: string): Promise<void>;
  /** Writes `data/config.json`. */
  writeConfig(json: unknown): Promise<void>;
  /** Writes `data/ice-servers.json`. */
  writeIceServers(json: unknown): Promise<void>;
  /**
   * Resolves once a log line contains `text`, looking only at lines from
   * index `since` on (default: every line so far).
   */
  waitForLog(
    text: string,
    options?: { since?: number; timeoutMs?: number },
  ): Promise<string>;
  /** Resolves once the media node has `count` connections open. */
  settle(count: number): Promise<void>;
  /** Opens a client on `/ws`; {@link TestServer.close} closes it. */
  connect(options?: ConnectOptions): Promise<WsClient>;
  /** Connects, handshakes and joins; fails the test unless the join succeeds. */
  member(group: string, username: string, password?: string): Promise<WsClient>;
  /** Shuts the server down and removes the directories (unless `root` was given); idempotent. */
  close(): Promise<void>;
}

/** Failed logins wait 200 ms in Galène; tests need not. */
const TEST_TIMINGS: Partial<SessionTimings> = { failureDelay: 5 };

/** Starts a server on 127.0.0.1 with a free port over fresh directories. */
export async function startTestServer(
  options: TestServerOptions = {},
): Promise<TestServer> {
  const root = options.root ?? await Deno.makeTempDir({ prefix: "nereid-" });
  const dataDir = join(root, "data");
  const groupsDir = join(root, "groups");
  const recordingsDir = join(root, "recordings");
  for (const d of [dataDir, groupsDir, recordingsDir]) {
    await Deno.mkdir(d, { recursive: true });
  }

  async function writeGroupText(name: string, text: string): Promise<void> {
    const file = join(groupsDir, `${name}.json`);
    await Deno.mkdir(dirname(file), { recursive: true });
    // Write then rename, so the server never reads a half-written file, and
    // bump the mtime so a same-size rewrite within one tick is still seen.
    const tmp = join(dirname(file), `.tmp-${crypto.randomUUID()}`);
    await Deno.writeTextFile(tmp, text);
    const later = new Date(Date.now() + 2000 + Math.random() * 1000);
    await Deno.utime(tmp, later, later);
    await Deno.rename(tmp, file);
  }
  const writeGroup = (name: string, json: unknown) =>
    writeGroupText(name, JSON.stringify(json));
  async function writeData(name: string, json: unknown): Promise<void> {
    const file = join(dataDir, name);
    const tmp = join(dataDir, `.tmp-${crypto.randomUUID()}`);
    await Deno.writeTextFile(tmp, JSON.stringify(json));
    const later = new Date(Date.now() + 2000 + Math.random() * 1000);
    await Deno.utime(tmp, later, later);
    await Deno.rename(tmp, file);
  }

  const writeConfig = (json: unknown) => writeData("config.json", json);
  const writeIceServers = (json: unknown) =>
    writeData("ice-servers.json", json);

  for (const [name, json] of Object.entries(options.groups ?? {})) {
    await writeGroup(name, json);
  }
  if (options.config !== undefined) await writeConfig(options.config);
  if (options.iceServers !== undefined) {
    await writeIceServers(options.iceServers);
  }

  const logs: string[] = [];
  const watchers = new Set<{ text: string; resolve: (line: string) => void }>();
  const echo = Deno.env.get("NEREID_LOG") !== undefined;
  const log = (line: string) => {
    logs.push(line);
    if (echo) console.error(line);
    for (const w of [...watchers]) {
      if (line.includes(w.text)) {
        watchers.delete(w);
        w.resolve(line);
      }
    }
  };

  const loopbackOnly = options.loopbackOnly ?? true;
  const server = await startServer({
    hostname: "127.0.0.1",
    port: 0,
    insecure: !options.secure,
    loopbackOnly,
    dataDir,
    groupsDir,
    recordingsDir,
    staticDir: options.staticDir ?? CLIENT_DIR,
    timings: { ...TEST_TIMINGS, ...options.timings },
    refreshInterval: 100,
    ...(options.connectionTimeouts
      ? { connectionTimeouts: options.connectionTimeouts }
      : {}),
    ...(options.maxUpStreams !== undefined
      ? { maxUpStreams: options.maxUpStreams }
      : {}),
    ...(options.turn !== undefined ? { turn: options.turn } : {}),
    ...(options.relayOnly ? { relayOnly: true } : {}),
    log,
    ...(options.media ? { media: options.media } : {}),
    ...(options.testFaults && !options.media
      ? {
        media: new LocalMediaNode({
          loopbackOnly,
          testFaults: options.testFaults,
          log,
        }),
      }
      : {}),
    ...(options.now ? { now: options.now } : {}),
  });

  const clients = new Set<WsClient>();
  const wsUrl = server.url.replace(/^http/, "ws") + "/ws";
  async function open(options: ConnectOptions = {}): Promise<WsClient> {
    const client = await connect(wsUrl, options);
    clients.add(client);
    return client;
  }
  let closing: Promise<void> | null = null;
  return {
    server,
    url: server.url,
    wsUrl,
    groupsDir,
    dataDir,
    recordingsDir,
    logs,
    writeGroup,
    writeGroupText,
    writeConfig,
    writeIceServers,
    waitForLog(text, options = {}) {
      const timeoutMs = options.timeoutMs ?? 3000;
      const seen = logs.slice(options.since ?? 0).find((l) => l.includes(text));
      if (seen !== undefined) return Promise.resolve(seen);
      const { promise, resolve, reject } = Promise.withResolvers<string>();
      const watcher = { text, resolve };
      watchers.add(watcher);
      const timer = setTimeout(() => {
        watchers.delete(watcher);
        reject(
          new Error(`No log line containing "${text}" in ${timeoutMs} ms`),
        );
      }, timeoutMs);
      return promise.finally(() => clearTimeout(timer));
    },
    async settle(count) {
      await waitFor(
        `${count} media connections`,
        async () => (await server.media.stats()).length === count,
        { timeoutMs: 5000 },
      );
    },
    connect: open,
    async member(group, username, password) {
      const client = await joinedClient(wsUrl, {
        group,
        username,
        ...(password === undefined ? {} : { password }),
      });
      clients.add(client);
      return client;
    },
    close() {
      closing ??= (async () => {
        await Promise.all([...clients].map((c) => c.close()));
        await server.shutdown();
        if (options.root === undefined) {
          await Deno.remove(root, { recursive: true });
        }
      })();
      return closing;
    },
  };
}
