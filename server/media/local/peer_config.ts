/**
 * The werift configuration shared by every peer connection of a node.
 *
 * @module
 */

import {
  type RTCPeerConnectionConfig,
  RTCRtpHeaderExtensionParameters,
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

/** The AV1 Dependency Descriptor header extension (AV1 RTP spec, appendix A). */
export const DEPENDENCY_DESCRIPTOR_URI =
  "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";

/**
 * Builds a werift configuration for a new peer connection: the node's ICE
 * settings as they are now, max-bundle, and only the header extensions
 * needed to receive simulcast, and AV1's layers when AV1 is among `codecs`.
 */
export function peerConfig(
  settings: TransportSettings,
  codecs: NonNullable<RTCPeerConnectionConfig["codecs"]>,
): RTCPeerConnectionConfig {
  const ice = settings.ice;
  const video = [useSdesMid(), useSdesRTPStreamId(), useRepairedRtpStreamId()];
  if (codecs.video?.some((c) => c.mimeType.toLowerCase() === "video/av1")) {
    video.push(
      new RTCRtpHeaderExtensionParameters({
        id: 0, // werift numbers its offers; an answer takes the offer's id
        uri: DEPENDENCY_DESCRIPTOR_URI,
      }),
    );
  }
  const config: RTCPeerConnectionConfig = {
    iceServers: ice.iceServers.map((server) => ({ ...server })),
    iceTransportPolicy: ice.iceTransportPolicy ?? "all",
    bundlePolicy: "max-bundle",
    codecs,
    headerExtensions: { audio: [useSdesMid()], video },
  };
  if (settings.udpPortRange) config.icePortRange = settings.udpPortRange;
  if (settings.loopbackOnly) {
    const { iceServers: _none, ...loopback } = loopbackIce();
    Object.assign(config, loopback);
  }
  return config;
}
