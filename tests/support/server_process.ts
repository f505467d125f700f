/**
 * The one launcher of servers in child processes (`main.ts` in any role,
 * or a test's own server script): spawns `deno run -A`, reads its standard
 * output until a line says it is ready, then keeps draining it so that the
 * child never blocks on a full pipe. A test runs a server as a process when
 * a crash must be observed rather than suffered, when it needs its own
 * flags (`--deny-ffi`), or when it kills it.
 *
 * @example
 * ```ts
 * await using edge = await startServerProcess({
 *   args: ["-role", "edge", "-redis", url, "-insecure", "-http", "127.0.0.1:0"],
 *   ready: /listening on (http:\/\/\S+?)\/?\s/,
 * });
 * console.log(edge.ready); // http://127.0.0.1:PORT
 * ```
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** The server's command line, `main.ts`. */
export const MAIN = fileURLToPath(new URL("../../main.ts", import.meta.url));

/** `-data`, `-groups` and `-recordings` as the folders of that name in `root`. */
export function folderArgs(root: string): string[] {
  return [
    "-data",
    `${root}/data`,
    "-groups",
    `${root}/groups`,
    "-recordings",
    `${root}/recordings`,
  ];
}

/** Lines of output kept after the ready line. */
export const MAX_LOG_LINES = 2000;

/** Options of {@link startServerProcess}. */
export interface ServerProcessOptions {
  /** The script to run (default {@link MAIN}). */
  script?: string;
  /** The script's arguments. */
  args: string[];
  /** Flags for `deno run` besides `-A` (e.g. `--deny-ffi`). */
  denoFlags?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /**
   * Matches the standard output once the server is ready; its first group
   * (or the whole match) becomes {@link ServerProcess.ready}.
   */
  ready: RegExp;
  /**
   * Where the standard error goes: to the test's (default), or kept for
   * {@link ServerProcess.errors}.
   */
  stderr?: "inherit" | "keep";
  /** Print the output after the ready line (default: only keep its {@link ServerProcess.log}). */
  echo?: boolean;
}

/** A running server process. */
export interface ServerProcess extends AsyncDisposable {
  readonly child: Deno.ChildProcess;
  /** What {@link ServerProcessOptions.ready} captured (an URL, a JSON line). */
  readonly ready: string;
  /** The standard output up to and including the ready line. */
  readonly output: string;
  /** The last {@link MAX_LOG_LINES} lines of standard output after the ready line. */
  readonly log: readonly string[];
  /** The exit code once the process has exited, else null. */
  readonly exitCode: number | null;
  /** The last 2,000 characters of standard error, with `stderr: "keep"`. */
  readonly errors: string;
  /** Sends `signal` (default SIGTERM) and waits for the exit; idempotent. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/**
 * Spawns the server and resolves once its output matches `ready`.
 *
 * @throws {Error} `The server process ended before it was ready` (with its
 * output) when it exits first; the process is then stopped.
 */
export async function startServerProcess(
  options: ServerProcessOptions,
): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...(options.denoFlags ?? []),
      options.script ?? MAIN,
      ...options.args,
    ],
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdout: "piped",
    stderr: options.stderr === "keep" ? "piped" : "inherit",
  }).spawn();
  let exitCode: number | null = null;
  void child.status.then((s) => (exitCode = s.code));
  let errors = "";
  if (options.stderr === "keep") {
    void (async () => {
      for await (
        const text of child.stderr.pipeThrough(new TextDecoderStream())
      ) {
        errors = (errors + text).slice(-2000);
      }
    })().catch(() => {});
  }
  let stopped: Promise<Deno.CommandStatus> | undefined;
  const stop = (signal: Deno.Signal = "SIGTERM") => {
    if (stopped === undefined) {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
      stopped = child.status;
    }
    return stopped;
  };

  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let output = "";
  let ready: string | undefined;
  try {
    while (ready === undefined) {
      const { value, done } = await reader.read();
      if (done) {
        throw new Error(
          `The server process ended before it was ready: ${output}${errors}`,
        );
      }
      output += value;
      const m = options.ready.exec(output);
      if (m) ready = m[1] ?? m[0];
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const log: string[] = [];
  const end = options.ready.exec(output)!;
  let partial = output.slice(end.index + end[0].length).replace(
    /^[^\n]*\n?/,
    "",
  );
  const keep = (text: string) => {
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    log.push(...lines);
    if (log.length > MAX_LOG_LINES) log.splice(0, log.length - MAX_LOG_LINES);
  };
  keep("");
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      keep(value);
      if (options.echo) console.log(value);
    }
  })().catch(() => {});
  return {
    child,
    ready,
    output,
    log,
    get exitCode() {
      return exitCode;
    },
    get errors() {
      return errors;
    },
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}
