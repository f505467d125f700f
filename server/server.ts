/**
 * Starting and stopping a whole Nereid server: configuration stores, groups,
 * the media node, the HTTP application and its listener (which closes
 * connections at their header, idle and close timeouts).
 *
 * @module
 */

import { join } from "node:path";
import type { Hono } from "hono";
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
  const { iceConfiguration, rtcConfiguration } = iceConfigurations({
    ice,
    turn: () => turn,
    relayOnly: options.relayOnly ?? false,
    now,
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
    rtcConfiguration,
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

  const listening = await listen(options, {
    app,
    externalIceServers: ice.count > 0,
    log,
  });
  const { server, tls } = listening;
  turn = listening.turn;
  const addr = server.addr;

  const stopHousekeeping = startHousekeeping({
    tokenStore,
    ice,
    groups,
    sessions,
    turnOn: () => turn !== null,
    writable: async () => writable = (await config()).writableGroups,
    refreshInterval: options.refreshInterval ?? 5000,
    log,
    now,
  });

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
        stopHousekeeping();
        await closeSessions({ groups, sessions, reason });
        await server.shutdown();
        await recorders.stopAll();
        await media.close();
        await turn?.close();
      })();
      return stopped;
    },
  };
}

/**
 * The ICE configuration of the server's own connections, and the one
 * clients are given.
 */
function iceConfigurations(options: {
  ice: IceServers;
  turn: () => TurnService | null;
  relayOnly: boolean;
  now: () => number;
}): {
  iceConfiguration: () => IceConfiguration;
  rtcConfiguration: SessionDeps["rtcConfiguration"];
} {
  const { ice, turn, now } = options;
  const policy = options.relayOnly
    ? { iceTransportPolicy: "relay" as const }
    : {};
  return {
    // The server's own connections use the external servers; with
    // -relay-only, the built-in TURN server first (werift uses the first
    // TURN server it is given), so that they relay through it as clients do.
    iceConfiguration: () => {
      const own = options.relayOnly ? turn() : null;
      return {
        iceServers: own
          ? [own.ownIceServer(now()), ...ice.current()]
          : ice.current(),
        ...policy,
      };
    },
    // Clients also get the built-in TURN server, after any external ones
    // (as Galène lists them).
    rtcConfiguration: () => {
      const t = turn();
      return {
        iceServers: t ? [...ice.current(), t.iceServer(now())] : ice.current(),
        ...policy,
      };
    },
  };
}

/**
 * Starts the periodic work: expired invitations purged, TURN credentials
 * renewed, and the configuration, ICE servers and group files re-read.
 * Returns the function that stops it.
 */
function startHousekeeping(options: {
  tokenStore: TokenStore;
  ice: IceServers;
  groups: GroupRegistry;
  sessions: ReadonlySet<ClientSession>;
  /** Whether the built-in TURN server runs (its credentials expire). */
  turnOn: () => boolean;
  /** Re-reads `writableGroups`. */
  writable: () => Promise<unknown>;
  refreshInterval: number;
  log: (message: string) => void;
  now: () => number;
}): () => void {
  const { tokenStore, ice, groups, sessions, log, now } = options;
  // Expired invitations go after a week, checked every quarter of an hour.
  const purge = setInterval(() => {
    tokenStore.purge(now()).catch((e) => log(`tokens: ${e}`));
  }, 15 * 60 * 1000);
  const renewal = new CredentialRenewal({
    now: now(),
    expiring: () => options.turnOn() || ice.expiring,
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
      await options.writable();
      await ice.refresh();
      await groups.refresh(now());
    } catch (e) {
      log(`refresh: ${e}`);
    }
  }, options.refreshInterval);
  return () => {
    clearInterval(refresh);
    clearInterval(purge);
  };
}

/**
 * Locks every group and kicks every client with `reason`, then closes the
 * sockets of those that have not gone.
 */
async function closeSessions(options: {
  groups: GroupRegistry;
  sessions: Set<ClientSession>;
  reason: string;
}): Promise<void> {
  const { groups, sessions, reason } = options;
  for (const g of groups.all()) g.setLockQuietly(reason);
  for (const s of [...sessions]) s.kick({}, reason);
  // Give the close handshakes a moment, so that clients see the kick's
  // code rather than the listener going away.
  for (let i = 0; i < 20 && sessions.size > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const s of [...sessions]) s.close(CloseCode.goingAway, reason);
}

/**
 * Loads the certificate (unless `-insecure`), starts the built-in TURN
 * server (per `-turn`) and listens.
 */
async function listen(
  options: ServerOptions,
  context: {
    app: Hono;
    externalIceServers: boolean;
    log: (message: string) => void;
  },
): Promise<{
  server: Awaited<ReturnType<typeof serveRelayed>>;
  tls: { cert: string; key: string } | undefined;
  turn: TurnService | null;
}> {
  const { log } = context;
  const tls = options.insecure
    ? undefined
    : await loadOrCreateCertificate(options.dataDir, { log });
  const turn = await startBuiltInTurn({
    flag: options.turn ?? "",
    externalServers: context.externalIceServers,
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
    handler: (request, env) => context.app.fetch(request, env),
    onError: (e) => {
      log(`http: ${e}`);
      return new Response("Internal server error", { status: 500 });
    },
    log,
  });
  return { server, tls, turn };
}
