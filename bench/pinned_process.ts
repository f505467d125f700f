/**
 * A Deno child process pinned to one core with `taskset`, spoken to in JSON
 * lines over stdin/stdout.
 *
 * @module
 */

/** Options of {@link PinnedProcess.spawn}. */
export interface PinnedOptions {
  /** The core, as `taskset -c` takes it. */
  core: number;
  /** The script and its arguments after `deno run -A`. */
  args: string[];
  /** Where the child's stderr goes. */
  stderr: "inherit" | "null";
}

/** A running child; {@link stop} ends it. */
export class PinnedProcess {
  readonly #child: Deno.ChildProcess;
  readonly #lines: AsyncIterator<string>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #encoder = new TextEncoder();

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#lines = readLines(child.stdout)[Symbol.asyncIterator]();
    this.#writer = child.stdin.getWriter();
  }

  /** Starts `taskset -c CORE deno run -A ARGS…`. */
  static spawn(options: PinnedOptions): PinnedProcess {
    const child = new Deno.Command("taskset", {
      args: [
        "-c",
        String(options.core),
        Deno.execPath(),
        "run",
        "-A",
        ...options.args,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: options.stderr,
    }).spawn();
    return new PinnedProcess(child);
  }

  /** taskset execs deno, so this is the Deno process's id. */
  get pid(): number {
    return this.#child.pid;
  }

  /**
   * The next JSON line the child prints (other lines are echoed to stderr).
   * @throws Error when the child exits first or `timeoutMs` passes
   */
  async message<T>(timeoutMs: number): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`No answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      for (;;) {
        const next = await Promise.race([this.#lines.next(), timeout]);
        if (next.done) throw new Error("The child process exited");
        const line = next.value.trim();
        if (line.startsWith("{")) return JSON.parse(line) as T;
        if (line !== "") console.error(line);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends one JSON line. */
  async send(message: Record<string, unknown>): Promise<void> {
    await this.#writer.write(
      this.#encoder.encode(`${JSON.stringify(message)}\n`),
    );
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  async stop(graceMs = 4000): Promise<void> {
    await this.#writer.close().catch(() => {});
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, graceMs);
    await this.#child.status;
    clearTimeout(timer);
  }
}

async function* readLines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let at;
    while ((at = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
    }
  }
  if (buffered !== "") yield buffered;
}
