/**
 * Test-only fault injection in the in-process media node: the one seam.
 *
 * A test gives a {@link TestFaults} object once, as `testFaults` of
 * `LocalMediaNodeOptions` (or of the test server, which passes it on); the
 * node hands that same object to every connection it opens, and nothing
 * else creates one. In production the node gets none and each fault is off
 * (an empty object). Who reads what:
 * - `throwIn`: each connection's `ConnectionGuard`, at every guarded call;
 * - `duplicateHandshakes`: the up and down connections' DTLS transports;
 * - `dropForwarded`, `bandwidthCap`: each `DownTrack`.
 *
 * The maps are read at every call, not copied: a test changes them while
 * the media flows.
 *
 * @module
 */

/** A connection callback that {@link TestFaults.throwIn} can make throw. */
export type FaultSite = "rtp" | "rtcp" | "tick" | "state" | "track" | "ice";

/** Faults a test can make the media node suffer; every one is off when absent. */
export interface TestFaults {
  /** Probability (0…1) of dropping a forwarded packet before sending it; NACKs still find it. */
  dropForwarded?: number;
  /**
   * Every DTLS handshake datagram the node's transports receive is handled
   * twice, as when a peer retransmits a flight that was only slow.
   */
  duplicateHandshakes?: boolean;
  /**
   * Connections whose callback at a site throws, by the name they log under
   * (`up ID`, `down ID to CLIENT`). Read at every call, so that a test can
   * add one during a call. At "rtp" the throw is a real WebAssembly trap,
   * as a fault of the per-packet pipeline would raise.
   */
  throwIn?: Map<string, FaultSite>;
  /**
   * Bandwidth (bit/s) assumed towards a subscriber, by its client id: its
   * estimate is at most that, for its simulcast layer, its SVC layers and
   * the publisher's budget alike. Read at every re-aim, so that a test can
   * set and lift it during a call.
   */
  bandwidthCap?: Map<string, number>;
}
