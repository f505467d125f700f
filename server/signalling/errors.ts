/**
 * Errors a message handler may throw, and what the session does with them.
 *
 * @module
 */

export { ProtocolError } from "../protocol/message.ts";

/**
 * The client asked for something it may not have: it is told with a
 * privileged `usermessage` of kind `error`, and the connection stays open.
 */
export class UserError extends Error {
  override name = "UserError";
}
