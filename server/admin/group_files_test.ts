import assert from "node:assert/strict";
import { join } from "node:path";
import { DescriptionStore } from "../config/description_store.ts";
import { GroupFiles } from "./group_files.ts";

async function withFiles(
  test: (files: GroupFiles, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const store = new DescriptionStore({ groupsDir: dir, log: () => {} });
    await test(new GroupFiles({ store }), dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("GroupFiles reads a missing file with the empty tag", async () => {
  await withFiles(async (files) => {
    assert.deepEqual(await files.read("a"), { state: "missing", etag: "" });
  });
});

Deno.test("GroupFiles.change() writes, tags and reads back a description", async () => {
  await withFiles(async (files, dir) => {
    const created = await files.change("a/b", (current) => {
      assert.equal(current.state, "missing");
      return {
        ...emptyDescription(),
        displayName: "B",
      };
    });
    assert.equal(created.created, true);
    assert.deepEqual(
      JSON.parse(await Deno.readTextFile(join(dir, "a", "b.json"))),
      { displayName: "B" },
    );
    const read = await files.read("a/b");
    assert.equal(read.state, "ok");
    assert.equal(read.etag, created.etag);
    const deleted = await files.change("a/b", () => null);
    assert.equal(deleted.etag, "");
    assert.equal((await files.read("a/b")).state, "missing");
  });
});

Deno.test("GroupFiles.change() runs changes of one file one at a time", async () => {
  await withFiles(async (files) => {
    await files.change("a", () => emptyDescription());
    const seen: string[] = [];
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        files.change("a", async (current) => {
          seen.push(current.etag);
          await new Promise((r) => setTimeout(r, 2));
          return { ...emptyDescription(), maxClients: i + 1 };
        })),
    );
    // Every change saw the file its predecessor wrote.
    assert.equal(new Set(seen).size, 5);
  });
});

Deno.test("GroupFiles reports a broken file and refuses names that leave the directory", async () => {
  await withFiles(async (files, dir) => {
    await Deno.writeTextFile(join(dir, "x.json"), '{"unknown": 1}');
    const read = await files.read("x");
    assert.equal(read.state, "invalid");
    for (const name of ["../x", "a/../../x", "/etc/passwd", "a\\b", ""]) {
      assert.throws(() => files.fileOf(name), RangeError, name);
    }
  });
});

function emptyDescription() {
  return {
    users: Object.create(null),
    fallbackUsers: [],
    authKeys: [],
    public: false,
    displayName: "",
    description: "",
    contact: "",
    comment: "",
    maxClients: 0,
    maxHistoryAge: 14400,
    allowRecording: false,
    unrestrictedTokens: false,
    autoSubgroups: false,
    autolock: false,
    autokick: false,
    codecs: ["vp8" as const, "opus" as const],
    allowAnonymous: false,
    warnings: [],
  };
}
