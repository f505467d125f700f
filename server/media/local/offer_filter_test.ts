import { assert, assertEquals } from "../../../tests/support/assert.ts";
import { codecEntries } from "./codecs.ts";
import { filterOffer } from "./offer_filter.ts";

const OFFER = [
  "v=0",
  "o=- 1 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 0",
  "a=mid:0",
  "a=rtpmap:111 opus/48000/2",
  "a=fmtp:111 minptime=10;useinbandfec=1",
  "a=rtcp-fb:111 transport-cc",
  "a=rtpmap:63 red/48000/2",
  "m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 106 98",
  "a=mid:1",
  "a=rtpmap:96 VP8/90000",
  "a=rtcp-fb:96 transport-cc",
  "a=rtcp-fb:96 nack",
  "a=rtpmap:97 rtx/90000",
  "a=fmtp:97 apt=96",
  "a=rtpmap:102 H264/90000",
  "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
  "a=rtpmap:103 H264/90000",
  "a=fmtp:103 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f",
  "a=rtpmap:106 H264/90000",
  "a=fmtp:106 packetization-mode=1;profile-level-id=640c1f",
  "a=rtpmap:98 VP9/90000",
  "a=fmtp:98 profile-id=2",
  "",
].join("\r\n");

Deno.test("filterOffer() keeps the group's codecs in the group's order with Galène's feedback", () => {
  const { sdp, sections } = filterOffer(
    OFFER,
    codecEntries(["h264", "vp8", "opus", "pcmu"]),
  );
  assert(sdp.includes("m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n"), sdp);
  assert(sdp.includes("m=video 9 UDP/TLS/RTP/SAVPF 102 96\r\n"), sdp);
  assert(
    !sdp.includes("transport-cc") && !sdp.includes("rtx") &&
      !sdp.includes("640c1f"),
    sdp,
  );
  assert(
    sdp.includes(
      "a=rtcp-fb:102 goog-remb\r\na=rtcp-fb:102 nack\r\na=rtcp-fb:102 nack pli",
    ),
    sdp,
  );
  assertEquals(
    sections[1]!.formats.get(102)?.payloadType,
    108,
    "42e01f is Galène's H.264 108",
  );
  assertEquals(
    sections[0]!.formats.get(0)?.name,
    "pcmu",
    "static payload type without rtpmap",
  );
});

Deno.test("filterOffer() tells VP9 profiles apart and rejects a section with no usable codec", () => {
  const { sections } = filterOffer(OFFER, codecEntries(["vp9", "opus"]));
  assertEquals(sections[1]!.formats.get(98)?.payloadType, 100);
  let error: unknown;
  try {
    filterOffer(OFFER, codecEntries(["av1", "opus"]));
  } catch (e) {
    error = e;
  }
  assert(
    error instanceof SyntaxError &&
      /video section 1 offers none of the codecs av1/.test(error.message),
    `${error}`,
  );
});
