import { assertEquals } from "../../../tests/support/assert.ts";
import type { UpTrackInfo } from "../media_node.ts";
import { announcedTracks, TrackReport } from "./track_report.ts";

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
  const report = new TrackReport(() => live, (t) => reports.push([...t]));
  return { reports, report };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const audio: UpTrackInfo = { id: "a", kind: "audio", codec: "opus" };
const high: UpTrackInfo = { id: "h", kind: "video", codec: "vp8", rid: "h" };

Deno.test("the report comes 200 ms after the last announced track starts", async () => {
  const live: UpTrackInfo[] = [];
  const { reports, report } = reportOf(live);
  report.announce("v=0\r\nm=audio 9 X 111\r\nm=video 9 X 96\r\n");
  live.push(audio);
  report.trackStarted();
  await sleep(300);
  assertEquals(reports.length, 0, "waits for the video track");
  live.push(high);
  report.trackStarted();
  await sleep(300);
  assertEquals(reports, [[audio, high]]);
  report.close();
});

Deno.test("a track that never starts delays the report by 2 s at most, and a later one is reported again", async () => {
  const live: UpTrackInfo[] = [];
  const { reports, report } = reportOf(live);
  report.announce("v=0\r\nm=audio 9 X 111\r\nm=video 9 X 96\r\n");
  live.push(audio);
  report.trackStarted();
  await sleep(1800);
  assertEquals(reports.length, 0);
  await sleep(400);
  assertEquals(reports, [[audio]]);
  live.push(high);
  report.trackStarted();
  await sleep(300);
  assertEquals(reports, [[audio], [audio, high]]);
  report.close();
});

Deno.test("close() cancels a pending report", async () => {
  const { reports, report } = reportOf([audio]);
  report.announce("v=0\r\nm=audio 9 X 111\r\n");
  report.trackStarted();
  report.close();
  await sleep(300);
  assertEquals(reports.length, 0);
});
