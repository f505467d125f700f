/**
 * The fast tier, `deno task test:unit`: the unit tests beside the code,
 * which need nothing but Deno (no apt package, browser, cargo, Redis or
 * network namespace). `deno task test` stays the full suite.
 *
 * Every `*_test.ts` under {@link FOLDERS} runs, so a new test beside the
 * code is picked up by itself, except the ones in {@link NEEDS_MORE}. A test
 * that is not in that list but looks as if it needs more than Deno (it
 * starts `redis-server`, a browser, cargo, ffmpeg, strace or a network
 * namespace) stops the run with its name: add it to the list, with what it
 * needs. Arguments are passed on to `deno test` (e.g. `--filter NAME`).
 *
 * @example
 * ```sh
 * deno task test:unit
 * deno task test:unit --filter TokenStore
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Where the unit tests live, beside the code they test. */
const FOLDERS = ["server", "client", "media-wasm", "bench"];

/** Folders never walked (dependencies and build output). */
const SKIPPED = new Set(["node_modules", "target"]);

/** Tests beside the code that need more than Deno: the full suite runs them. */
const NEEDS_MORE: Readonly<Record<string, string>> = {
  "media-wasm/rust_test.ts": "cargo",
  "server/cluster/group_events_test.ts": "redis-server",
  "server/cluster/group_placement_test.ts": "redis-server",
  "server/cluster/media_node_registry_test.ts": "redis-server",
  "server/cluster/redis_connection_test.ts": "redis-server",
  "server/cluster/redis_scripts_test.ts": "redis-server",
  "server/cluster/shared_chat_history_test.ts": "redis-server",
};

/** What in a test's source shows that it needs more than Deno. */
const NEEDS_MORE_SIGNS =
  /redis_server\.ts|playwright|chromium|firefox|netns\.ts|unshare|\/usr\/s?bin\/|\b(cargo|ffmpeg|ffprobe|strace|turnutils)\b/;

/** The `*_test.ts` files under `dir`, relative to the repository, sorted. */
async function testFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && !SKIPPED.has(entry.name)) {
      found.push(...await testFiles(path));
    } else if (entry.isFile && entry.name.endsWith("_test.ts")) {
      found.push(path);
    }
  }
  return found.sort();
}

const all = (await Promise.all(FOLDERS.map(testFiles))).flat();
for (const listed of Object.keys(NEEDS_MORE)) {
  if (!all.includes(listed)) {
    console.error(`tests/unit.ts: ${listed} is listed but does not exist`);
    Deno.exit(1);
  }
}
const fast = all.filter((file) => !(file in NEEDS_MORE));
const suspects: string[] = [];
for (const file of fast) {
  if (NEEDS_MORE_SIGNS.test(await Deno.readTextFile(join(ROOT, file)))) {
    suspects.push(file);
  }
}
if (suspects.length > 0) {
  console.error(
    "tests/unit.ts: these tests look as if they need more than Deno; " +
      "add them to NEEDS_MORE (or tell the pattern otherwise):\n  " +
      suspects.join("\n  "),
  );
  Deno.exit(1);
}

console.log(
  `Unit tests: ${fast.length} files; ${
    all.length - fast.length
  } that need more than Deno are left to \`deno task test\`.`,
);
const status = await new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", ...Deno.args, ...fast],
  cwd: ROOT,
  stdin: "null",
}).spawn().status;
Deno.exit(status.code);
