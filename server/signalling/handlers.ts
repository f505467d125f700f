/**
 * The message table: one small handler per message type.
 *
 * @module
 */

import { type ClientMessage, ProtocolError } from "../protocol/message.ts";
import { handleChat, handleUserMessage } from "./chat.ts";
import type { ClientSession } from "./client_session.ts";
import { handleGroupAction } from "./group_actions.ts";
import { handleJoin } from "./join.ts";
import { handleUserAction } from "./user_actions.ts";

type Handlers = {
  [T in ClientMessage["type"]]: (
    session: ClientSession,
    message: Extract<ClientMessage, { type: T }>,
  ) => void | Promise<void>;
};

/** What each message type does once the handshake is done. */
export const handlers: Handlers = {
  handshake: () => {
    throw new ProtocolError("duplicate handshake");
  },
  ping: (s) => s.send({ type: "pong" }),
  pong: () => {},
  join: handleJoin,
  request: (s, m) => s.media.handleRequest(m),
  requestStream: (s, m) => s.media.handleRequestStream(m),
  offer: (s, m) => s.media.handleOffer(m),
  answer: (s, m) => s.media.handleAnswer(m),
  ice: (s, m) => s.media.handleIce(m),
  renegotiate: (s, m) => s.media.handleRenegotiate(m),
  close: (s, m) => s.media.handleClose(m),
  abort: (s, m) => s.media.handleAbort(m),
  chat: handleChat,
  usermessage: handleUserMessage,
  groupaction: handleGroupAction,
  useraction: handleUserAction,
};
