/**
 * As in Galène, group files are re-read when they change on disk, while
 * clients are connected.
 *
 * @module
 */

import { ok, strictEqual } from "node:assert/strict";
import { startTestServer } from "../support/test_server.ts";

const user = (permissions: unknown) => ({ password: "p", permissions });
const GROUP = {
  displayName: "Night Watch",
  users: { vimes: user("op"), carrot: user("present") },
};

function displayName(m: Record<string, unknown>): unknown {
  return (m["status"] as Record<string, unknown>)["displayName"];
}

Deno.test("a changed displayName on disk reaches connected clients and later joiners", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    await t.writeGroup("g", { ...GROUP, displayName: "City Watch" });
    for (const c of [vimes, carrot]) {
      const change = await c.nextOf("joined", "change");
      strictEqual(displayName(change), "City Watch");
      strictEqual(change["username"], c.username);
    }
    const later = await t.connect();
    await later.handshake();
    strictEqual(
      displayName(await later.join("g", "carrot", "p")),
      "City Watch",
    );
    const res = await fetch(`${t.url}/group/g/.status`);
    strictEqual((await res.json())["displayName"], "City Watch");
  } finally {
    await t.close();
  }
});

Deno.test("a user removed from the file on disk can no longer join", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    await t.writeGroup("g", { users: { vimes: user("op") } });
    await vimes.nextOf("joined", "change");
    const c = await t.connect();
    await c.handshake();
    strictEqual((await c.join("g", "carrot", "p"))["value"], "not authorised");
  } finally {
    await t.close();
  }
});

Deno.test("an edit that breaks the group file keeps the group running and the log names the key", async () => {
  const t = await startTestServer({ groups: { g: GROUP } });
  try {
    const vimes = await t.member("g", "vimes", "p");
    const carrot = await t.member("g", "carrot", "p");
    await t.writeGroup("g", { ...GROUP, "max-clientz": 3 });
    const line = await t.waitForLog("max-clientz");
    ok(line.includes("g.json"), line);
    carrot.chat("still here");
    await vimes.next({ type: "chat", value: "still here" });
    // The last good description still admits its users.
    const later = await t.connect();
    await later.handshake();
    strictEqual((await later.join("g", "carrot", "p"))["kind"], "join");
    await vimes.sync();
    ok(!vimes.has({ type: "joined", kind: "change" }));

    // Text that is not JSON at all is reported too, and a fix is picked up.
    const since = t.logs.length;
    await t.writeGroupText("g", "{ not json");
    await t.waitForLog("g.json", { since });
    await t.writeGroup("g", { ...GROUP, displayName: "Mended" });
    const change = await carrot.next((m) =>
      m["type"] === "joined" && displayName(m) === "Mended"
    );
    strictEqual(change["kind"], "change");
  } finally {
    await t.close();
  }
});
