import assert from "node:assert/strict";
import { join } from "node:path";
import type { StatefulToken } from "./stateful_token.ts";
import { TokenStore, TokenStoreError } from "./token_store.ts";

const NOW = Date.parse("2026-07-28T14:00:00Z");
const DAY = 24 * 3600_000;

async function withStore(
  run: (
    store: TokenStore,
    context: { dir: string; logs: string[] },
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "nereid-tokens-" });
  const logs: string[] = [];
  try {
    await run(new TokenStore({ dataDir: dir, log: (m) => logs.push(m) }), {
      dir,
      logs,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function token(
  name: string,
  fields: Partial<StatefulToken> = {},
): StatefulToken {
  return {
    token: name,
    group: "night-watch",
    includeSubgroups: false,
    permissions: ["present", "message"],
    expires: NOW + DAY,
    ...fields,
  };
}

Deno.test("TokenStore reads a file written by Galène", async () => {
  await withStore(async (store, { dir }) => {
    await Deno.mkdir(join(dir, "var"));
    await Deno.writeTextFile(
      join(dir, "var", "tokens.jsonl"),
      '{"token":"hR8x2kQp0aE","group":"night-watch","username":"carrot","permissions":["present","message"],"expires":"2026-07-29T14:00:00Z","issuedAt":"2026-07-28T14:00:00Z","issuedBy":"vimes"}\n' +
        '{"token":"root","group":"","includeSubgroups":true,"permissions":["admin"],"expires":"2027-01-01T00:00:00+01:00"}\n',
    );
    const found = await store.get("hR8x2kQp0aE");
    assert.deepEqual(found, {
      token: "hR8x2kQp0aE",
      group: "night-watch",
      includeSubgroups: false,
      username: "carrot",
      permissions: ["present", "message"],
      expires: NOW + DAY,
      issuedAt: NOW,
      issuedBy: "vimes",
    });
    assert.deepEqual((await store.list("")).map((t) => t.token), ["root"]);
    assert.equal((await store.list()).length, 2);
  });
});

Deno.test("TokenStore.add() writes Galène's format with owner-only permissions", async () => {
  await withStore(async (store) => {
    await store.add(token("a", { username: "carrot", issuedBy: "vimes" }));
    const text = await Deno.readTextFile(store.file);
    assert.equal(
      text,
      '{"token":"a","group":"night-watch","username":"carrot","permissions":["present","message"],"expires":"2026-07-29T14:00:00Z","issuedBy":"vimes"}\n',
    );
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(store.file)).mode! & 0o777, 0o600);
    }
  });
});

Deno.test("TokenStore.add() makes an existing token file owner-only again", async () => {
  if (Deno.build.os === "windows") return;
  await withStore(async (store, { dir }) => {
    await Deno.mkdir(join(dir, "var"));
    await Deno.writeTextFile(store.file, "");
    await Deno.chmod(store.file, 0o644);
    await store.add(token("a"));
    assert.equal((await Deno.stat(store.file)).mode! & 0o777, 0o600);
  });
});

Deno.test("TokenStore.add() rejects a duplicate name", async () => {
  await withStore(async (store) => {
    await store.add(token("a"));
    await assert.rejects(
      () => store.add(token("a", { group: "day-watch" })),
      (e) => e instanceof TokenStoreError && e.reason === "exists",
    );
    assert.equal((await store.get("a"))?.group, "night-watch");
  });
});

Deno.test("TokenStore.add() rejects a token that would not read back", async () => {
  await withStore(async (store) => {
    await assert.rejects(
      () => store.add(token("a", { username: "../etc" })),
      TypeError,
    );
    assert.deepEqual(await store.list(), []);
  });
});

Deno.test("TokenStore keeps all of 50 parallel adds", async () => {
  await withStore(async (store, { dir }) => {
    const names = Array.from({ length: 50 }, (_, i) => `token-${i}`);
    await Promise.all(names.map((name) => store.add(token(name))));
    assert.deepEqual(
      (await store.list()).map((t) => t.token).sort(),
      [...names].sort(),
    );
    const fresh = new TokenStore({ dataDir: dir, log: () => {} });
    assert.equal((await fresh.list()).length, 50);
    const leftovers = [...Deno.readDirSync(join(dir, "var"))].map((e) =>
      e.name
    );
    assert.deepEqual(leftovers, ["tokens.jsonl"]);
  });
});

Deno.test("TokenStore.update() serialises concurrent changes to one token", async () => {
  await withStore(async (store) => {
    await store.add(token("a", { expires: NOW }));
    await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          store.update(
            "a",
            (t) => ({ ...t, expires: (t.expires ?? 0) + 1000 }),
          ),
      ),
    );
    assert.equal((await store.get("a"))?.expires, NOW + 20_000);
  });
});

Deno.test("TokenStore.update() leaves the file alone when the change throws", async () => {
  await withStore(async (store) => {
    await store.add(token("a"));
    const before = await Deno.readTextFile(store.file);
    await assert.rejects(
      () =>
        store.update("a", () => {
          throw new TypeError("Cannot edit token: no");
        }),
      /no/,
    );
    await assert.rejects(
      () => store.update("a", (t) => ({ ...t, token: "b" })),
      /name cannot change/,
    );
    await assert.rejects(
      () => store.update("missing", (t) => t),
      (e) => e instanceof TokenStoreError && e.reason === "not-found",
    );
    assert.equal(await Deno.readTextFile(store.file), before);
  });
});

Deno.test("TokenStore.delete() removes a token and reports a missing one", async () => {
  await withStore(async (store) => {
    await store.add(token("a"));
    await store.add(token("b"));
    await store.delete("a");
    assert.deepEqual((await store.list()).map((t) => t.token), ["b"]);
    await assert.rejects(
      () => store.delete("a"),
      (e) => e instanceof TokenStoreError && e.reason === "not-found",
    );
  });
});

Deno.test("TokenStore.purge() drops only tokens expired for more than seven days", async () => {
  await withStore(async (store) => {
    await store.add(token("old", { expires: NOW - 7 * DAY - 1 }));
    await store.add(token("recent", { expires: NOW - 7 * DAY + 1 }));
    await store.add(token("valid"));
    const { expires: _, ...forever } = token("forever");
    await store.add(forever);
    assert.equal(await store.purge(NOW), 1);
    assert.deepEqual(
      (await store.list()).map((t) => t.token).sort(),
      ["forever", "recent", "valid"],
    );
    assert.equal(await store.purge(NOW), 0);
  });
});

Deno.test("TokenStore sees an edit made to the file by another process", async () => {
  await withStore(async (store) => {
    await store.add(token("a"));
    assert.ok(await store.get("a"));
    await Deno.writeTextFile(
      store.file,
      '{"token":"b","group":"g","permissions":[],"expires":"2030-01-01T00:00:00Z"}\n',
    );
    assert.equal(await store.get("a"), undefined);
    assert.equal((await store.get("b"))?.group, "g");
  });
});

Deno.test("TokenStore skips a malformed line, naming the file and line, and keeps it", async () => {
  await withStore(async (store, { dir, logs }) => {
    await Deno.mkdir(join(dir, "var"));
    const bad1 = '{"token":"secret-1","group":';
    const bad2 = '{"token":"secret-2","permissions":["wizard"]}';
    await Deno.writeTextFile(
      store.file,
      `${bad1}\n\n${bad2}\n{"token":"ok","expires":"2030-01-01T00:00:00Z"}\n`,
    );
    assert.deepEqual((await store.list()).map((t) => t.token), ["ok"]);
    assert.equal(logs.length, 2);
    assert.match(logs[0]!, /tokens\.jsonl:1: not valid JSON/);
    assert.match(logs[1]!, /tokens\.jsonl:3: "permissions" contains unknown/);
    assert.ok(logs.every((line) => !line.includes("secret")));

    await store.add(token("new"));
    const lines = (await Deno.readTextFile(store.file)).trim().split("\n");
    assert.ok(lines.includes(bad1) && lines.includes(bad2));
  });
});

Deno.test("TokenStore.etag() is empty without a file and changes with every write", async () => {
  await withStore(async (store) => {
    assert.equal(await store.etag(), "");
    await store.add(token("a"));
    let previous = await store.etag();
    assert.match(previous, /^"\d+-\d+/);
    // Same-size rewrites, likely within one millisecond: the new file's
    // inode still tells each version from the one before.
    for (let i = 0; i < 10; i++) {
      await store.update("a", (t) => ({ ...t, expires: NOW + DAY + (i % 2) }));
      const etag = await store.etag();
      assert.notEqual(etag, previous);
      previous = etag;
    }
  });
});

Deno.test("TokenStore refuses a write whose ifMatch is stale", async () => {
  await withStore(async (store) => {
    await store.add(token("a"));
    const etag = await store.etag();
    await store.add(token("b"), { ifMatch: etag });
    await assert.rejects(
      () => store.delete("a", { ifMatch: etag }),
      (e) => e instanceof TokenStoreError && e.reason === "precondition",
    );
    await assert.rejects(
      () => store.add(token("c"), { ifMatch: "" }),
      (e) => e instanceof TokenStoreError && e.reason === "precondition",
    );
    assert.ok(await store.get("a"));
  });
});

Deno.test("TokenStore returns copies that cannot alter its state", async () => {
  await withStore(async (store) => {
    await store.add(token("a"));
    const got = await store.get("a");
    got!.permissions.push("op");
    got!.group = "elsewhere";
    assert.deepEqual(await store.get("a"), token("a"));
  });
});

Deno.test("two processes adding tokens to one file at once lose none (edges sharing data/)", async () => {
  await withStore(async (_store, { dir }) => {
    const storeUrl = new URL("./token_store.ts", import.meta.url).href;
    const writer = (prefix: string) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          `import { TokenStore } from ${JSON.stringify(storeUrl)};
const store = new TokenStore({ dataDir: ${
            JSON.stringify(dir)
          }, log: () => {} });
for (let i = 0; i < 40; i++) {
  await store.add({ token: "${prefix}" + i, group: "g", includeSubgroups: false,
    permissions: ["present"], expires: Date.now() + 3600_000 });
}`,
        ],
        stdout: "null",
        stderr: "inherit",
      }).output();
    const results = await Promise.all([writer("a"), writer("b")]);
    for (const r of results) assert.equal(r.code, 0);
    const store = new TokenStore({ dataDir: dir, log: () => {} });
    assert.equal((await store.list()).length, 80);
  });
});
