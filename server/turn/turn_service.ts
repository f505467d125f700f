/**
 * Nereid's built-in TURN server as the rest of the server sees it: started
 * from `-turn` (see `turn_plan.ts`), relaying only to the machine's own
 * addresses (where Nereid's media sockets are), and handing each join fresh
 * time-limited credentials in its ICE server list.
 *
 * Credentials last 24 hours, as Galène's `hmac-sha1` ones; each join gets a
 * new pair with a name of its own (so that the per-user allocation bound is
 * per join). An allocation made before they expire keeps being refreshed
 * with them, so a call outlasts them; joined clients get new ones every 12
 * hours (`../ice/credential_renewal.ts`).
 *
 * With `-relay-only` the server's own peer connections relay through it too
 * ({@link TurnService.ownIceServer}): they reach it on the address it
 * listens on (loopback when it listens on every address), not through the
 * advertised one, which may be a NAT's; their names, which only the server
 * issues, are exempt from the per-user and per-address bounds (all come from
 * the server's own address) but count in the total.
 *
 * IPv6: when the machine has a global or unique-local IPv6 address, the
 * server also listens on IPv6 and grants IPv6 relayed addresses (the first
 * such address) to clients that ask (REQUESTED- or ADDITIONAL-ADDRESS-FAMILY);
 * a loopback server does so on ::1. Without one, IPv6 relays get 440.
 *
 * Behind a NAT (`-turn IP:PORT` with an IP the machine does not have), a
 * relay's peer on the advertised address is reached on the local address
 * instead, so that relayed clients reach the server's media and each other's
 * relays without the NAT hairpinning.
 *
 * @module
 */

import { randomUUID } from "node:crypto";
import type { IceServer } from "../ice/ice_servers.ts";
import { bytesToIp, ipToBytes, isLoopback } from "./ip_address.ts";
import { relaySockets } from "./relay_socket.ts";
import { issueCredentials, loadTurnSecret } from "./turn_credentials.ts";
import { TurnListeners } from "./turn_listeners.ts";
import { planTurn, type TurnPlan } from "./turn_plan.ts";
import { type TurnLimits, TurnServer } from "./turn_server.ts";

/** How long handed-out credentials are valid. */
export const CREDENTIAL_SECONDS = 24 * 3600;

/** The name in the server's own credentials: `EXPIRY:nereid-server.ID`. */
const OWN_NAME = /^\d+:nereid-server\./;

/** Options of {@link TurnService.start}. */
export interface TurnServiceOptions {
  plan: Extract<TurnPlan, { on: true }>;
  dataDir: string;
  /** The machine's IPv4 addresses: the only IPv4 peers relayed to. */
  addresses: readonly string[];
  /**
   * The machine's global and unique-local IPv6 addresses: the only IPv6
   * peers relayed to; the first is the relayed IPv6 address. None: no IPv6.
   */
  addresses6?: readonly string[];
  /** `-udp-range`: relays bind there, and peers' ports must be there. */
  udpPortRange?: [number, number];
  /** TURN over TLS on this port with the server's certificate. */
  tls?: { port: number; cert: string; key: string };
  limits?: Partial<TurnLimits>;
  log: (message: string) => void;
}

/** A running built-in TURN server. */
export class TurnService {
  readonly #server: TurnServer;
  readonly #listeners: TurnListeners;
  readonly #secret: string;
  readonly #advertise: string;
  readonly #local: string;
  #sweep: ReturnType<typeof setInterval> | undefined;

  private constructor(
    server: TurnServer,
    parts: {
      listeners: TurnListeners;
      secret: string;
      advertise: string;
      local: string;
    },
  ) {
    this.#server = server;
    this.#listeners = parts.listeners;
    this.#secret = parts.secret;
    this.#advertise = parts.advertise;
    this.#local = parts.local;
  }

  /**
   * Loads or makes the secret and listens.
   * @throws Error when the ports cannot be bound or the secret file is unreadable
   */
  static async start(options: TurnServiceOptions): Promise<TurnService> {
    const { plan, log } = options;
    const { secret, source } = await loadTurnSecret(options.dataDir);
    const range = options.udpPortRange;
    const ownPorts: number[] = [];
    const loopback = isLoopback(plan.hostname);
    const local = plan.hostname === "0.0.0.0" ? "127.0.0.1" : plan.hostname;
    // A loopback server relays on ::1; any other on the machine's first.
    const addresses6 = loopback ? ["::1"] : options.addresses6 ?? [];
    const behindNat = !options.addresses.includes(plan.advertise);
    const open = async (relay6: string | undefined) => {
      const server = new TurnServer({
        secret,
        relayAddress: plan.advertise,
        ...(relay6 !== undefined ? { relayAddress6: relay6 } : {}),
        ...(behindNat ? { alias: { advertised: plan.advertise, local } } : {}),
        openRelay: relaySockets({
          address: loopback ? plan.hostname : "0.0.0.0",
          ...(relay6 !== undefined
            ? { address6: loopback ? "::1" : "::" }
            : {}),
          ...(range ? { range } : {}),
        }),
        allowPeer: mediaPeers({
          addresses: [...options.addresses, plan.advertise, ...addresses6],
          ...(range ? { range } : {}),
          ownPorts,
        }),
        unbounded: (username) => OWN_NAME.test(username),
        ...(options.limits ? { limits: options.limits } : {}),
        log,
      });
      const listeners = await TurnListeners.open(server, {
        hostname: plan.hostname,
        ...(relay6 !== undefined ? { hostname6: loopback ? "::1" : "::" } : {}),
        port: plan.port,
        ...(options.tls ? { tls: options.tls } : {}),
        log,
      });
      return { server, listeners, relay6 };
    };
    let opened;
    try {
      opened = await open(addresses6[0]);
    } catch (e) {
      // An address listed but not bindable (IPv6 off): serve IPv4 alone.
      if (addresses6[0] === undefined) throw e;
      log(`TURN server: cannot listen on IPv6 (${e}); IPv4 only`);
      opened = await open(undefined);
    }
    const { server, listeners, relay6 } = opened;
    ownPorts.push(listeners.port, listeners.tlsPort ?? listeners.port);
    const service = new TurnService(server, {
      listeners,
      secret,
      advertise: plan.advertise,
      local,
    });
    service.#sweep = setInterval(() => server.expire(Date.now()), 5000);
    log(
      `TURN server on ${plan.advertise}:${listeners.port} (UDP and TCP${
        listeners.tlsPort ? `, TLS on ${listeners.tlsPort}` : ""
      }${relay6 ? `; IPv6 relays on ${relay6}` : ""}), ${plan.reason}; secret ${
        source === "file" ? "from turn-secret" : "generated"
      }`,
    );
    return service;
  }

  /** The TURN server (statistics, tests). */
  get server(): TurnServer {
    return this.#server;
  }

  /** The UDP and TCP port. */
  get port(): number {
    return this.#listeners.port;
  }

  /** The ICE server entry of a join at `now` (ms): fresh credentials. */
  iceServer(now: number): IceServer {
    const host = this.#advertise;
    const port = this.#listeners.port;
    const urls = [
      `turn:${host}:${port}?transport=udp`,
      `turn:${host}:${port}?transport=tcp`,
    ];
    const tls = this.#listeners.tlsPort;
    if (tls !== undefined) urls.push(`turns:${host}:${tls}?transport=tcp`);
    const { username, credential } = issueCredentials(this.#secret, {
      name: randomUUID().slice(0, 8),
      now,
      validitySeconds: CREDENTIAL_SECONDS,
    });
    return { urls, username, credential };
  }

  /**
   * The ICE server entry of one of the server's own peer connections at
   * `now` (ms), under `-relay-only`: UDP on the local address, fresh
   * credentials in the server's own name.
   */
  ownIceServer(now: number): IceServer {
    const { username, credential } = issueCredentials(this.#secret, {
      name: `nereid-server.${randomUUID().slice(0, 8)}`,
      now,
      validitySeconds: CREDENTIAL_SECONDS,
    });
    return {
      urls: [`turn:${this.#local}:${this.#listeners.port}?transport=udp`],
      username,
      credential,
    };
  }

  /** Stops listening and releases every allocation. Idempotent. */
  async close(): Promise<void> {
    clearInterval(this.#sweep);
    await this.#listeners.close();
    await this.#server.close();
  }
}

/** The machine's IPv4 addresses (the media node's are among them). */
export function machineAddresses(): string[] {
  try {
    return Deno.networkInterfaces()
      .filter((i) => i.family === "IPv4")
      .map((i) => i.address);
  } catch {
    return ["127.0.0.1"];
  }
}

/**
 * The machine's global and unique-local IPv6 addresses, global ones first
 * (those the media node offers; link-local ones need a zone, loopback
 * reaches no one): the IPv6 peers of relays, and where they relay from.
 */
export function machineAddresses6(): string[] {
  let all: string[];
  try {
    all = Deno.networkInterfaces()
      .filter((i) => i.family === "IPv6")
      .map((i) => i.address);
  } catch {
    return [];
  }
  const usable = all.map((a) => ipToBytes(a))
    .filter((b): b is Uint8Array =>
      b !== null && b.length === 16 && !isLoopback(bytesToIp(b)) &&
      !(b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) && b[0] !== 0xff
    );
  const unique = (b: Uint8Array) => (b[0]! & 0xfe) === 0xfc;
  return [
    ...usable.filter((b) => !unique(b)),
    ...usable.filter(unique),
  ].map(bytesToIp);
}

/**
 * The peers Nereid's relays may reach: the machine's own addresses, on the
 * media ports (`-udp-range`, else unprivileged ones), never the TURN
 * server's own ports.
 */
export function mediaPeers(
  options: {
    addresses: readonly string[];
    range?: [number, number];
    /** Read at each call: filled once the listeners are bound. */
    ownPorts: readonly number[];
  },
): (address: string, port: number | null) => boolean {
  // IPv6 in one text form (RFC 5952), as peers' addresses are decoded.
  const canonical = (a: string) => {
    const b = ipToBytes(a);
    return b === null ? a : bytesToIp(b);
  };
  const addresses = new Set(options.addresses.map(canonical));
  const [low, high] = options.range ?? [1024, 65535];
  return (address, port) =>
    addresses.has(address) &&
    (port === null ||
      (port >= low && port <= high && !options.ownPorts.includes(port)));
}

/**
 * Starts the built-in TURN server when `-turn` says so, logging one line
 * that says whether and why; null when off.
 * @throws TypeError when the flag is malformed; Error when ports are busy
 */
export async function startBuiltInTurn(
  options: {
    flag: string;
    /** True when data/ice-servers.json lists servers. */
    externalServers: boolean;
    dataDir: string;
    udpPortRange?: [number, number];
    tls?: { port: number; cert: string; key: string };
    log: (message: string) => void;
  },
): Promise<TurnService | null> {
  const addresses = machineAddresses();
  const plan = planTurn(options.flag, {
    addresses,
    externalServers: options.externalServers,
  });
  if (!plan.on) {
    options.log(`TURN server off: ${plan.reason}`);
    return null;
  }
  return await TurnService.start({
    plan,
    dataDir: options.dataDir,
    addresses,
    addresses6: machineAddresses6(),
    ...(options.udpPortRange ? { udpPortRange: options.udpPortRange } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
    log: options.log,
  });
}
