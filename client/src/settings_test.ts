import assert from "node:assert/strict";
import {
  maxBitrate,
  parseSettings,
  requestFor,
  useSimulcast,
  wantsLowVideo,
} from "./settings.ts";

Deno.test("useSimulcast() in auto mode starts at three members", () => {
  assert.equal(useSimulcast("auto", 2), false);
  assert.equal(useSimulcast("auto", 3), true);
  assert.equal(useSimulcast("off", 10), false);
  assert.equal(useSimulcast("on", 1), true);
});

Deno.test("settings map to Galène's request presets and bitrates", () => {
  assert.deepEqual(requestFor("everything"), { "": ["audio", "video"] });
  assert.deepEqual(requestFor("audio"), { "": ["audio"] });
  assert.deepEqual(requestFor("nothing"), { "": [] });
  assert.equal(maxBitrate("lowest"), 100_000);
  assert.equal(maxBitrate("unlimited"), null);
});

Deno.test("wantsLowVideo() is true for tiles of 320×240 or smaller", () => {
  assert.equal(wantsLowVideo(320, 180), true);
  assert.equal(wantsLowVideo(321, 180), false);
  assert.equal(wantsLowVideo(0, 0), false);
});

Deno.test("parseSettings() keeps valid values and drops the rest", () => {
  const s = parseSettings({
    throughput: "low",
    simulcast: "maybe",
    blackboard: true,
  });
  assert.equal(s.throughput, "low");
  assert.equal(s.simulcast, "auto");
  assert.equal(s.blackboard, true);
});
