/**
 * What `-turn` means, as a pure decision over the machine's addresses:
 *
 * - `""`: off.
 * - `auto` (the default): on, on UDP and TCP port 1194, when
 *   `data/ice-servers.json` lists no server (an operator who configured an
 *   external TURN server wants that one) and the machine has a public IPv4
 *   address to offer; off otherwise (behind NAT, a relay on a private
 *   address helps nobody outside). The reason is logged either way.
 * - `IP:PORT`: on, advertising IP (the public address of a NAT with port
 *   forwarding, say); listens on every address, or on IP alone when it is a
 *   loopback address.
 * - `:PORT`: on, advertising the first public IPv4 address, else the first
 *   non-loopback one.
 *
 * @module
 */

import { ipToBytes, isLoopback } from "./ip_address.ts";

/** Galène's port for its built-in TURN server. */
export const DEFAULT_TURN_PORT = 1194;

/** The decision. */
export type TurnPlan =
  | { on: false; reason: string }
  | {
    on: true;
    reason: string;
    /** Where to listen. */
    hostname: string;
    port: number;
    /** The address in clients' `turn:` URLs and in relayed addresses. */
    advertise: string;
  };

/**
 * Decides from the flag, the machine's IPv4 addresses and whether external
 * ICE servers are configured.
 * @throws TypeError when the flag is not "", "auto" or [IP]:PORT
 */
export function planTurn(
  flag: string,
  machine: { addresses: readonly string[]; externalServers: boolean },
): TurnPlan {
  if (flag === "") return { on: false, reason: "-turn is empty" };
  const publicIp = machine.addresses.find(isPublicIpv4);
  if (flag === "auto") {
    if (machine.externalServers) {
      return {
        on: false,
        reason: "data/ice-servers.json lists ICE servers (-turn auto)",
      };
    }
    if (publicIp === undefined) {
      return {
        on: false,
        reason: "no public IPv4 address to offer (-turn auto)",
      };
    }
    return {
      on: true,
      reason: `public address ${publicIp} (-turn auto)`,
      hostname: "0.0.0.0",
      port: DEFAULT_TURN_PORT,
      advertise: publicIp,
    };
  }
  const m = /^([0-9.]*):(\d{1,5})$/.exec(flag);
  const port = Number(m?.[2]);
  if (!m || port > 65535 || (m[1] !== "" && ipToBytes(m[1]!) === null)) {
    throw new TypeError(
      `-turn takes "", "auto", :PORT or IPv4:PORT, not ${JSON.stringify(flag)}`,
    );
  }
  const ip = m[1]!;
  if (ip !== "") {
    return {
      on: true,
      reason: `-turn ${flag}`,
      hostname: isLoopback(ip) ? ip : "0.0.0.0",
      port,
      advertise: ip,
    };
  }
  const advertise = publicIp ??
    machine.addresses.find((a) => !isLoopback(a)) ?? "127.0.0.1";
  return {
    on: true,
    reason: `-turn ${flag}`,
    hostname: "0.0.0.0",
    port,
    advertise,
  };
}

/**
 * True for a globally routable IPv4 unicast address: not loopback, private
 * (RFC 1918), shared (RFC 6598), link-local, multicast or reserved.
 */
export function isPublicIpv4(address: string): boolean {
  const b = ipToBytes(address);
  if (b === null || b.length !== 4) return false;
  const [a, c] = [b[0]!, b[1]!];
  return !(
    a === 0 || a === 10 || a === 127 || a >= 224 ||
    (a === 100 && c >= 64 && c < 128) ||
    (a === 169 && c === 254) ||
    (a === 172 && c >= 16 && c < 32) ||
    (a === 192 && c === 168)
  );
}
