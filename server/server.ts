/**
 * Starting and stopping a whole Nereid server: configuration stores, groups,
 * the media node, the HTTP application and its listener (which closes
 * connections at their header, idle and close timeouts).
 *
 * @module
 */

import { join } from "node:path";
import { TokenStore } from "./auth/token_store.ts";
import { Tokens } from "./auth/token_verifier.ts";
import { ConfigStore, DescriptionStore } from "./config/description_store.ts";
import type { ServerConfig } from "./config/server_config.ts";
import type { Group } from "./group/group.ts";
import { GroupRegistry } from "./group/group_registry.ts";
import { createApp } from "./http/app.ts";
import {
  type ConnectionTimeouts,
  DEFAULT_CONNECTION_TIMEOUTS,
} from "./http/connection_watch.ts";
import { serveRelayed } from "./http/relay_listener.ts";
import { loadOrCreateCertificate } from "./http/tls.ts";
import { CredentialRenewal } from "./ice/credential_renewal.ts";
import { IceServers } from "./ice/ice_servers.ts";
import type { IceConfiguration, MediaNode } from "./media/media_node.ts";
import { startBuiltInTurn, type TurnService } from "./turn/turn_service.ts";
import { GroupRecorders } from "./recording/group_recorder.ts";
import type { RecordingStore } from "./http/recording_store.ts";
import type { ClientSession } from "./signalling/client_session.ts";
import { CloseCode } from "./signalling/client_session.ts";
import {
  DEFAULT_MAX_UP_STREAMS,
  DEFAULT_TIMINGS,
  type SessionDeps,
  type SessionTimings,
  type TokenVerifier,
} from "./signalling/session_deps.ts";

/** Options of {@link startServer}. */
export interface ServerOptions {
  hostname: string;
  port: number;
  dataDir: string;
  groupsDir: string;
  recordingsDir: string;
  staticDir: string;
  insecure: boolean;
  relayOnly?: boolean;
  udpPortRange?: [number, number];
  /** `-turn`: "" (the default here) off, "auto", or [IP]:PORT. */
  turn?: string;
  /** TURN over TLS on this port, with the HTTPS certificate. */
  turnTlsPort?: number;
  /** Use only the loopback interface for media (tests). */
  loopbackOnly?: boolean;
  timings?: Partial<SessionTimings>;
  /** HTTP connection timeouts; Galène's by default. */
  connectionTimeouts?: Partial<ConnectionTimeouts>;
  /** Up streams (published or being offered) a client may have at once. */
  maxUpStreams?: number;
  /** How often group files are re-checked (ms); default 5 s. */
  refreshInterval?: number;
  tokens?: TokenVerifier;
  media?: MediaNode;
  /**
   * A cluster edge's sharing of group state with the other edges
   * (server/cluster/group_replication.ts); absent in a single process.
   */
  shareGroup?: (group: Group) => void;
  /**
   * Where `/recordings/` finds files: a cluster edge's adds every media
   * node's (server/cluster/cluster_recordings.ts); `recordingsDir` else.
   */
  recordingStore?: RecordingStore;
  log?: (message: string) => void;
  /** The wall clock, ms since the epoch (tests); `Date.now` by default. */
  now?: () => number;
}

/** A running server. */
export interface RunningServer {
  readonly port: number;
  /** `http(s)://host:port` */
  readonly url: string;
  readonly media: MediaNode;
  readonly sessions: ReadonlySet<ClientSession>;
  readonly groups: GroupRegistry;
  readonly recorders: GroupRecorders;
  /** The built-in TURN server, when on. */
  readonly turn: TurnService | null;
  /** Tells every client, stops listening and releases everything. */
  shutdown(reason?: string): Promise<void>;
}

/**
 * The in-process media node, imported only here: a server given another
 * node (an edge's) never loads werift, media-wasm or the FFI fast path.
 */
async function localMediaNode(
  options: ServerOptions,
  log: (message: string) => void,
): Promise<MediaNode> {
  const [{ LocalMediaNode }, { RecordingWasm }] = await Promise.all([
    import("./media/local/local_media_node.ts"),
    import("../media-wasm/recording.ts"),
  ]);
  return new LocalMediaNode({
    recordings: {
      dir: options.recordingsDir,
      wasm: () => RecordingWasm.load(),
    },
    ...(options.udpPortRange ? { udpPortRange: options.udpPortRange } : {}),
    ...(options.loopbackOnly ? { loopbackOnly: true } : {}),
    log,
  });
}

/** Starts a server; resolves once it listens. */
export async function startServer(
  options: ServerOptions,
): Promise<RunningServer> {
  const log = options.log ?? ((m: string) => console.log(m));
  const now = options.now ?? (() => Date.now());
  const configStore = new ConfigStore({ dataDir: options.dataDir, log });
  const config = (): Promise<ServerConfig> => configStore.get();
  const store = new DescriptionStore({ groupsDir: options.groupsDir, log });
  let writable = (await config()).writableGroups;
  const groups = new GroupRegistry({
    store,
    log,
    canChangePassword: () => writable,
    ...(options.shareGroup ? { onCreate: options.shareGroup } : {}),
  });

  // Clients (at each join) and the media node (for each peer connection)
  // ask for the list as it is then: fresh credentials, the file's edits.
  const ice = new IceServers({
    file: join(options.dataDir, "ice-servers.json"),
    log,
    now,
  });
  await ice.refresh();
  let turn: TurnService | null = null;
  const relayOnly = options.relayOnly ?? false;
  const policy = relayOnly ? { iceTransportPolicy: "relay" as const } : {};
  // The server's own connections use the external servers; with
  // -relay-only, the built-in TURN server first (werift uses the first TURN
  // server it is given), so that they relay through it as clients do.
  const iceConfiguration = (): IceConfiguration => ({
    iceServers: relayOnly && turn
      ? [turn.ownIceServer(now()), ...ice.current()]
      : ice.current(),
    ...policy,
  });
  const media = options.media ?? await localMediaNode(options, log);

  const recorders = new GroupRecorders({
    media,
    log,
    now,
  });
  const tokenStore = new TokenStore({ dataDir: options.dataDir, log });
  const tokens = options.tokens ?? new Tokens({
    store: tokenStore,
    description: async (name) => {
      const found = await store.get(name);
      return found.ok ? found.description : undefined;
    },
    config,
  });
  const sessions = new Set<ClientSession>();
  const sessionDeps: SessionDeps = {
    groups,
    config,
    tokens,
    tokenStore,
    media,
    recorders,
    iceConfiguration,
    // Clients also get the built-in TURN server, after any external ones
    // (as Galène lists them).
    rtcConfiguration: () => ({
      iceServers: turn
        ? [...ice.current(), turn.iceServer(now())]
        : ice.current(),
      ...policy,
    }),
    log,
    now,
    timings: { ...DEFAULT_TIMINGS, ...options.timings },
    maxUpStreams: options.maxUpStreams ?? DEFAULT_MAX_UP_STREAMS,
  };
  const app = createApp({
    groups,
    config,
    staticRoot: options.staticDir,
    recordingsDir: options.recordingsDir,
    ...(options.recordingStore
      ? { recordingStore: options.recordingStore }
      : {}),
    secure: !options.insecure,
    sessionDeps,
    sessions,
    admin: {
      config,
      store,
      tokenStore,
      tokens,
      groups,
      media,
      log,
      now,
    },
    now,
  });

  const tls = options.insecure
    ? undefined
    : await loadOrCreateCertificate(options.dataDir, { log });
  turn = await startBuiltInTurn({
    flag: options.turn ?? "",
    externalServers: ice.count > 0,
    dataDir: options.dataDir,
    ...(options.udpPortRange ? { udpPortRange: options.udpPortRange } : {}),
    ...(tls && options.turnTlsPort !== undefined
      ? { tls: { port: options.turnTlsPort, cert: tls.cert, key: tls.key } }
      : {}),
    log,
  });
  const server = await serveRelayed({
    hostname: options.hostname,
    port: options.port,
    ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
    timeouts: { ...DEFAULT_CONNECTION_TIMEOUTS, ...options.connectionTimeouts },
    handler: (request, env) => app.fetch(request, env),
    onError: (e) => {
      log(`http: ${e}`);
      return new Response("Internal server error", { status: 500 });
    },
    log,
  });
  const addr = server.addr;

  // Expired invitations go after a week, checked every quarter of an hour.
  const purge = setInterval(() => {
    tokenStore.purge(now()).catch((e) => log(`tokens: ${e}`));
  }, 15 * 60 * 1000);
  const renewal = new CredentialRenewal({
    now: now(),
    expiring: () => turn !== null || ice.expiring,
    renew: () => {
      let n = 0;
      for (const s of sessions) {
        if (s.group === null) continue;
        s.groupChanged();
        n++;
      }
      return n;
    },
    log,
  });
  const refresh = setInterval(async () => {
    try {
      renewal.check(now());
      writable = (await config()).writableGroups;
      await ice.refresh();
      await groups.refresh(now());
    } catch (e) {
      log(`refresh: ${e}`);
    }
  }, options.refreshInterval ?? 5000);

  const host = addr.hostname === "0.0.0.0" ? "localhost" : addr.hostname;
  const url = `${tls ? "https" : "http"}://${host}:${addr.port}`;
  let stopped: Promise<void> | null = null;
  return {
    port: addr.port,
    url,
    media,
    sessions,
    groups,
    recorders,
    turn,
    shutdown(reason = "server is shutting down") {
      stopped ??= (async () => {
        clearInterval(refresh);
        clearInterval(purge);
        for (const g of groups.all()) g.setLockQuietly(reason);
        for (const s of [...sessions]) s.kick({}, reason);
        // Give the close handshakes a moment, so that clients see the kick's
        // code rather than the listener going away.
        for (let i = 0; i < 20 && sessions.size > 0; i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
        for (const s of [...sessions]) s.close(CloseCode.goingAway, reason);
        await server.shutdown();
        await recorders.stopAll();
        await media.close();
        await turn?.close();
      })();
      return stopped;
    },
  };
}
