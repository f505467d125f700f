/**
 * A real `redis-server` for one test: on a free loopback port, configured
 * on its command line only (no config file), with nothing saved to disk
 * (`--save "" --appendonly no`, in a temporary working directory). It can
 * be stopped, killed, frozen and started again on the same port, for
 * reconnection tests, and {@link RedisServer.close} (or `await using`)
 * always removes it; a process that exits without closing it kills it too.
 *
 * @example
 * ```ts
 * await using redis = await startRedisServer();
 * const connection = openRedisConnection(redis.url, { log });
 * ```
 *
 * @module
 */

const REDIS_SERVER = "/usr/bin/redis-server";

/** Servers still running, killed if the test process exits without closing them. */
const running = new Set<Deno.ChildProcess>();
globalThis.addEventListener("unload", () => {
  for (const child of running) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
});

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** `--requirepass`: clients must authenticate with this password. */
  password?: string;
  /** How long to wait for the server to answer `PING` (default 10 s). */
  readyTimeoutMs?: number;
}

/** A running (or stopped) `redis-server` owned by one test. */
export interface RedisServer {
  /** 127.0.0.1 */
  readonly host: string;
  /** The port, the same across {@link RedisServer.start} and stops. */
  readonly port: number;
  /** `redis://127.0.0.1:PORT` (with the password when there is one). */
  readonly url: string;
  /** Whether a server process is running now. */
  readonly running: boolean;
  /** Stops the server: SIGTERM and a clean shutdown (default), or SIGKILL. */
  stop(options?: { signal?: "SIGTERM" | "SIGKILL" }): Promise<void>;
  /** Starts it again on the same port and waits until it answers. */
  start(): Promise<void>;
  /** SIGSTOP: the server holds its connections but answers nothing. */
  freeze(): void;
  /** SIGCONT after {@link RedisServer.freeze}. */
  thaw(): void;
  /** Kills the server and removes its directory; idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts `redis-server` on a free port of 127.0.0.1 and resolves once it
 * answers `PING`.
 *
 * @throws {Error} When redis-server is missing or never answers.
 */
export async function startRedisServer(
  options: RedisServerOptions = {},
): Promise<RedisServer> {
  const dir = await Deno.makeTempDir({ prefix: "nereid-redis-" });
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  let child: Deno.ChildProcess | undefined;
  let output: Promise<string> = Promise.resolve("");
  let port = 0;

  function spawn(): void {
    const args = [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--daemonize",
      "no",
      "--logfile",
      "",
    ];
    if (options.password !== undefined) {
      args.push("--requirepass", options.password);
    }
    const proc = new Deno.Command(REDIS_SERVER, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    child = proc;
    running.add(proc);
    // Drain both pipes (a full pipe would block the server) and keep the
    // tail, to say why a server never answered.
    output = Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
    ]).then(([out, err]) => `${out}${err}`.slice(-2000));
  }

  async function startOn(wanted: number | undefined): Promise<void> {
    // A free port can be taken between our check and the server's bind:
    // on a first start try again with another port; a restart must reuse
    // its port.
    for (let attempt = 0; attempt < 5; attempt++) {
      port = wanted ?? freeLoopbackPort();
      spawn();
      const proc = child!;
      const answered = await waitForPing(port, {
        exited: proc.status,
        timeoutMs: readyTimeoutMs,
      });
      if (answered) return;
      await kill(proc);
      const tail = await output;
      if (wanted !== undefined || !/in use/i.test(tail)) {
        throw new Error(
          `redis-server on port ${port} did not answer PING: ${tail}`,
        );
      }
    }
    throw new Error("redis-server found no free port after 5 attempts");
  }

  async function kill(
    proc: Deno.ChildProcess,
    signal: Deno.Signal = "SIGKILL",
  ): Promise<void> {
    try {
      proc.kill("SIGCONT");
      proc.kill(signal);
    } catch {
      // Already exited.
    }
    await proc.status;
    running.delete(proc);
    if (child === proc) child = undefined;
  }

  await startOn(undefined);
  const auth = options.password === undefined
    ? ""
    : `:${encodeURIComponent(options.password)}@`;
  let closed = false;

  const server: RedisServer = {
    host: "127.0.0.1",
    get port() {
      return port;
    },
    get url() {
      return `redis://${auth}127.0.0.1:${port}`;
    },
    get running() {
      return child !== undefined;
    },
    async stop(stopOptions = {}) {
      if (child !== undefined) {
        await kill(child, stopOptions.signal ?? "SIGTERM");
      }
      await output;
    },
    async start() {
      if (closed) throw new Error("Cannot start a closed redis-server");
      if (child !== undefined) return;
      await startOn(port);
    },
    freeze() {
      child?.kill("SIGSTOP");
    },
    thaw() {
      child?.kill("SIGCONT");
    },
    async close() {
      if (closed) return;
      closed = true;
      if (child !== undefined) await kill(child);
      await output;
      await Deno.remove(dir, { recursive: true });
    },
    [Symbol.asyncDispose]() {
      return server.close();
    },
  };
  return server;
}

function freeLoopbackPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/**
 * Sends a raw RESP `PING` until `+PONG` comes back; `false` when the
 * process exits or the time runs out first.
 */
async function waitForPing(
  port: number,
  options: { exited: Promise<Deno.CommandStatus>; timeoutMs: number },
): Promise<boolean> {
  let exited = false;
  options.exited.then(() => exited = true);
  const deadline = Date.now() + options.timeoutMs;
  let delay = 5;
  while (!exited && Date.now() < deadline) {
    if (await pingOnce(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 100);
  }
  return false;
}

async function pingOnce(port: number): Promise<boolean> {
  let conn: Deno.TcpConn | undefined;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buffer = new Uint8Array(64);
    const n = await conn.read(buffer);
    const reply = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
    // "-NOAUTH" also means the server is up and answering.
    return reply.startsWith("+PONG") || reply.startsWith("-NOAUTH");
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}
