import assert from "node:assert/strict";
import { SpeakerDetector } from "./speaker.ts";

Deno.test("SpeakerDetector holds the speaker through a short pause", () => {
  const d = new SpeakerDetector({ threshold: 0.02, holdMs: 1000 });
  assert.equal(d.update(new Map([["a", 0.2], ["b", 0.01]]), 0), "a");
  assert.equal(d.update(new Map([["a", 0.0], ["b", 0.01]]), 500), "a");
  assert.equal(d.update(new Map([["a", 0.0], ["b", 0.01]]), 1600), null);
});

Deno.test("SpeakerDetector keeps the current speaker while both talk", () => {
  const d = new SpeakerDetector();
  d.update(new Map([["a", 0.1], ["b", 0.0]]), 0);
  assert.equal(d.update(new Map([["a", 0.1], ["b", 0.3]]), 100), "a");
  assert.equal(d.update(new Map([["a", 0.0], ["b", 0.3]]), 200), "b");
});
