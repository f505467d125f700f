/**
 * A TCP forwarder on a free loopback port standing in for a load balancer
 * in front of edges, or for the network between an edge and a media node:
 * every connection it accepts is relayed to the port it points at when the
 * connection arrives; {@link TcpSwitch.switchTo} points it elsewhere for
 * the connections that follow, or nowhere (they are closed at once). A
 * connection whose far end closes (an edge killed) is closed on the near
 * end too, so a browser sees its socket drop and reconnects through the
 * switch; {@link TcpSwitch.cut} closes one relayed connection (a link cut).
 *
 * @module
 */

/** A running forwarder. */
export interface TcpSwitch extends AsyncDisposable {
  /** `127.0.0.1:PORT`, where it listens. */
  readonly address: string;
  /** How many connections it has accepted so far. */
  readonly accepted: number;
  /** Relays the next connections to `port` on 127.0.0.1 (null: closes them). */
  switchTo(port: number | null): void;
  /** Closes the `index`th connection it accepted (from 0), both ends. */
  cut(index: number): void;
  /** Stops listening and closes every relayed connection. */
  close(): Promise<void>;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // closed already
  }
}

/** Starts a forwarder to `port` on 127.0.0.1 (null: nowhere, for now). */
export function startTcpSwitch(port: number | null): TcpSwitch {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let target = port;
  const open = new Set<Deno.Conn>();
  // Each accepted connection's ends, in order of arrival.
  const relayed: Deno.Conn[][] = [];
  const relay = async (near: Deno.Conn) => {
    const ends = [near];
    relayed.push(ends);
    open.add(near);
    let far: Deno.Conn | undefined;
    try {
      if (target === null) throw new Error("pointed nowhere");
      far = await Deno.connect({ hostname: "127.0.0.1", port: target });
      ends.push(far);
      open.add(far);
      await Promise.race([
        near.readable.pipeTo(far.writable).catch(() => {}),
        far.readable.pipeTo(near.writable).catch(() => {}),
      ]);
    } catch {
      // refused, or pointed nowhere
    } finally {
      for (const c of ends) {
        closeQuietly(c);
        open.delete(c);
      }
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
    for (const c of open) closeQuietly(c);
    await accepting;
  };
  return {
    address: `127.0.0.1:${own}`,
    get accepted() {
      return relayed.length;
    },
    switchTo(port) {
      target = port;
    },
    cut(index) {
      for (const c of relayed[index] ?? []) {
        closeQuietly(c);
        open.delete(c);
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
