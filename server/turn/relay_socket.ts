/**
 * The UDP socket of an allocation, on the media fast path's batched sockets
 * (`recvmmsg`/`sendmmsg` on the process's one epoll loop for IPv4,
 * `node:dgram` for IPv6 and where libc does not load), bound in `-udp-range`
 * when set: a port is picked at random in the range and the next one is
 * tried while ports are busy.
 *
 * @module
 */

import {
  UdpBatchSocket,
  type UdpMessageHandler,
} from "../media/fast/udp_batch.ts";

/** What an allocation needs of its socket; `send` copies `data`. */
export interface RelaySocket {
  readonly port: number;
  send(data: Uint8Array, port: number, address: string): void;
  close(): Promise<void>;
}

/** Options of a {@link RelayFactory}. */
export interface RelayOpenOptions {
  /** An even port (RFC 8656 EVEN-PORT). */
  even: boolean;
  /** The relayed address's family (RFC 8656 REQUESTED-ADDRESS-FAMILY). */
  family: 4 | 6;
  onMessage: UdpMessageHandler;
}

/** Opens relay sockets; rejects when no port could be bound. */
export type RelayFactory = (options: RelayOpenOptions) => Promise<RelaySocket>;

// Ports tried before giving up (508 Insufficient Capacity).
const ATTEMPTS = 64;

/**
 * A {@link RelayFactory} binding `address` (IPv4) or `address6` (IPv6), in
 * `range` when given; an IPv6 relay without `address6` is refused.
 */
export function relaySockets(
  options: { address: string; address6?: string; range?: [number, number] },
): RelayFactory {
  const [low, high] = options.range ?? [0, 0];
  return async (open) => {
    const address = open.family === 4 ? options.address : options.address6;
    if (address === undefined) {
      throw new RangeError("Cannot open an IPv6 relay: no IPv6 address");
    }
    const bind = (port: number) =>
      UdpBatchSocket.open({
        address,
        port,
        onMessage: open.onMessage,
        // Relays carry one client's media: 1 MiB of kernel buffer is plenty.
        bufferBytes: 1024 * 1024,
      });
    let lastError: unknown = new Error("no port tried");
    if (low === 0) {
      for (let i = 0; i < ATTEMPTS; i++) {
        const s = await bind(0);
        if (!open.even || s.port % 2 === 0) return s;
        await s.close();
      }
      throw new Error("Cannot bind an even relay port");
    }
    const size = high - low + 1;
    const start = low + Math.floor(Math.random() * size);
    for (let i = 0; i < Math.min(ATTEMPTS, size); i++) {
      const port = low + ((start - low + i) % size);
      if (open.even && port % 2 !== 0) continue;
      try {
        return await bind(port);
      } catch (e) {
        lastError = e; // busy: try the next port
      }
    }
    throw lastError;
  };
}
