import { ok, strictEqual, throws } from "node:assert/strict";
import { bridgeOffers } from "./whep_bridge.ts";

const PLAYER = [
  "v=0",
  "o=- 1 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0 1",
  "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
  "c=IN IP4 0.0.0.0",
  "a=ice-ufrag:play",
  "a=ice-pwd:playerpassword0123456789",
  "a=fingerprint:sha-256 AA:BB",
  "a=setup:actpass",
  "a=mid:0",
  "a=recvonly",
  "a=rtpmap:96 VP8/90000",
  "a=rtpmap:97 rtx/90000",
  "a=candidate:1 1 udp 2130706431 127.0.0.1 4000 typ host",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111",
  "a=mid:1",
  "a=recvonly",
  "a=rtpmap:111 opus/48000/2",
  "",
].join("\r\n");

const SERVER = [
  "v=0",
  "o=- 2 0 IN IP4 0.0.0.0",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE a v",
  "a=fingerprint:sha-256 CC:DD",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111",
  "a=ice-ufrag:serv",
  "a=ice-pwd:serverpassword0123456789",
  "a=setup:actpass",
  "a=mid:a",
  "a=sendonly",
  "a=rtpmap:111 opus/48000/2",
  "a=ssrc:11 cname:x",
  "a=msid:s a",
  "a=candidate:2 1 udp 2130706431 127.0.0.1 5000 typ host",
  "a=end-of-candidates",
  "m=video 9 UDP/TLS/RTP/SAVPF 96",
  "a=ice-ufrag:serv",
  "a=ice-pwd:serverpassword0123456789",
  "a=mid:v",
  "a=sendonly",
  "a=rtpmap:96 VP8/90000",
  "a=rtcp-fb:96 nack",
  "a=ssrc:22 cname:x",
  "",
].join("\r\n");

function section(sdp: string, mid: string): string {
  return sdp.split("m=").find((s) => s.includes(`a=mid:${mid}\r\n`)) ?? "";
}

Deno.test("bridgeOffers() gives the player the server's media, credentials and candidates, in the player's sections", () => {
  const { toPlayer } = bridgeOffers(PLAYER, SERVER);
  ok(toPlayer.includes("a=group:BUNDLE 0 1\r\n"));
  const video = section(toPlayer, "0");
  ok(video.startsWith("video 9 UDP/TLS/RTP/SAVPF 96\r\n"), video);
  for (
    const line of [
      "a=ice-ufrag:serv",
      "a=fingerprint:sha-256 CC:DD",
      "a=setup:passive",
      "a=sendonly",
      "a=rtcp-fb:96 nack",
      "a=ssrc:22 cname:x",
      "a=candidate:2 1 udp 2130706431 127.0.0.1 5000 typ host",
    ]
  ) ok(video.includes(line + "\r\n"), line);
  ok(!video.includes("rtx"));
  ok(section(toPlayer, "1").includes("a=ssrc:11 cname:x"));
});

Deno.test("bridgeOffers() gives the server the player's credentials and candidates, in the server's sections", () => {
  const b = bridgeOffers(PLAYER, SERVER);
  ok(b.toServer.includes("a=group:BUNDLE a v\r\n"));
  const audio = section(b.toServer, "a");
  for (
    const line of [
      "a=ice-ufrag:play",
      "a=fingerprint:sha-256 AA:BB",
      "a=setup:active",
      "a=recvonly",
      "a=rtpmap:111 opus/48000/2",
      "a=candidate:1 1 udp 2130706431 127.0.0.1 4000 typ host",
    ]
  ) ok(audio.includes(line + "\r\n"), line);
  strictEqual(b.serverMid, "a");
  strictEqual(b.serverMLineIndex, 0);
});

Deno.test("bridgeOffers() rejects the player's sections the server does not fill", () => {
  const audioOnly = SERVER.slice(0, SERVER.indexOf("m=video"));
  const { toPlayer, toServer } = bridgeOffers(PLAYER, audioOnly);
  ok(section(toPlayer, "0").startsWith("video 0 "));
  ok(section(toPlayer, "0").includes("a=inactive"));
  ok(toPlayer.includes("a=group:BUNDLE 1\r\n"));
  ok(!toServer.includes("m=video"));
});

Deno.test("bridgeOffers() refuses a player that lacks the server's payload type or receives nothing", () => {
  throws(
    () => bridgeOffers(PLAYER.replace(/96/g, "100"), SERVER),
    /does not offer vp8\/90000 as payload type 96/,
  );
  throws(
    () => bridgeOffers(PLAYER.replace(/a=recvonly/g, "a=sendonly"), SERVER),
    TypeError,
  );
  throws(() => bridgeOffers("hello", SERVER), SyntaxError);
  throws(
    () => bridgeOffers(PLAYER.replace(/a=fingerprint.*\r\n/, ""), SERVER),
    /no a=fingerprint/,
  );
});
