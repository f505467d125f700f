import { ok, strictEqual } from "node:assert/strict";

// A separate process, since the guard is process-wide and an uncaught
// exception without it ends the process: that is what is checked.
async function runScript(guarded: boolean): Promise<Deno.CommandOutput> {
  const guard = new URL("./process_guard.ts", import.meta.url).href;
  const script = `
    import { EventEmitter } from "node:events";
    import { installProcessGuard } from ${JSON.stringify(guard)};
    if (${guarded}) installProcessGuard((line) => console.log(line));
    setTimeout(() => { throw new Error("thrown from a timer"); }, 1);
    Promise.reject(new Error("rejected with no handler"));
    setTimeout(() => new EventEmitter().emit("error", new Error("emitted")), 5);
    setTimeout(() => console.log("still serving"), 50);
  `;
  return await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
}

Deno.test("with the process guard an uncaught exception, a rejection and an emitter's error are logged and the process goes on", async () => {
  const out = await runScript(true);
  const stdout = new TextDecoder().decode(out.stdout);
  strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
  ok(
    stdout.includes(
      "uncaught exception (a bug; the server keeps running): Error: thrown from a timer",
    ),
    stdout,
  );
  ok(
    stdout.includes(
      "unhandled rejection (a bug; the server keeps running): Error: rejected with no handler",
    ),
    stdout,
  );
  ok(stdout.includes("Error: emitted"), stdout);
  ok(stdout.trimEnd().endsWith("still serving"), stdout);
});

Deno.test("without the process guard the same script ends the process", async () => {
  const out = await runScript(false);
  ok(out.code !== 0);
  ok(!new TextDecoder().decode(out.stdout).includes("still serving"));
});
