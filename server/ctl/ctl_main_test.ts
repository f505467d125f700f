import assert from "node:assert/strict";
import { COMMANDS, ctlMain } from "./ctl_main.ts";

function capture(stdin = "") {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    options: {
      stdout: (t: string) => void out.push(t),
      stderr: (t: string) => void err.push(t),
      readStdin: () => Promise.resolve(stdin),
      env: (name: string) => name === "HOME" ? "/nonexistent-home" : undefined,
      os: "linux",
    },
  };
}

Deno.test("ctlMain() prints usage with --help (0) and without a command (2)", async () => {
  const help = capture();
  assert.equal(await ctlMain(["--help"], help.options), 0);
  assert.match(help.out.join(""), /Usage: nereidctl/);
  for (const name of Object.keys(COMMANDS)) {
    assert.ok(help.out.join("").includes(name), name);
  }
  const none = capture();
  assert.equal(await ctlMain([], none.options), 2);
  assert.match(none.err.join(""), /Usage/);
});

Deno.test("ctlMain() has --help for every command", async () => {
  for (const name of Object.keys(COMMANDS)) {
    const io = capture();
    assert.equal(await ctlMain([name, "--help"], io.options), 0, name);
    assert.match(
      io.out.join(""),
      new RegExp(`nereidctl \\[global flags\\] ${name}`),
    );
  }
});

Deno.test("ctlMain() exits 2 on usage errors", async () => {
  for (
    const args of [
      ["frobnicate"],
      ["-nope", "list-groups"],
      ["show-group"],
      ["create-user", "-group", "a"],
      ["create-user", "-group", "a", "-user", "b", "-wildcard"],
      ["create-token", "-group", "a", "-duration", "1 day"],
      ["create-user", "-group", "a", "-user", "b", "-permissions", "god"],
      ["hash-password", "-type", "rot13", "-password", "x"],
      ["show-group", "-group", "../etc"],
      ["initial-setup"],
    ]
  ) {
    const io = capture();
    assert.equal(await ctlMain(args, io.options), 2, args.join(" "));
    assert.match(io.err.join(""), /^nereidctl: /);
  }
});

Deno.test("hash-password prints a password entry from -password or stdin", async () => {
  const io = capture("secret\n");
  assert.equal(
    await ctlMain(
      ["hash-password", "-type", "pbkdf2", "-iterations", "10"],
      io.options,
    ),
    0,
  );
  const entry = JSON.parse(io.out.join(""));
  assert.equal(entry.type, "pbkdf2");
  assert.equal(entry.iterations, 10);
  assert.equal(entry.key.length, 64);
  const wildcard = capture();
  assert.equal(
    await ctlMain(["hash-password", "-type", "wildcard"], wildcard.options),
    0,
  );
  assert.deepEqual(JSON.parse(wildcard.out.join("")), { type: "wildcard" });
});

Deno.test("ctlMain() exits 1 when the server cannot be reached", async () => {
  const io = capture();
  const code = await ctlMain(
    ["-server", "http://127.0.0.1:1", "-admin-username", "a", "list-groups"],
    io.options,
  );
  assert.equal(code, 1);
  assert.match(io.err.join(""), /Cannot reach 127\.0\.0\.1:1/);
});
