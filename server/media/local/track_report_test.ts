import { assertEquals } from "../../../tests/support/assert.ts";
import type { UpTrackInfo } from "../media_node.ts";
import { announcedTracks, TrackReport } from "./track_report.ts";
import { ManualTimers } from "../../../tests/support/manual_timers.ts";

const OFFER = [
  "v=0",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111",
  "a=mid:0",
  "a=sendonly",
  "m=video 9 UDP/TLS/RTP/SAVPF 96",
  "a=mid:1",
  "a=rid:h send",
  "a=rid:l send",
  "a=simulcast:send h;l",
  "m=video 0 UDP/TLS/RTP/SAVPF 96",
  "a=mid:2",
  "m=video 9 UDP/TLS/RTP/SAVPF 96",
  "a=mid:3",
  "a=inactive",
  "",
].join("\r\n");

Deno.test("an offer announces one track per sending m-line or rid", () => {
  assertEquals(announcedTracks(OFFER), 3);
  assertEquals(announcedTracks("v=0\r\n"), 0);
});

function reportOf(live: UpTrackInfo[]) {
  const reports: UpTrackInfo[][] = [];
  const timers = new ManualTimers();
  const report = new TrackReport(() => live, (t) => reports.push([...t]), {
    timers,
  });
  return { reports, report, timers };
}

const audio: UpTrackInfo = { id: "a", kind: "audio", codec: "opus" };
const high: UpTrackInfo = { id: "h", kind: "video", codec: "vp8", rid: "h" };

Deno.test("the report comes 200 ms after the last announced track starts", () => {
  const live: UpTrackInfo[] = [];
  const { reports, report, timers } = reportOf(live);
  report.announce("v=0\r\nm=audio 9 X 111\r\nm=video 9 X 96\r\n");
  live.push(audio);
  report.trackStarted();
  timers.advance(300);
  assertEquals(reports.length, 0, "waits for the video track");
  live.push(high);
  report.trackStarted();
  timers.advance(199);
  assertEquals(reports.length, 0, "debounced for 200 ms");
  timers.advance(1);
  assertEquals(reports, [[audio, high]]);
  report.close();
});

Deno.test("a track that never starts delays the report by 2 s at most, and a later one is reported again", () => {
  const live: UpTrackInfo[] = [];
  const { reports, report, timers } = reportOf(live);
  report.announce("v=0\r\nm=audio 9 X 111\r\nm=video 9 X 96\r\n");
  live.push(audio);
  report.trackStarted();
  timers.advance(1999);
  assertEquals(reports.length, 0);
  timers.advance(1);
  assertEquals(reports, [[audio]]);
  live.push(high);
  report.trackStarted();
  timers.advance(200);
  assertEquals(reports, [[audio], [audio, high]]);
  report.close();
});

Deno.test("an unchanged set of tracks is not reported twice", () => {
  const { reports, report, timers } = reportOf([audio]);
  report.announce("v=0\r\nm=audio 9 X 111\r\n");
  report.trackStarted();
  timers.advance(200);
  report.trackStarted();
  timers.advance(200);
  assertEquals(reports, [[audio]]);
  report.close();
});

Deno.test("close() cancels a pending report", () => {
  const { reports, report, timers } = reportOf([audio]);
  report.announce("v=0\r\nm=audio 9 X 111\r\n");
  report.trackStarted();
  report.close();
  timers.advance(10_000);
  assertEquals(reports.length, 0);
});
