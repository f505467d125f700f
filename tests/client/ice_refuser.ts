/**
 * An ICE peer that refuses every connectivity check: a UDP socket on
 * loopback answering each STUN Binding request with a 400 Bad Request,
 * signed with the password it announces. Browsers drop a candidate pair at
 * once on such an answer, so a connection pointed at it fails within a
 * round trip: deterministic, with no timeout to wait out.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import dgram from "node:dgram";
import { classes, Message, methods, parseMessage } from "werift";

/**
 * A running refuser and what to write in a description to reach it: any
 * `a=ice-ufrag` (it reads no username), this `a=ice-pwd` and candidate.
 */
export interface IceRefuser {
  readonly pwd: string;
  /** A host candidate attribute value, `candidate:…`. */
  readonly candidate: string;
  /** Checks refused so far. */
  readonly refused: number;
  close(): Promise<void>;
}

/** Starts a refuser on 127.0.0.1 and a free port. */
export async function startIceRefuser(): Promise<IceRefuser> {
  // 22 characters at least, of letters, digits, "+" and "/" (RFC 8839).
  const pwd = "refuseEveryCheck0123456789";
  const socket = dgram.createSocket("udp4");
  let refused = 0;
  socket.on("message", (data, from) => {
    const request = parseMessage(data);
    if (
      !request || request.messageMethod !== methods.BINDING ||
      request.messageClass !== classes.REQUEST
    ) {
      return;
    }
    const answer = new Message(
      methods.BINDING,
      classes.ERROR,
      request.transactionId,
    )
      .setAttribute("ERROR-CODE", [400, "Bad Request"])
      .addMessageIntegrity(Buffer.from(pwd, "utf8"))
      .addFingerprint();
    refused++;
    socket.send(answer.bytes, from.port, from.address);
  });
  await new Promise<void>((resolve) =>
    socket.bind(0, "127.0.0.1", () => resolve())
  );
  const port = socket.address().port;
  return {
    pwd,
    candidate: `candidate:1 1 udp 2130706431 127.0.0.1 ${port} typ host`,
    get refused() {
      return refused;
    },
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
