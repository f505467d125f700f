import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { ConfigStore, DescriptionStore } from "./description_store.ts";

interface Fixture {
  dir: string;
  logs: string[];
  write: (relative: string, content: unknown) => Promise<void>;
}

async function withDir(
  run: (fixture: Fixture) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "nereid-groups-" });
  const logs: string[] = [];
  let tick = 0;
  const write = async (relative: string, content: unknown) => {
    const path = join(dir, relative);
    await Deno.mkdir(dirname(path), { recursive: true });
    const text = typeof content === "string"
      ? content
      : JSON.stringify(content);
    await Deno.writeTextFile(path, text);
    // Each write gets its own mtime, even within one timestamp tick.
    const later = new Date(Date.now() + ++tick * 1000);
    await Deno.utime(path, later, later);
  };
  try {
    await run({ dir, logs, write });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function store(f: Fixture): DescriptionStore {
  return new DescriptionStore({ groupsDir: f.dir, log: (m) => f.logs.push(m) });
}

Deno.test("DescriptionStore.get() sees an edit on disk without a restart", async () => {
  await withDir(async (f) => {
    const groups = store(f);
    await f.write("demo.json", { displayName: "Before" });
    const before = await groups.get("demo");
    assert.ok(before.ok);
    assert.equal(before.description.displayName, "Before");
    assert.equal(before.file, join(f.dir, "demo.json"));
    assert.equal((await groups.get("demo")).ok, true);

    await f.write("demo.json", { displayName: "After", "max-clients": 3 });
    const after = await groups.get("demo");
    assert.ok(after.ok);
    assert.equal(after.description.displayName, "After");
    assert.equal(after.description.maxClients, 3);
  });
});

Deno.test("DescriptionStore.get() reports an invalid file once and recovers when it is fixed", async () => {
  await withDir(async (f) => {
    const groups = store(f);
    await f.write("demo.json", { public: true, foo: 1 });
    for (let i = 0; i < 3; i++) {
      const lookup = await groups.get("demo");
      assert.ok(!lookup.ok);
      assert.equal(lookup.reason, "invalid");
      assert.match(lookup.message, /demo\.json: unknown key "foo"$/);
    }
    assert.equal(f.logs.length, 1);
    assert.match(f.logs[0] ?? "", /demo\.json: unknown key "foo"/);

    await f.write("demo.json", "{ not json");
    assert.equal((await groups.get("demo")).ok, false);
    assert.match(f.logs[1] ?? "", /demo\.json: invalid JSON/);

    await f.write("demo.json", { public: true });
    const fixed = await groups.get("demo");
    assert.ok(fixed.ok && fixed.description.public);
    assert.equal(f.logs.length, 2);
  });
});

Deno.test("DescriptionStore.get() finds subgroups in subdirectories", async () => {
  await withDir(async (f) => {
    const groups = store(f);
    await f.write("a/b.json", { displayName: "B" });
    const lookup = await groups.get("a/b");
    assert.ok(lookup.ok);
    assert.equal(lookup.description.displayName, "B");
    assert.equal(lookup.autoSubgroupOf, undefined);
    assert.equal((await groups.get("a")).ok, false);
    const missing = await groups.get("a/c");
    assert.ok(!missing.ok && missing.reason === "not-found");
  });
});

Deno.test("DescriptionStore.get() creates auto-subgroups from the nearest parent file", async () => {
  await withDir(async (f) => {
    const groups = store(f);
    await f.write("class.json", {
      "auto-subgroups": true,
      public: true,
      displayName: "Class",
      description: "All of it",
      users: { teacher: { password: "x", permissions: "op" } },
    });
    const sub = await groups.get("class/room/42");
    assert.ok(sub.ok);
    assert.equal(sub.autoSubgroupOf, "class");
    assert.equal(sub.file, join(f.dir, "class.json"));
    assert.equal(sub.description.public, false);
    assert.equal(sub.description.displayName, "");
    assert.equal(sub.description.description, "");
    assert.ok(Object.hasOwn(sub.description.users, "teacher"));

    // A nearer file without auto-subgroups hides the grandparent's grant.
    await f.write("class/room.json", {});
    const hidden = await groups.get("class/room/42");
    assert.ok(!hidden.ok && hidden.reason === "not-found");
    // And an invalid nearer file makes the subgroup invalid, not missing.
    await f.write("class/room.json", { "auto-subgroups": "yes" });
    const invalid = await groups.get("class/room/42");
    assert.ok(!invalid.ok && invalid.reason === "invalid");
  });
});

Deno.test("DescriptionStore.get() refuses unsafe names before touching the disk", async () => {
  await withDir(async (f) => {
    await f.write("secret.json", { public: true });
    await f.write("groups/x.json", {});
    const groups = new DescriptionStore({
      groupsDir: join(f.dir, "groups"),
      log: (m) => f.logs.push(m),
    });
    for (
      const name of ["../secret", "x/../../secret", ".hidden", "", "x/", "/x"]
    ) {
      const lookup = await groups.get(name);
      assert.ok(!lookup.ok && lookup.reason === "not-found", name);
      assert.match(lookup.message, /^Invalid group name/);
    }
    assert.equal((await groups.get("x")).ok, true);
  });
});

Deno.test("DescriptionStore.list() walks subdirectories and skips dot files", async () => {
  await withDir(async (f) => {
    const groups = store(f);
    assert.deepEqual(
      await new DescriptionStore({
        groupsDir: join(f.dir, "none"),
        log: () => {},
      })
        .list(),
      [],
    );
    await f.write("zeta.json", {});
    await f.write("alpha.json", {});
    await f.write("teaching/networking.json", {});
    await f.write("teaching/deep/er.json", {});
    await f.write(".hidden.json", {});
    await f.write(".git/config.json", {});
    await f.write("teaching/.draft.json", {});
    await f.write("README.txt", "hello");
    await Deno.symlink(join(f.dir, "alpha.json"), join(f.dir, "beta.json"));
    assert.deepEqual(await groups.list(), [
      "alpha",
      "beta",
      "teaching/deep/er",
      "teaching/networking",
      "zeta",
    ]);
    assert.deepEqual(f.logs, [
      `${join(f.dir, "README.txt")}: not a .json group file, ignored`,
    ]);
    await groups.list();
    assert.equal(f.logs.length, 1);
  });
});

Deno.test("ConfigStore.get() gives defaults, follows edits and keeps the last good config", async () => {
  await withDir(async (f) => {
    const config = new ConfigStore({
      dataDir: f.dir,
      log: (m) => f.logs.push(m),
    });
    assert.equal((await config.get()).writableGroups, false);

    await f.write("config.json", { writableGroups: true, admin: [] });
    assert.equal((await config.get()).writableGroups, true);
    assert.match(f.logs[0] ?? "", /"admin" is obsolete/);

    await f.write("config.json", { writableGroups: "yes" });
    assert.equal((await config.get()).writableGroups, true);
    assert.equal((await config.get()).writableGroups, true);
    assert.equal(f.logs.length, 2);
    assert.match(
      f.logs[1] ?? "",
      /config\.json: "writableGroups" must be a boolean \(keeping the previous configuration\)/,
    );

    await f.write("config.json", { allowOrigin: ["https://a.example"] });
    const fixed = await config.get();
    assert.deepEqual(fixed.allowOrigin, ["https://a.example"]);
    assert.equal(fixed.writableGroups, false);
  });
});

Deno.test("ConfigStore.get() uses defaults when the first version is invalid", async () => {
  await withDir(async (f) => {
    await f.write("config.json", "[]");
    const config = new ConfigStore({
      dataDir: f.dir,
      log: (m) => f.logs.push(m),
    });
    assert.equal((await config.get()).publicServer, false);
    assert.match(f.logs[0] ?? "", /using defaults/);
  });
});
