import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  answerFragment,
  MAX_FRAGMENT_CANDIDATES,
  parseFragment,
  summarizeSdp,
  withCredentials,
} from "./sdp_text.ts";

const OFFER = [
  "v=0",
  "o=- 1 0 IN IP4 0.0.0.0",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0 1",
  "m=video 9 UDP/TLS/RTP/SAVPF 96",
  "a=ice-ufrag:abcd",
  "a=ice-pwd:0123456789abcdef01234567",
  "a=mid:0",
  "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host",
  "a=end-of-candidates",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111",
  "a=mid:1",
  "",
].join("\r\n");

Deno.test("summarizeSdp() reads sections and the first ICE credentials", () => {
  const s = summarizeSdp(OFFER);
  deepStrictEqual(s.sections.map((x) => [x.kind, x.mid]), [
    ["video", "0"],
    ["audio", "1"],
  ]);
  deepStrictEqual(s.credentials, {
    ufrag: "abcd",
    pwd: "0123456789abcdef01234567",
  });
});

Deno.test("summarizeSdp() refuses text that is not SDP or has no media", () => {
  throws(() => summarizeSdp("hello"), SyntaxError);
  throws(() => summarizeSdp("v=0\r\nnot a line\r\nm=audio 9 x 0"), SyntaxError);
  throws(() => summarizeSdp("v=0\r\ns=-\r\nm=application 9 x 0"), SyntaxError);
});

Deno.test("parseFragment() ties candidates to the section they follow", () => {
  const f = parseFragment(
    "a=ice-ufrag:x\r\na=ice-pwd:y\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n" +
      "a=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\nm=video 9 RTP/AVP 0\r\n" +
      "a=mid:v\r\na=candidate:2 1 udp 1 127.0.0.1 10 typ host\r\n" +
      "a=end-of-candidates\r\n",
  );
  deepStrictEqual(f.credentials, { ufrag: "x", pwd: "y" });
  deepStrictEqual(f.candidates, [
    {
      candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host",
      sdpMid: "0",
      sdpMLineIndex: 0,
    },
    {
      candidate: "candidate:2 1 udp 1 127.0.0.1 10 typ host",
      sdpMid: "v",
      sdpMLineIndex: 1,
    },
  ]);
  strictEqual(
    parseFragment("a=candidate:1 1 udp 1 ::1 9 typ host").candidates[0]!
      .sdpMLineIndex,
    0,
  );
});

Deno.test("parseFragment() refuses junk and too many candidates", () => {
  throws(() => parseFragment("not a fragment"), SyntaxError);
  const many = Array.from(
    { length: MAX_FRAGMENT_CANDIDATES + 1 },
    (_, i) => `a=candidate:${i} 1 udp 1 127.0.0.1 ${i} typ host`,
  ).join("\r\n");
  throws(() => parseFragment(many), /more than 64 candidates/);
});

Deno.test("withCredentials() swaps the credentials and drops candidates", () => {
  const out = withCredentials(OFFER, { ufrag: "new", pwd: "pass" });
  strictEqual(out.includes("a=ice-ufrag:new\r\n"), true);
  strictEqual(out.includes("a=ice-pwd:pass\r\n"), true);
  strictEqual(out.includes("abcd"), false);
  strictEqual(out.includes("a=candidate"), false);
  strictEqual(out.includes("a=end-of-candidates"), false);
});

Deno.test("answerFragment() puts the credentials first, then each section's mid and candidates", () => {
  deepStrictEqual(answerFragment(OFFER).split("\r\n"), [
    "a=ice-ufrag:abcd",
    "a=ice-pwd:0123456789abcdef01234567",
    "m=video 9 UDP/TLS/RTP/SAVPF 96",
    "a=mid:0",
    "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host",
    "a=end-of-candidates",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111",
    "a=mid:1",
    "",
  ]);
});
