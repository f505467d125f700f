/**
 * A TCP forwarder on a free loopback port standing in for a load balancer
 * in front of edges: every connection it accepts is relayed to the port it
 * points at when the connection arrives; {@link TcpSwitch.switchTo} points
 * it elsewhere for the connections that follow. A connection whose far end
 * closes (an edge killed) is closed on the near end too, so a browser sees
 * its socket drop and reconnects through the switch.
 *
 * @module
 */

/** A running forwarder. */
export interface TcpSwitch extends AsyncDisposable {
  /** `127.0.0.1:PORT`, where it listens. */
  readonly address: string;
  /** Relays the next connections to `port` on 127.0.0.1. */
  switchTo(port: number): void;
  /** Stops listening and closes every relayed connection. */
  close(): Promise<void>;
}

/** Starts a forwarder to `port` on 127.0.0.1. */
export function startTcpSwitch(port: number): TcpSwitch {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let target = port;
  const open = new Set<Deno.Conn>();
  const relay = async (near: Deno.Conn) => {
    open.add(near);
    let far: Deno.Conn | undefined;
    try {
      far = await Deno.connect({ hostname: "127.0.0.1", port: target });
      open.add(far);
      const closeBoth = () => {
        for (const c of [near, far!]) {
          try {
            c.close();
          } catch {
            // closed already
          }
        }
      };
      await Promise.race([
        near.readable.pipeTo(far.writable).catch(() => {}),
        far.readable.pipeTo(near.writable).catch(() => {}),
      ]);
      closeBoth();
    } catch {
      try {
        near.close();
      } catch {
        // closed already
      }
    } finally {
      open.delete(near);
      if (far) open.delete(far);
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) relay(conn);
  })().catch(() => {});
  const { port: own } = listener.addr as Deno.NetAddr;
  const close = async () => {
    try {
      listener.close();
    } catch {
      // closed already
    }
    for (const c of open) {
      try {
        c.close();
      } catch {
        // closed already
      }
    }
    await accepting;
  };
  return {
    address: `127.0.0.1:${own}`,
    switchTo(port) {
      target = port;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
