/**
 * What the server and the web client agree on beyond each side's parser:
 * the shapes and values both write and read on the WebSocket. Each side
 * parses what it receives itself (server/protocol/message.ts,
 * client/src/messages.ts); both import these from here, and the client's
 * bundle includes this file.
 *
 * @module
 */

/** An ICE candidate as carried by `ice` messages. */
export interface CandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/**
 * The `error` of an `abort` that ends an up stream because its media node
 * was lost (or none could be reached): publishing it again is the remedy,
 * and Nereid's client does so by itself after a short back-off. Galène's
 * client ignores the field.
 */
export const MEDIA_LOST = "media-lost";
