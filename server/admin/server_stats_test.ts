import assert from "node:assert/strict";
import { buildStats, type StatsGroup } from "./server_stats.ts";

function group(
  name: string,
  members: string[],
  streams: [owner: string, up: string][],
): StatsGroup {
  return {
    name,
    members: () => members.map((id) => ({ id })),
    streams: () =>
      streams.map(([owner, up]) => ({ owner: { id: owner }, upId: up })),
  };
}

Deno.test("buildStats() attributes up connections to their owners and down ones to subscribers", () => {
  const report = buildStats([
    group("b", ["c2", "c1"], [["c1", "s1"]]),
    group("a", [], []),
  ], [
    {
      id: "s1",
      direction: "up",
      tracks: [{ bitrate: 500000, loss: 0.01, jitter: 0.004, layer: "h" }],
    },
    {
      id: "s1",
      direction: "down",
      subscriber: "c2",
      tracks: [{ bitrate: 400000, loss: 0, rtt: 0.02, maxBitrate: 900000 }],
    },
    // A down connection the media node did not attribute is left out.
    { id: "s1", direction: "down", tracks: [{ bitrate: 1, loss: 0 }] },
  ]);
  assert.deepEqual(report, [
    { name: "a", clients: [] },
    {
      name: "b",
      clients: [
        {
          id: "c1",
          up: [{
            id: "s1",
            tracks: [{ bitrate: 500000, loss: 0.01, jitter: 4, layer: "h" }],
          }],
          down: [],
        },
        {
          id: "c2",
          up: [],
          down: [{
            id: "s1",
            maxBitrate: 900000,
            tracks: [{ bitrate: 400000, loss: 0, rtt: 20, maxBitrate: 900000 }],
          }],
        },
      ],
    },
  ]);
});

Deno.test("buildStats() clamps loss and replaces non-finite figures", () => {
  const [g] = buildStats([group("a", ["c"], [["c", "s"]])], [
    {
      id: "s",
      direction: "up",
      tracks: [{ bitrate: NaN, loss: 3 }],
    },
  ]);
  assert.deepEqual(g?.clients[0]?.up[0]?.tracks, [{ bitrate: 0, loss: 1 }]);
});

Deno.test("buildStats() passes a down track's SVC layers on in Galène's fields", () => {
  const [g] = buildStats([group("a", ["c"], [])], [
    {
      id: "s",
      direction: "down",
      subscriber: "c",
      tracks: [{ bitrate: 1, loss: 0, sid: 0, maxSid: 2, tid: 1, maxTid: 2 }],
    },
  ]);
  assert.deepEqual(g?.clients[0]?.down[0]?.tracks, [
    { bitrate: 1, loss: 0, sid: 0, maxSid: 2, tid: 1, maxTid: 2 },
  ]);
});
