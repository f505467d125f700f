// The web client's settings, media choices, local commands and sign-in
// flows, in a real Chromium against a real in-process Nereid server: what
// call_test.ts, moderation_test.ts and accessibility_test.ts do not cover.
// One browser for all of it.

import assert from "node:assert/strict";
import { join } from "node:path";
import * as jose from "jose";
import {
  login,
  open,
  type Person,
  say,
  senders,
  sentSignals,
} from "./browser.ts";
import { startTestServer } from "../support/test_server.ts";
import { eventually } from "../support/wait_for.ts";
import { DEMO_GROUP } from "../support/groups.ts";
import { launchBrowser } from "../support/browser.ts";

const KEY = crypto.getRandomValues(new Uint8Array(32));
const AUTH_KEY = {
  kty: "oct",
  alg: "HS256",
  k: btoa(String.fromCharCode(...KEY)).replace(/\+/g, "-").replace(
    /\//g,
    "_",
  ).replace(/=+$/, ""),
};

function signToken(sub: string, aud: string): Promise<string> {
  return new jose.SignJWT({ permissions: ["present", "message"] })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setAudience(aud)
    .setIssuedAt()
    .setExpirationTime("2m")
    .sign(KEY);
}

/** What the test's identity provider was asked. */
interface AuthRequest {
  location: string;
  username: string;
  password: string;
}

/**
 * An authServer and an authPortal on another origin. The authServer
 * answers by password: "letmein" a JWT for `sso-USERNAME`, "nope" 403,
 * anything else 204 (use the group's own passwords).
 */
function startIdentityProvider(groupUrl: (name: string) => string) {
  const asked: AuthRequest[] = [];
  const cors = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST",
    "Access-Control-Allow-Headers": "Content-Type",
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const url = new URL(req.url);
      if (req.method === "OPTIONS") {
        return new Response(null, { headers: cors });
      }
      if (url.pathname === "/auth" && req.method === "POST") {
        const body = await req.json() as AuthRequest;
        asked.push(body);
        if (body.password === "nope") {
          return new Response(null, { status: 403, headers: cors });
        }
        if (body.password !== "letmein") {
          return new Response(null, { status: 204, headers: cors });
        }
        // The audience is the group's URL, which the client sends.
        const jwt = await signToken(`sso-${body.username}`, body.location);
        return new Response(jwt, {
          headers: { ...cors, "Content-Type": "application/jwt" },
        });
      }
      if (url.pathname === "/portal") {
        const group = groupUrl("portal");
        const jwt = await signToken("portal-user", group);
        return Response.redirect(`${group}?token=${jwt}`, 302);
      }
      return new Response("Not found", { status: 404 });
    },
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { asked, base, server };
}

async function makeVideo(dir: string): Promise<string> {
  // 400×240 (5:3) cannot be mistaken for the 16:9 camera, however scaled.
  const file = join(dir, "clip.webm");
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-v",
      "error",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=400x240:rate=15",
      "-t",
      "8",
      "-c:v",
      "libvpx",
      "-deadline",
      "realtime",
      "-b:v",
      "300k",
      file,
    ],
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `ffmpeg could not make ${file}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return file;
}

/** The video widths of the tiles of `username` that `p` shows. */
async function tileWidths(p: Person, username: string): Promise<number[]> {
  return await p.page.locator(".tile", { hasText: username }).evaluateAll(
    (tiles) => tiles.map((t) => t.querySelector("video")?.videoWidth ?? 0),
  );
}

async function openSettings(p: Person): Promise<void> {
  if (await p.page.locator("#side-menu").isHidden()) {
    await p.page.locator("#menu-button").click();
  }
}

async function systemLine(p: Person, text: string | RegExp): Promise<void> {
  await p.page.locator(".msg.system", { hasText: text }).last().waitFor();
}

Deno.test({
  name:
    "settings, media choices, local commands and sign-in flows work in the web client",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const tmp = await Deno.makeTempDir({ prefix: "nereid-client-media-" });
    let serverUrl = "";
    const idp = startIdentityProvider((name) => `${serverUrl}/group/${name}/`);
    const srv = await startTestServer({
      groups: {
        demo: DEMO_GROUP,
        sso: {
          authKeys: [AUTH_KEY],
          authServer: `${idp.base}/auth`,
          "wildcard-user": { password: "house", permissions: "present" },
        },
        portal: { authKeys: [AUTH_KEY], authPortal: `${idp.base}/portal` },
      },
    });
    serverUrl = srv.url;
    const browser = await launchBrowser();
    const people: Person[] = [];
    const person = async (path: string) => {
      const p = await open(browser, `${srv.url}${path}`);
      people.push(p);
      return p;
    };
    try {
      const clip = await makeVideo(tmp);
      const ann = await person("/group/demo/");
      const bob = await person("/group/demo/");
      await login(ann, "ann", "x");
      await login(bob, "bob", "y", "none");
      const camera = async () =>
        (await senders(ann)).filter((s) => s.settings.deviceId);

      await t.step(
        "video throughput sets maxBitrate on the camera's sender",
        async () => {
          await eventually(async () =>
            assert.deepEqual(
              (await camera()).filter((s) => s.kind === "video").map((s) =>
                s.maxBitrate
              ),
              [[100_000]],
            )
          );
          await openSettings(ann);
          await ann.page.locator("#throughput-select").selectOption("low");
          await eventually(async () =>
            assert.deepEqual(
              (await camera()).find((s) => s.kind === "video")?.maxBitrate,
              [300_000],
            )
          );
        },
      );

      await t.step(
        "scalable video is off by default, and the settings pane's choice republishes the camera with temporal layers",
        async () => {
          const video = async () =>
            (await camera()).find((s) => s.kind === "video");
          assert.equal((await video())?.scalabilityMode[0], null);
          await openSettings(ann);
          await ann.page.locator("#svc-select").selectOption("temporal");
          await eventually(async () => {
            const v = await video();
            assert.deepEqual(v?.scalabilityMode, ["L1T3"]);
            assert.deepEqual(v?.encoding, ["L1T3"]);
          });
          await ann.page.locator("#svc-select").selectOption("off");
          await eventually(async () =>
            assert.equal((await video())?.scalabilityMode[0], null)
          );
        },
      );

      await t.step(
        "/set and /unset change a setting as the settings pane would",
        async () => {
          await say(ann, "/set");
          await systemLine(ann, 'throughput = "low"');
          await say(ann, "/set throughput unlimited");
          await systemLine(ann, 'throughput = "unlimited"');
          await eventually(async () =>
            assert.deepEqual(
              (await camera()).find((s) => s.kind === "video")?.maxBitrate,
              [null],
            )
          );
          assert.equal(
            await ann.page.locator("#throughput-select").inputValue(),
            "unlimited",
          );
          await say(ann, "/unset throughput");
          await systemLine(ann, 'throughput = "normal"');
          await eventually(async () =>
            assert.deepEqual(
              (await camera()).find((s) => s.kind === "video")?.maxBitrate,
              [700_000],
            )
          );
          await say(ann, "/set throughput fast");
          await ann.page.locator(".msg.system.error", {
            hasText: 'Cannot set throughput to "fast"',
          }).waitFor();
          await say(ann, "/set throughput lowest");
          await systemLine(ann, 'throughput = "lowest"');
        },
      );

      await t.step(
        "blackboard mode sends more pixels at fewer frames, and back",
        async () => {
          const video = async () =>
            (await camera()).find((s) => s.kind === "video")?.settings;
          await ann.page.locator("#blackboard-check").check();
          await eventually(async () => {
            const v = await video();
            assert.equal(v?.width, 1920);
            assert.ok((v?.frameRate ?? 99) <= 5, `${v?.frameRate} fps`);
          });
          await ann.page.locator("#blackboard-check").uncheck();
          await eventually(async () => {
            const v = await video();
            assert.equal(v?.width, 1280);
            // Chromium's fake camera runs at 20 fps at most.
            assert.ok((v?.frameRate ?? 0) >= 15, `${v?.frameRate} fps`);
          });
          // The others still see her.
          await bob.page.waitForFunction(
            () =>
              [...document.querySelectorAll<HTMLVideoElement>(".tile video")]
                .some((v) => v.videoWidth > 0),
            undefined,
            { timeout: 15_000 },
          );
        },
      );

      await t.step(
        "a chosen microphone and camera are the ones published",
        async () => {
          const mic = ann.page.locator("#microphone-select");
          await mic.locator("option", { hasText: "Fake Audio Input 2" })
            .waitFor({ state: "attached" });
          await mic.selectOption({ label: "Fake Audio Input 2" });
          const micId = await mic.inputValue();
          await eventually(async () =>
            assert.equal(
              (await camera()).find((s) => s.kind === "audio")?.settings
                .deviceId,
              micId,
            )
          );
          const cam = ann.page.locator("#camera-select");
          await cam.selectOption({ label: "fake_device_0" });
          const camId = await cam.inputValue();
          assert.notEqual(camId, "");
          await eventually(async () =>
            assert.equal(
              (await camera()).find((s) => s.kind === "video")?.settings
                .deviceId,
              camId,
            )
          );
          await say(ann, "/set microphone");
          await systemLine(ann, `microphone = "${micId}"`);
        },
      );

      await t.step(
        "/replace publishes the camera again in place of itself",
        async () => {
          await eventually(async () => {
            const widths = await tileWidths(bob, "ann");
            assert.ok(widths.length === 1 && widths[0]! > 0, `${widths}`);
          });
          const before = await bob.page.locator(".tile", { hasText: "ann" })
            .getAttribute("data-stream-id");
          // Earlier steps may have republished (the SVC setting does).
          const replacing = async () =>
            (await sentSignals(ann)).filter((m) =>
              m.type === "offer" && m.replace
            );
          const earlier = (await replacing()).length;
          await say(ann, "/replace");
          await systemLine(ann, "Replaced 1 stream");
          const offers = (await replacing()).slice(earlier);
          assert.equal(offers.length, 1);
          assert.equal(offers[0]?.replace, before);
          const tile = bob.page.locator(".tile", { hasText: "ann" });
          await bob.page.locator(`.tile[data-stream-id="${offers[0]?.id}"]`)
            .waitFor({ timeout: 15_000 });
          assert.equal(await tile.count(), 1, "the old tile went");
          await eventually(async () =>
            assert.ok(((await tileWidths(bob, "ann"))[0] ?? 0) > 0)
          );
        },
      );

      await t.step(
        "/relay-test says when the group has no TURN server",
        async () => {
          await say(bob, "/relay-test");
          await bob.page.locator(".msg.system.error", {
            hasText: "this group has no TURN server configured",
          }).waitFor();
        },
      );

      await t.step(
        "receiving audio only, nothing, then everything again",
        async () => {
          await openSettings(bob);
          const receive = (v: string) =>
            bob.page.locator(`input[name=receive][value=${v}]`).check();
          const asked = async () =>
            (await sentSignals(bob)).filter((m) => m.type === "request").at(
              -1,
            )?.request;
          const tile = bob.page.locator(".tile", { hasText: "ann" });
          await receive("audio");
          await eventually(async () =>
            assert.deepEqual(await asked(), { "": ["audio"] })
          );
          await eventually(async () =>
            assert.match(
              await tile.getAttribute("class") ?? "",
              /\bno-video\b/,
            )
          );
          await receive("nothing");
          await eventually(async () =>
            assert.deepEqual(await asked(), { "": [] })
          );
          await tile.waitFor({ state: "detached", timeout: 10_000 });
          await receive("everything");
          await eventually(async () =>
            assert.deepEqual(await asked(), { "": ["audio", "video"] })
          );
          await eventually(async () =>
            assert.ok(((await tileWidths(bob, "ann"))[0] ?? 0) > 0)
          );
        },
      );

      await t.step(
        "a local video file plays to the others as a second tile",
        async () => {
          await openSettings(ann);
          await ann.page.locator("#file-input").setInputFiles(clip);
          await eventually(async () =>
            assert.ok(
              (await tileWidths(bob, "ann")).includes(400),
              `${await tileWidths(bob, "ann")}`,
            ), 15_000);
          assert.equal(await bob.page.locator(".tile").count(), 2);
        },
      );

      await t.step(
        "leaving while publishing asks first; listening does not",
        async () => {
          const asked = ann.page.waitForEvent("dialog");
          await ann.page.close({ runBeforeUnload: true });
          const dialog = await asked;
          assert.equal(dialog.type(), "beforeunload");
          // "Stay on the page".
          await dialog.dismiss();
          assert.equal(ann.page.isClosed(), false);
          await ann.page.locator("#conference-view").waitFor();
          const bobDialogs: string[] = [];
          bob.page.on("dialog", (d) => {
            bobDialogs.push(d.type());
            d.accept().catch(() => {});
          });
          await bob.page.reload();
          await bob.page.locator("#login-view").waitFor();
          assert.deepEqual(bobDialogs, []);
        },
      );

      await t.step(
        "the authServer's token logs in under the name it gives",
        async () => {
          const carol = await person("/group/sso/");
          await login(carol, "carol", "letmein", "none");
          await carol.page.locator(".user", { hasText: "sso-carol" })
            .waitFor();
          assert.deepEqual(idp.asked.at(-1), {
            location: `${srv.url}/group/sso/`,
            username: "carol",
            password: "letmein",
          });
          assert.ok(
            [...srv.server.sessions].some((s) => s.username === "sso-carol"),
          );
        },
      );

      await t.step(
        "an authServer's 403 refuses and its 204 falls back to the password",
        async () => {
          const dave = await person("/group/sso/");
          await dave.page.locator("#username").fill("dave");
          await dave.page.locator("#password").fill("nope");
          await dave.page.locator("input[name=publish][value=none]").check();
          await dave.page.locator("#connect-button").click();
          await dave.page.locator("#login-error", {
            hasText: "The authentication server refused these credentials",
          }).waitFor();
          assert.ok(
            ![...srv.server.sessions].some((s) => /dave/.test(s.username)),
          );
          await dave.page.locator("#password").fill("house");
          await dave.page.locator("#connect-button").click();
          await dave.page.locator(".user", { hasText: "dave" }).waitFor();
          assert.equal(idp.asked.at(-1)?.password, "house");
        },
      );

      await t.step(
        "the authPortal sends people back with a token that names them",
        async () => {
          const erin = await person("/group/portal/");
          await erin.page.locator("#login-note", {
            hasText: "You are invited as portal-user",
          }).waitFor();
          assert.match(erin.page.url(), /\/group\/portal\/\?token=/);
          await erin.page.locator("input[name=publish][value=none]").check();
          await erin.page.locator("#connect-button").click();
          await erin.page.locator(".user", { hasText: "portal-user" })
            .waitFor();
        },
      );

      for (const p of people) {
        assert.deepEqual(p.errors, [], "no uncaught page errors");
      }
    } finally {
      for (const p of people) await p.context.close().catch(() => {});
      await browser.close();
      await srv.close();
      await idp.server.shutdown();
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
