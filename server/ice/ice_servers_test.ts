import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { createHmac } from "node:crypto";
import { join } from "node:path";
import {
  IceServers,
  parseIceServers,
  resolveIceServer,
} from "./ice_servers.ts";

Deno.test("parseIceServers accepts a single URL string and plain credentials", () => {
  const [e] = parseIceServers([{ urls: "stun:stun.example:3478" }], "f");
  deepStrictEqual(e, { urls: ["stun:stun.example:3478"], credentialType: "" });
});

Deno.test("parseIceServers names the entry that is wrong", () => {
  throws(() => parseIceServers([{ urls: 3 }], "ice.json"), /ice.json: entry 0/);
  throws(
    () => parseIceServers([{ urls: [], credentialType: "x" }], "f"),
    /credentialType/,
  );
  throws(() => parseIceServers({}, "f"), /must be a list/);
});

Deno.test("resolveIceServer computes coturn's time-limited credentials", () => {
  const now = 1_700_000_000_000;
  const s = resolveIceServer({
    urls: ["turn:t.example"],
    username: "galene",
    credential: "secret",
    credentialType: "hmac-sha1",
  }, now);
  const expectedUser = `${1_700_000_000 + 86400}:galene`;
  strictEqual(s.username, expectedUser);
  strictEqual(
    s.credential,
    createHmac("sha1", "secret").update(expectedUser).digest("base64"),
  );
});

/** Replaces `file` as an editor would: a new file renamed over the old. */
async function replace(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, file);
}

Deno.test("IceServers computes time-limited credentials at each call and follows the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nereid-ice-" });
  const file = join(dir, "ice-servers.json");
  const logs: string[] = [];
  let now = 1_700_000_000_000;
  const ice = new IceServers({
    file,
    log: (m) => logs.push(m),
    now: () => now,
  });
  try {
    await ice.refresh();
    deepStrictEqual(ice.current(), [], "no file, no servers");

    const turn = {
      urls: "turn:t.example",
      username: "galene",
      credential: "secret",
      credentialType: "hmac-sha1",
    };
    await replace(file, JSON.stringify([turn]));
    await ice.refresh();
    strictEqual(ice.current()[0]!.username, `${1_700_000_000 + 86400}:galene`);
    now += 25 * 3600 * 1000;
    const later = ice.current()[0]!;
    strictEqual(later.username, `${1_700_000_000 + 25 * 3600 + 86400}:galene`);
    strictEqual(
      later.credential,
      createHmac("sha1", "secret").update(later.username!).digest("base64"),
    );

    await replace(file, JSON.stringify([{ urls: "stun:s.example" }]));
    await ice.refresh();
    deepStrictEqual(ice.current(), [{ urls: ["stun:s.example"] }]);

    await replace(file, "[{");
    await ice.refresh();
    await ice.refresh();
    deepStrictEqual(
      ice.current(),
      [{ urls: ["stun:s.example"] }],
      "a broken file keeps the previous list",
    );
    strictEqual(logs.filter((l) => l.includes("invalid JSON")).length, 1);

    await Deno.remove(file);
    await ice.refresh();
    deepStrictEqual(ice.current(), [], "the file removed, no servers");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
