/**
 * A TURN server on 127.0.0.1 for tests: a {@link TurnServer} with its UDP and
 * TCP listeners on a free port, relays on loopback, and peers allowed on
 * 127.0.0.1 only (127.0.0.2 stands for "an address that is not ours"). With
 * `ipv6`, it also listens on ::1, relays IPv6 there and allows peers on ::1.
 *
 * @module
 */

import { relaySockets } from "../../server/turn/relay_socket.ts";
import { issueCredentials } from "../../server/turn/turn_credentials.ts";
import type { TurnCredentials } from "../../server/turn/turn_credentials.ts";
import {
  TurnListeners,
  type TurnListenOptions,
} from "../../server/turn/turn_listeners.ts";
import { type TurnLimits, TurnServer } from "../../server/turn/turn_server.ts";

/** The secret of {@link startLoopbackTurn}'s servers. */
export const TEST_TURN_SECRET = "test-secret";

/** A running loopback TURN server. */
export interface LoopbackTurn {
  server: TurnServer;
  listeners: TurnListeners;
  port: number;
  /** Every log line, in order. */
  logs: string[];
  close(): Promise<void>;
}

/** Starts a loopback TURN server. */
export async function startLoopbackTurn(
  options: {
    limits?: Partial<TurnLimits>;
    now?: () => number;
    /** Also TURN over TLS, on a free port, with this certificate. */
    tls?: { cert: string; key: string };
    /** Users exempt from the per-user and per-address bounds. */
    unbounded?: (username: string) => boolean;
    /** Also IPv6 on ::1: listeners, relays and peers. */
    ipv6?: boolean;
    /** Bounds of the TCP and TLS listeners. */
    streams?: Pick<
      TurnListenOptions,
      "connections" | "connectionsPerAddress" | "handshakeMs" | "idleMs"
    >;
  } = {},
): Promise<LoopbackTurn> {
  const logs: string[] = [];
  const server = new TurnServer({
    secret: TEST_TURN_SECRET,
    relayAddress: "127.0.0.1",
    ...(options.ipv6 ? { relayAddress6: "::1" } : {}),
    openRelay: relaySockets({
      address: "127.0.0.1",
      ...(options.ipv6 ? { address6: "::1" } : {}),
    }),
    allowPeer: (address) =>
      address === "127.0.0.1" || (!!options.ipv6 && address === "::1"),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.unbounded ? { unbounded: options.unbounded } : {}),
    log: (m) => logs.push(m),
  });
  const listeners = await TurnListeners.open(server, {
    hostname: "127.0.0.1",
    ...(options.ipv6 ? { hostname6: "::1" } : {}),
    ...options.streams,
    ...(options.now ? { now: options.now } : {}),
    port: 0,
    ...(options.tls ? { tls: { port: 0, ...options.tls } } : {}),
    log: (m) => logs.push(m),
  });
  return {
    server,
    listeners,
    port: listeners.port,
    logs,
    async close() {
      await listeners.close();
      await server.close();
    },
  };
}

/** Credentials for `name` under the test secret, valid an hour from `now`. */
export function testCredentials(
  name = "alice",
  now = Date.now(),
): TurnCredentials {
  return issueCredentials(TEST_TURN_SECRET, {
    name,
    now,
    validitySeconds: 3600,
  });
}
