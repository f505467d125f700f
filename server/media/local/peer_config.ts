/**
 * The werift configuration shared by every peer connection of a node.
 *
 * @module
 */

import {
  type RTCPeerConnectionConfig,
  useRepairedRtpStreamId,
  useSdesMid,
  useSdesRTPStreamId,
} from "werift";
import type { IceConfiguration } from "../media_node.ts";
import { installNoDefaultStunServer } from "../werift_patches.ts";

/** A peer connection's transport settings. */
export interface TransportSettings {
  /**
   * The ICE servers and policy, carried by the open that makes the
   * connection: signalling asks for them at that moment, so time-limited
   * credentials are fresh and edits to the list are seen.
   */
  ice: IceConfiguration;
  udpPortRange?: [number, number];
  /** Gather loopback IPv4 candidates only (tests). */
  loopbackOnly?: boolean;
}

/**
 * The ICE part of a werift configuration that gathers IPv4 loopback
 * candidates only, with no STUN or TURN server (tests, benchmarks). Installs
 * {@link installNoDefaultStunServer} too: without it werift would add a
 * public STUN server of its own.
 */
export function loopbackIce(): Pick<
  RTCPeerConnectionConfig,
  | "iceServers"
  | "iceUseIpv6"
  | "iceAdditionalHostAddresses"
  | "iceInterfaceAddresses"
> {
  installNoDefaultStunServer();
  return {
    iceServers: [],
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ["127.0.0.1"],
    iceInterfaceAddresses: { udp4: "127.0.0.1" },
  };
}

/**
 * Builds a werift configuration for a new peer connection: the node's ICE
 * settings as they are now, max-bundle, and only the header extensions
 * needed to receive simulcast.
 */
export function peerConfig(
  settings: TransportSettings,
  codecs: NonNullable<RTCPeerConnectionConfig["codecs"]>,
): RTCPeerConnectionConfig {
  const ice = settings.ice;
  const config: RTCPeerConnectionConfig = {
    iceServers: ice.iceServers.map((server) => ({ ...server })),
    iceTransportPolicy: ice.iceTransportPolicy ?? "all",
    bundlePolicy: "max-bundle",
    codecs,
    headerExtensions: {
      audio: [useSdesMid()],
      video: [useSdesMid(), useSdesRTPStreamId(), useRepairedRtpStreamId()],
    },
  };
  if (settings.udpPortRange) config.icePortRange = settings.udpPortRange;
  if (settings.loopbackOnly) {
    const { iceServers: _none, ...loopback } = loopbackIce();
    Object.assign(config, loopback);
  }
  return config;
}
