/**
 * Errors a message handler may throw, and what the session does with them
 * (besides `ProtocolError`, server/protocol/message.ts, for a malformed
 * message, which closes the connection).
 *
 * @module
 */

import { MAX_DATA_BYTES } from "../protocol/byte_limits.ts";

/**
 * The client asked for something it may not have: it is told with a
 * privileged `usermessage` of kind `error`, and the connection stays open.
 */
export class UserError extends Error {
  override name = "UserError";
}

/** Why a `setdata` (user or group) is refused when the data would be too big. */
export const TOO_MUCH_DATA = `setdata: the data would be over ${
  MAX_DATA_BYTES / 1024
} kB`;
