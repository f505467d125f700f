/**
 * A TURN server on loopback that checks credentials as coturn does with
 * `use-auth-secret` and allocates nothing: it answers an Allocate request
 * without credentials with 401 (a realm and a nonce), records the username
 * of each one with credentials and whether its MESSAGE-INTEGRITY holds for
 * the password coturn derives from the shared secret, and refuses it (403).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash, createHmac } from "node:crypto";
import { createSocket, type Socket } from "node:dgram";
import { classes, Message, methods, parseMessage } from "werift";

/** An authenticated Allocate request the server received. */
export interface AllocateRequest {
  username: string;
  /** MESSAGE-INTEGRITY holds for the password the secret gives. */
  valid: boolean;
}

const REALM = "nereid.test";
const NONCE = Buffer.from("0123456789abcdef");

/** A credential-checking TURN server that refuses every allocation. */
export class TurnRecorder {
  /** Authenticated Allocate requests, in arrival order. */
  readonly requests: AllocateRequest[] = [];
  readonly #socket: Socket;
  readonly #secret: string;

  private constructor(socket: Socket, secret: string) {
    this.#socket = socket;
    this.#secret = secret;
    socket.on("message", (data: Buffer, rinfo) => {
      const reply = this.#handle(data);
      if (reply) socket.send(reply, rinfo.port, rinfo.address);
    });
  }

  /** Listens on a free UDP port of 127.0.0.1, with coturn's shared secret. */
  static async open(secret: string): Promise<TurnRecorder> {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind({ address: "127.0.0.1", port: 0 }, () => resolve());
    });
    return new TurnRecorder(socket, secret);
  }

  /** `turn:127.0.0.1:PORT` */
  get url(): string {
    return `turn:127.0.0.1:${this.#socket.address().port}`;
  }

  /** The usernames of the authenticated requests so far. */
  get usernames(): string[] {
    return this.requests.map((r) => r.username);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #handle(data: Buffer): Buffer | undefined {
    const request = parseMessage(data);
    if (
      request === undefined || request.messageMethod !== methods.ALLOCATE ||
      request.messageClass !== classes.REQUEST
    ) return undefined;
    const username = request.getAttributeValue("USERNAME") as
      | string
      | undefined;
    const reply = new Message(
      methods.ALLOCATE,
      classes.ERROR,
      request.transactionId,
    );
    if (username === undefined) {
      return reply.setAttribute("ERROR-CODE", [401, "Unauthorized"])
        .setAttribute("REALM", REALM)
        .setAttribute("NONCE", NONCE).bytes;
    }
    // coturn's use-auth-secret: password = base64(HMAC-SHA1(secret, user)),
    // key = MD5(user:realm:password) (RFC 8489 §9.2.2).
    const password = createHmac("sha1", this.#secret).update(username)
      .digest("base64");
    const key = createHash("md5").update(`${username}:${REALM}:${password}`)
      .digest();
    const valid = parseMessage(data, key) !== undefined &&
      request.getAttributeValue("MESSAGE-INTEGRITY") !== undefined;
    this.requests.push({ username, valid });
    // Signed, as werift checks the answers to its authenticated requests.
    return reply.setAttribute("ERROR-CODE", [403, "Forbidden"])
      .addMessageIntegrity(key).addFingerprint().bytes;
  }
}
