import assert from "node:assert/strict";
import { join } from "node:path";
import { removeFileDurably, writeFileAtomically } from "./atomic_file.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("writeFileAtomically() creates directories 0700 and files 0600", async () => {
  const root = await Deno.makeTempDir();
  try {
    const file = join(root, "a", "b", "c.json");
    await writeFileAtomically(file, bytes("{}\n"));
    assert.equal(await Deno.readTextFile(file), "{}\n");
    assert.equal((await Deno.stat(join(root, "a", "b"))).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    assert.deepEqual([...Deno.readDirSync(join(root, "a", "b"))].length, 1);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("writeFileAtomically() keeps an existing file's mode and replaces its inode", async () => {
  const root = await Deno.makeTempDir();
  try {
    const file = join(root, "g.json");
    await Deno.writeTextFile(file, "old");
    await Deno.chmod(file, 0o640);
    const before = await Deno.stat(file);
    await writeFileAtomically(file, bytes("new"));
    const after = await Deno.stat(file);
    assert.equal(await Deno.readTextFile(file), "new");
    assert.equal(after.mode! & 0o777, 0o640);
    assert.notEqual(after.ino, before.ino);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("writeFileAtomically() with replaceMode gives an existing file the mode asked for", async () => {
  if (Deno.build.os === "windows") return;
  const root = await Deno.makeTempDir();
  try {
    const file = join(root, "secret");
    await Deno.writeTextFile(file, "old");
    await Deno.chmod(file, 0o644);
    await writeFileAtomically(file, bytes("new"), {
      mode: 0o600,
      replaceMode: true,
    });
    assert.equal(await Deno.readTextFile(file), "new");
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("writeFileAtomically() leaves the old file and no temporary when it fails", async () => {
  const root = await Deno.makeTempDir();
  try {
    const file = join(root, "g.json");
    // A directory where the file should be makes the rename fail.
    await Deno.mkdir(file);
    await assert.rejects(writeFileAtomically(file, bytes("x")));
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), [
      "g.json",
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("removeFileDurably() removes and reports a missing file", async () => {
  const root = await Deno.makeTempDir();
  try {
    const file = join(root, "g.json");
    await Deno.writeTextFile(file, "x");
    await removeFileDurably(file);
    await assert.rejects(removeFileDurably(file), Deno.errors.NotFound);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
