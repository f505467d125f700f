import assert from "node:assert/strict";
import { join } from "node:path";
import {
  defaultCtlConfigFile,
  loadCtlConfig,
  userConfigDir,
} from "./ctl_config.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("userConfigDir() follows XDG on Linux, Library on macOS, AppData on Windows", () => {
  assert.equal(userConfigDir(env({ HOME: "/h" }), "linux"), "/h/.config");
  assert.equal(
    userConfigDir(env({ HOME: "/h", XDG_CONFIG_HOME: "/x" }), "linux"),
    "/x",
  );
  assert.equal(
    userConfigDir(env({ HOME: "/h" }), "darwin"),
    "/h/Library/Application Support",
  );
  assert.equal(userConfigDir(env({ AppData: "C:\\A" }), "windows"), "C:\\A");
  assert.throws(() => userConfigDir(env({}), "linux"), /HOME/);
  assert.equal(
    defaultCtlConfigFile(env({ HOME: "/h" }), "linux"),
    "/h/.config/nereid/nereidctl.json",
  );
});

Deno.test("loadCtlConfig() reads the file and tolerates a missing default", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = join(dir, "c.json");
    assert.deepEqual(await loadCtlConfig(file, { required: false }), {});
    await assert.rejects(
      loadCtlConfig(file, { required: true }),
      /Cannot read/,
    );
    await Deno.writeTextFile(file, '{"server":"https://x","admin-token":"t"}');
    assert.deepEqual(await loadCtlConfig(file, { required: true }), {
      server: "https://x",
      "admin-token": "t",
    });
    await Deno.writeTextFile(file, '{"serve":"x"}');
    await assert.rejects(
      loadCtlConfig(file, { required: true }),
      /unknown key/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
