import assert from "node:assert/strict";
import { join } from "node:path";
import { FileCache } from "./file_cache.ts";

async function withTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "nereid-cache-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("FileCache.read() parses once and again only after the file changes", async () => {
  await withTempDir(async (dir) => {
    let parses = 0;
    const cache = new FileCache({
      parse: (json) => {
        parses++;
        return json;
      },
    });
    const path = join(dir, "a.json");
    await Deno.writeTextFile(path, `{"v": 1}`);
    const first = await cache.read(path);
    assert.ok(first.state === "ok" && first.fresh);
    assert.deepEqual(first.value, { v: 1 });
    const second = await cache.read(path);
    assert.ok(second.state === "ok" && !second.fresh);
    assert.equal(parses, 1);

    // Same size, so only the timestamps tell the versions apart.
    await Deno.writeTextFile(path, `{"v": 2}`);
    await Deno.utime(path, new Date(), new Date(Date.now() + 5000));
    const third = await cache.read(path);
    assert.ok(third.state === "ok" && third.fresh);
    assert.deepEqual(third.value, { v: 2 });
    assert.equal(parses, 2);
  });
});

Deno.test("FileCache.read() reports a bad file as fresh exactly once per change", async () => {
  await withTempDir(async (dir) => {
    const cache = new FileCache({
      parse: (json) => {
        if (typeof json !== "number") throw new TypeError("x: not a number");
        return json;
      },
    });
    const path = join(dir, "a.json");
    await Deno.writeTextFile(path, `{"v": `);
    const results = await Promise.all([cache.read(path), cache.read(path)]);
    assert.deepEqual(results.map((r) => r.state), ["error", "error"]);
    assert.equal(
      results.filter((r) => r.state !== "missing" && r.fresh).length,
      1,
    );
    const broken = results[0];
    assert.ok(broken?.state === "error");
    assert.match(broken.error.message, /a\.json: invalid JSON/);

    await Deno.writeTextFile(path, `"text"`);
    const wrong = await cache.read(path);
    assert.ok(wrong.state === "error" && wrong.fresh);
    assert.equal(wrong.error.message, "x: not a number");
    assert.ok(wrong.error instanceof TypeError);
  });
});

Deno.test("FileCache.read() reports missing files and directories as missing", async () => {
  await withTempDir(async (dir) => {
    const cache = new FileCache({ parse: (json) => json });
    assert.deepEqual(await cache.read(join(dir, "none.json")), {
      state: "missing",
    });
    assert.deepEqual(await cache.read(dir), { state: "missing" });
    const path = join(dir, "a.json");
    await Deno.writeTextFile(path, "1");
    assert.equal((await cache.read(path)).state, "ok");
    await Deno.remove(path);
    assert.equal((await cache.read(path)).state, "missing");
    assert.equal(cache.size, 0);
  });
});

Deno.test("FileCache.read() reports a name too long for the file system as missing, and keeps nothing", async () => {
  await withTempDir(async (dir) => {
    const cache = new FileCache({ parse: (json) => json });
    for (let i = 0; i < 20; i++) {
      const result = await cache.read(join(dir, `${i}`.padEnd(300, "a")));
      assert.equal(result.state, "missing");
    }
    assert.equal(cache.size, 0);
  });
});

Deno.test("FileCache.read() never keeps a path it could not stat", async () => {
  await withTempDir(async (dir) => {
    // Every path under a symbolic link to itself fails with ELOOP.
    await Deno.symlink(join(dir, "loop"), join(dir, "loop"));
    const cache = new FileCache({ parse: (json) => json });
    for (let i = 0; i < 20; i++) {
      const result = await cache.read(join(dir, "loop", `${i}.json`));
      assert.ok(result.state === "error" && result.fresh);
    }
    assert.equal(cache.size, 0);
  });
});

Deno.test("FileCache holds at most maxEntries files, dropping the least recently read", async () => {
  await withTempDir(async (dir) => {
    const cache = new FileCache({ parse: (json) => json, maxEntries: 3 });
    for (const name of ["a", "b", "c", "d"]) {
      await Deno.writeTextFile(join(dir, `${name}.json`), `"${name}"`);
    }
    for (const name of ["a", "b", "c", "a", "d"]) {
      await cache.read(join(dir, `${name}.json`));
    }
    assert.equal(cache.size, 3);
    // "b" went; "a", read again, stayed.
    const a = await cache.read(join(dir, "a.json"));
    assert.ok(a.state === "ok" && !a.fresh);
    const b = await cache.read(join(dir, "b.json"));
    assert.ok(b.state === "ok" && b.fresh);
  });
});
