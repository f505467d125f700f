/**
 * What a connection's ICE gathering came to, from the candidates it gathered
 * and the sockets the fast path failed to bind meanwhile.
 *
 * @module
 */

/** The outcome of {@link gatheringFailure}. */
export interface GatheringFailure {
  /** No candidate at all: the peer could never reach this connection. */
  fatal: boolean;
  /** Why, for the log (and for the client when fatal); undefined when all went well. */
  reason: string | undefined;
}

/**
 * Judges a gathering: fatal when it produced no candidate (every port of the
 * UDP range in use, no address to offer); a reason without `fatal` when some
 * sockets could not be bound but others were, as when the IPv6 ports of the
 * range are all taken and the IPv4 ones are not.
 */
export function gatheringFailure(
  candidates: number,
  failures: readonly Error[],
): GatheringFailure {
  const reasons = [...new Set(failures.map((e) => e.message))];
  if (candidates > 0) {
    return {
      fatal: false,
      reason: reasons.length > 0 ? reasons.join("; ") : undefined,
    };
  }
  return {
    fatal: true,
    reason: reasons.length > 0
      ? reasons.join("; ")
      : "no local ICE candidate could be gathered",
  };
}
