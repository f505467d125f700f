import assert from "node:assert/strict";
import {
  maxBitrate,
  parseSettings,
  requestFor,
  scalabilityMode,
  settingFromValue,
  useSimulcast,
  wantsLowVideo,
} from "./settings.ts";
import { videoEncodings } from "./streams.ts";

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

Deno.test("settingFromValue() takes a valid value and names what is wrong", () => {
  assert.deepEqual(settingFromValue("throughput", "low"), {
    throughput: "low",
  });
  assert.deepEqual(settingFromValue("blackboard", true), { blackboard: true });
  assert.deepEqual(settingFromValue("camera", "abc"), { camera: "abc" });
  assert.throws(
    () => settingFromValue("throughput", "fast"),
    /Cannot set throughput to "fast": expected one of "lowest"/,
  );
  assert.throws(
    () => settingFromValue("blackboard", "yes"),
    /expected a boolean/,
  );
  assert.throws(() => settingFromValue("colour", 1), /No setting called/);
  assert.throws(() => settingFromValue("toString", 1), RangeError);
});

Deno.test("scalable video is off by default and maps to a scalability mode", () => {
  assert.equal(parseSettings({}).svc, "off");
  assert.equal(parseSettings({ svc: "L9T9" }).svc, "off");
  assert.equal(scalabilityMode("off", false), null);
  assert.equal(scalabilityMode("temporal", false), "L1T3");
  assert.equal(scalabilityMode("spatial", false), "L3T3_KEY");
  // Simulcast layers have their own sizes: temporal layers in each.
  assert.equal(scalabilityMode("spatial", true), "L1T3");
  assert.deepEqual(settingFromValue("svc", "spatial"), { svc: "spatial" });
  assert.deepEqual(
    videoEncodings({
      simulcast: true,
      maxBitrate: null,
      scalabilityMode: "L1T3",
    }).map((e) => e.scalabilityMode),
    ["L1T3", "L1T3"],
  );
  assert.deepEqual(
    videoEncodings({ simulcast: false, maxBitrate: 1, scalabilityMode: null }),
    [{ maxBitrate: 1 }],
  );
});
