/**
 * Peer-to-peer file transfer, as Galène's client does it: control messages travel in
 * `usermessage` kind `filetransfer`, the bytes over a reliable datachannel
 * named `file` that the receiver opens. The server only relays.
 *
 * @module
 */

import { Emitter } from "./emitter.ts";
import {
  randomId,
  type ServerConnection,
  type UserMessageMessage,
} from "./protocol.ts";

/** Where a transfer stands. */
export type TransferState =
  | "inviting"
  | "invited"
  | "connecting"
  | "transferring"
  | "done"
  | "cancelled";

/** Chunks of at most 16 KiB, the size every browser's SCTP accepts. */
export const CHUNK_SIZE = 16384;

/** One file going up (we send) or down (we receive). */
export class Transfer {
  readonly id: string;
  readonly up: boolean;
  readonly userId: string;
  readonly username: string;
  readonly name: string;
  readonly size: number;
  readonly mimetype: string;
  state: TransferState;
  transferred = 0;
  /** Why it was cancelled. */
  reason = "";
  /** Our file, when sending. */
  readonly file: File | null;
  /** The received bytes, once done. */
  blob: Blob | null = null;
  pc: RTCPeerConnection | null = null;
  channel: RTCDataChannel | null = null;
  chunks: ArrayBuffer[] = [];
  ice: RTCIceCandidateInit[] = [];

  constructor(
    init: {
      id: string;
      up: boolean;
      userId: string;
      username: string;
      name: string;
      size: number;
      mimetype: string;
      file?: File;
    },
  ) {
    this.id = init.id;
    this.up = init.up;
    this.userId = init.userId;
    this.username = init.username;
    this.name = init.name;
    this.size = init.size;
    this.mimetype = init.mimetype;
    this.file = init.file ?? null;
    this.state = init.up ? "inviting" : "invited";
  }
}

/** Events of {@link FileTransfers}: every state or progress change. */
export interface TransferEvents {
  update: Transfer;
}

type Control = Record<string, unknown>;

/** All file transfers of one connection. */
export class FileTransfers extends Emitter<TransferEvents> {
  readonly #conn: ServerConnection;
  readonly #transfers = new Map<string, Transfer>();
  readonly #off: () => void;

  /** Listens for `filetransfer` user messages on `conn`. */
  constructor(conn: ServerConnection) {
    super();
    this.#conn = conn;
    this.#off = conn.on("usermessage", (m) => {
      if (m.kind === "filetransfer") this.#onControl(m);
    });
  }

  /** Invites `userId` to receive `file`. */
  send(userId: string, file: File): Transfer {
    const user = this.#conn.users.get(userId);
    const t = new Transfer({
      id: randomId(),
      up: true,
      userId,
      username: user?.username ?? "",
      name: file.name,
      size: file.size,
      mimetype: file.type,
      file,
    });
    this.#transfers.set(t.id, t);
    this.#control(t, {
      type: "invite",
      version: ["1"],
      name: t.name,
      size: t.size,
      mimetype: t.mimetype,
    });
    this.emit("update", t);
    return t;
  }

  /** Accepts an incoming file: we open the channel and make the offer. */
  async accept(t: Transfer): Promise<void> {
    if (t.up || t.state !== "invited") return;
    const pc = this.#peer(t);
    const channel = pc.createDataChannel("file");
    channel.binaryType = "arraybuffer";
    t.channel = channel;
    channel.onmessage = (e) => this.#onData(t, e.data);
    // An empty file has no chunk whose arrival would finish it.
    channel.onopen = () => {
      if (t.size === 0) this.#onData(t, new ArrayBuffer(0));
    };
    this.#set(t, "connecting");
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    this.#control(t, { type: "offer", version: ["1"], sdp: offer.sdp ?? "" });
  }

  /** Cancels a transfer and tells the other side. */
  cancel(t: Transfer, message = "cancelled"): void {
    if (t.state === "done" || t.state === "cancelled") return;
    this.#control(t, { type: "cancel", message });
    this.#finish(t, "cancelled", message);
  }

  /** Cancels everything and stops listening. */
  dispose(): void {
    this.#off();
    for (const t of this.#transfers.values()) {
      this.#finish(t, "cancelled", "disconnected");
    }
    this.clear();
  }

  #control(t: Transfer, value: Control): void {
    this.#conn.userMessage("filetransfer", {
      dest: t.userId,
      value: { ...value, id: t.id },
    });
  }

  #peer(t: Transfer): RTCPeerConnection {
    const pc = new RTCPeerConnection(this.#conn.peerConfiguration);
    t.pc = pc;
    pc.onicecandidate = (e) => {
      if (e.candidate) {
        this.#control(t, { type: "ice", candidate: e.candidate.toJSON() });
      }
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "failed") this.cancel(t, "connection failed");
    };
    return pc;
  }

  #onControl(m: UserMessageMessage): void {
    const v = m.value;
    if (typeof v !== "object" || v === null) return;
    const c = v as Control;
    const id = typeof c["id"] === "string" ? c["id"] : "";
    const type = c["type"];
    if (type === "invite") {
      if (this.#transfers.has(id) || !id) return;
      const t = new Transfer({
        id,
        up: false,
        userId: m.source,
        username: m.username,
        name: typeof c["name"] === "string" ? c["name"] : "file",
        size: typeof c["size"] === "number" ? c["size"] : 0,
        mimetype: typeof c["mimetype"] === "string" ? c["mimetype"] : "",
      });
      this.#transfers.set(id, t);
      this.emit("update", t);
      return;
    }
    const t = this.#transfers.get(id);
    if (!t || t.userId !== m.source) return;
    this.#step(t, c).catch((e) => this.cancel(t, String(e)));
  }

  async #step(t: Transfer, c: Control): Promise<void> {
    const type = c["type"];
    if (type === "cancel") {
      this.#finish(
        t,
        "cancelled",
        typeof c["message"] === "string" ? c["message"] : "cancelled",
      );
    } else if (type === "offer" && t.up && typeof c["sdp"] === "string") {
      const pc = this.#peer(t);
      pc.ondatachannel = (e) => this.#sendOver(t, e.channel);
      this.#set(t, "connecting");
      await pc.setRemoteDescription({ type: "offer", sdp: c["sdp"] });
      await this.#flushIce(t);
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      this.#control(t, { type: "answer", sdp: answer.sdp ?? "" });
    } else if (
      type === "answer" && !t.up && t.pc && typeof c["sdp"] === "string"
    ) {
      await t.pc.setRemoteDescription({ type: "answer", sdp: c["sdp"] });
      await this.#flushIce(t);
    } else if (
      type === "ice" && typeof c["candidate"] === "object" && c["candidate"]
    ) {
      const cand = c["candidate"] as RTCIceCandidateInit;
      if (t.pc?.remoteDescription) await t.pc.addIceCandidate(cand);
      else t.ice.push(cand);
    }
  }

  async #flushIce(t: Transfer): Promise<void> {
    for (const c of t.ice.splice(0)) await t.pc?.addIceCandidate(c);
  }

  #sendOver(t: Transfer, channel: RTCDataChannel): void {
    t.channel = channel;
    channel.onmessage = (e) => {
      if (e.data === "done") this.#finish(t, "done", "");
    };
    const pump = async () => {
      const file = t.file;
      if (!file) return;
      this.#set(t, "transferring");
      // Keep at most 1 MiB queued: the channel buffers what we hand it.
      channel.bufferedAmountLowThreshold = 256 * 1024;
      while (t.transferred < file.size && t.state === "transferring") {
        if (channel.bufferedAmount > 1024 * 1024) {
          await new Promise((r) =>
            channel.addEventListener("bufferedamountlow", r, { once: true })
          );
          continue;
        }
        const end = Math.min(t.transferred + CHUNK_SIZE, file.size);
        channel.send(await file.slice(t.transferred, end).arrayBuffer());
        t.transferred = end;
        this.emit("update", t);
      }
    };
    if (channel.readyState === "open") {
      pump().catch((e) => this.cancel(t, String(e)));
    } else {channel.onopen = () =>
        pump().catch((e) => this.cancel(t, String(e)));}
  }

  #onData(t: Transfer, data: unknown): void {
    if (!(data instanceof ArrayBuffer) || t.state === "cancelled") return;
    if (t.state !== "transferring") t.state = "transferring";
    t.chunks.push(data);
    t.transferred += data.byteLength;
    if (t.transferred > t.size) {
      this.cancel(t, "received more than announced");
      return;
    }
    if (t.transferred === t.size) {
      t.blob = new Blob(t.chunks, { type: t.mimetype });
      t.chunks = [];
      t.channel?.send("done");
      this.#finish(t, "done", "");
    } else {
      this.emit("update", t);
    }
  }

  #set(t: Transfer, state: TransferState): void {
    t.state = state;
    this.emit("update", t);
  }

  #finish(t: Transfer, state: "done" | "cancelled", reason: string): void {
    if (t.state === "done" || t.state === "cancelled") return;
    t.reason = reason;
    t.state = state;
    // Let "done" reach the sender before the receiver's channel goes away.
    setTimeout(() => t.pc?.close(), state === "done" && !t.up ? 2000 : 0);
    this.#transfers.delete(t.id);
    this.emit("update", t);
  }
}
