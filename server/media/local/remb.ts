/**
 * Receiver Estimated Maximum Bitrate packets (draft-alvestrand-rmcat-remb).
 *
 * @module
 */

import {
  ReceiverEstimatedMaxBitrate,
  RtcpPayloadSpecificFeedback,
} from "werift";

/**
 * Builds one REMB packet announcing `bitrate` (bits/s) for `ssrcs`.
 * @throws {RangeError} when the bitrate is negative or not finite
 */
export function buildRemb(
  senderSsrc: number,
  options: { ssrcs: readonly number[]; bitrate: number },
): RtcpPayloadSpecificFeedback {
  const { ssrcs, bitrate } = options;
  if (!Number.isFinite(bitrate) || bitrate < 0) {
    throw new RangeError(
      `Cannot build REMB: bitrate ${bitrate} is not a non-negative number`,
    );
  }
  // 18-bit mantissa, 6-bit exponent: bitrate = mantissa × 2^exp, rounded down.
  let mantissa = Math.floor(bitrate);
  let exp = 0;
  while (mantissa >= 1 << 18) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  return new RtcpPayloadSpecificFeedback({
    feedback: new ReceiverEstimatedMaxBitrate({
      senderSsrc,
      mediaSsrc: 0,
      ssrcNum: ssrcs.length,
      brExp: exp,
      brMantissa: mantissa,
      bitrate: BigInt(mantissa) << BigInt(exp),
      ssrcFeedbacks: [...ssrcs],
    }),
  });
}
