/** nereidctl against a real server: every API-backed subcommand. */

import assert from "node:assert/strict";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { ctlMain } from "../../server/ctl/ctl_main.ts";
import { ADMIN, startAdminServer } from "./admin_server.ts";

function runner(url: string, home: string) {
  return async (args: string[], stdin = "") => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await ctlMain(
      [
        "-server",
        url,
        "-admin-username",
        ADMIN.username,
        "-admin-password",
        ADMIN.password,
        ...args,
      ],
      {
        stdout: (t) => void out.push(t),
        stderr: (t) => void err.push(t),
        readStdin: () => Promise.resolve(stdin),
        env: (name) => (name === "HOME" ? home : undefined),
        os: "linux",
      },
    );
    return { code, out: out.join(""), err: err.join("") };
  };
}

Deno.test("nereidctl manages groups, users, passwords and tokens on a real server", async () => {
  const t = await startAdminServer({ groups: { existing: {} } });
  const home = await Deno.makeTempDir();
  const ctl = runner(t.url, home);
  try {
    let r = await ctl(["create-group", "-group", "club", "-auto-subgroups"]);
    assert.equal(r.code, 0, r.err);
    r = await ctl(["create-group", "-group", "club"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /412/);
    r = await ctl(
      ["update-group", "-group", "club", "-json"],
      '{"displayName":"Club","auto-subgroups":null}',
    );
    assert.equal(r.code, 0, r.err);
    r = await ctl(["show-group", "-group", "club"]);
    assert.deepEqual(JSON.parse(r.out), { displayName: "Club" });
    r = await ctl(["list-groups"]);
    assert.equal(r.out, "club\nexisting\n");

    r = await ctl([
      "create-user",
      "-group",
      "club",
      "-user",
      "bob",
      "-permissions",
      "op",
    ]);
    assert.equal(r.code, 0, r.err);
    r = await ctl([
      "create-user",
      "-group",
      "club",
      "-wildcard",
      "-permissions",
      "observe",
    ]);
    assert.equal(r.code, 0, r.err);
    r = await ctl([
      "update-user",
      "-group",
      "club",
      "-user",
      "bob",
      "-permissions",
      "present,message",
    ]);
    assert.equal(r.code, 0, r.err);
    r = await ctl([
      "set-password",
      "-group",
      "club",
      "-user",
      "bob",
      "-password",
      "pw",
      "-cost",
      "4",
    ]);
    assert.equal(r.code, 0, r.err);
    const file = await t.readGroup("club") as {
      users: { bob: { password: { key: string }; permissions: unknown } };
    };
    assert.ok(bcrypt.compareSync("pw", file.users.bob.password.key));
    assert.deepEqual(file.users.bob.permissions, ["present", "message"]);
    r = await ctl(["list-users", "-group", "club", "-l", "b*"]);
    assert.equal(r.out, 'bob ["present","message"]\n');
    r = await ctl(["delete-password", "-group", "club", "-user", "bob"]);
    assert.equal(r.code, 0, r.err);
    r = await ctl(["delete-user", "-group", "club", "-wildcard"]);
    assert.equal(r.code, 0, r.err);

    r = await ctl([
      "create-token",
      "-group",
      "club",
      "-user",
      "guest",
      "-duration",
      "2h",
    ]);
    assert.equal(r.code, 0, r.err);
    const name = r.out.trim();
    r = await ctl(["list-tokens", "-group", "club", "-l"]);
    assert.ok(r.out.startsWith(`${name} `));
    const listed = JSON.parse(r.out.slice(name.length + 1));
    assert.deepEqual(listed.permissions, ["present", "message"]);
    assert.equal(listed.username, "guest");
    r = await ctl([
      "update-token",
      "-group",
      "club",
      "-token",
      name,
      "-permissions",
      "message",
    ]);
    assert.equal(r.code, 0, r.err);
    r = await ctl(["revoke-token", "-group", "club", "-token", name]);
    assert.equal(r.code, 0, r.err);
    r = await ctl(["show-token", "-group", "club", "-token", name]);
    const revoked = JSON.parse(r.out);
    assert.ok(Date.parse(revoked.expires) < Date.now());
    assert.deepEqual(revoked.permissions, ["message"]);
    r = await ctl(["delete-token", "-group", "club", "-token", name]);
    assert.equal(r.code, 0, r.err);
    r = await ctl([
      "create-token",
      "-group",
      "",
      "-include-subgroups",
      "-permissions",
      "admin",
    ]);
    assert.equal(r.code, 0, r.err);
    r = await ctl(["list-tokens", "-group", ""]);
    assert.equal(r.out.trim().split("\n").length, 1);

    r = await ctl(["delete-group", "-group", "club"]);
    assert.equal(r.code, 0, r.err);
    r = await ctl(["show-group", "-group", "club"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /404/);
  } finally {
    await t.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("nereidctl reports bad credentials with exit status 1", async () => {
  const t = await startAdminServer();
  try {
    const err: string[] = [];
    const code = await ctlMain(
      [
        "-server",
        t.url,
        "-admin-username",
        "root",
        "-admin-password",
        "no",
        "list-groups",
      ],
      {
        stderr: (s) => void err.push(s),
        stdout: () => {},
        env: () => "/x",
        os: "linux",
      },
    );
    assert.equal(code, 1);
    assert.match(err.join(""), /401 not authorised/);
  } finally {
    await t.close();
  }
});

Deno.test("initial-setup writes both files, and nereidctl then works from its config", async () => {
  const t = await startAdminServer({ config: {} });
  const home = await Deno.makeTempDir();
  try {
    const serverConfig = join(home, "data", "config.json");
    const io = {
      stdout: () => {},
      stderr: () => {},
      env: (name: string) => (name === "HOME" ? home : undefined),
      os: "linux",
    };
    const code = await ctlMain([
      "-server",
      t.url,
      "-admin-username",
      "boss",
      "initial-setup",
      "-config",
      serverConfig,
    ], io);
    assert.equal(code, 0);
    const written = JSON.parse(await Deno.readTextFile(serverConfig));
    assert.equal(written.writableGroups, true);
    assert.match(written.users.boss.password.key, /^\$2[aby]\$12\$/);
    const ctlFile = join(home, ".config", "nereid", "nereidctl.json");
    const ctlConfig = JSON.parse(await Deno.readTextFile(ctlFile));
    assert.equal(ctlConfig.server, t.url);
    // Both hold a password (hashed in config.json): their owner's only.
    assert.equal((await Deno.stat(ctlFile)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(serverConfig)).mode! & 0o777, 0o600);
    // Refuses to overwrite.
    assert.equal(
      await ctlMain([
        "-admin-username",
        "boss",
        "initial-setup",
        "-config",
        serverConfig,
      ], io),
      1,
    );
    // The server picks the new config up; nereidctl reads its own file.
    await Deno.copyFile(serverConfig, join(t.dataDir, "config.json"));
    const out: string[] = [];
    assert.equal(
      await ctlMain(["create-group", "-group", "g"], {
        ...io,
        stdout: (s) => void out.push(s),
      }),
      0,
    );
    assert.equal(
      await ctlMain(["list-groups"], {
        ...io,
        stdout: (s) => void out.push(s),
      }),
      0,
    );
    assert.equal(out.join(""), "g\n");
  } finally {
    await t.close();
    await Deno.remove(home, { recursive: true });
  }
});
