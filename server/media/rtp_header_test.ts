import { strictEqual } from "node:assert/strict";
import { rtpHeaderLength, rtpPayloadEnd } from "./rtp_header.ts";

function packet(
  options: { csrcs?: number; extensionWords?: number; padding?: number },
): Uint8Array {
  const csrcs = options.csrcs ?? 0;
  const ext = options.extensionWords;
  const header = 12 + 4 * csrcs + (ext === undefined ? 0 : 4 + 4 * ext);
  const padding = options.padding ?? 0;
  const b = new Uint8Array(header + 10 + padding);
  b[0] = 0x80 | csrcs | (ext === undefined ? 0 : 0x10) |
    (padding > 0 ? 0x20 : 0);
  if (ext !== undefined) {
    const at = 12 + 4 * csrcs;
    b.set([0xbe, 0xde, ext >> 8, ext & 0xff], at);
  }
  if (padding > 0) b[b.length - 1] = padding;
  return b;
}

Deno.test("the RTP header length counts CSRCs and the extension block", () => {
  strictEqual(rtpHeaderLength(packet({}), 22), 12);
  strictEqual(rtpHeaderLength(packet({ csrcs: 2 }), 30), 20);
  const p = packet({ csrcs: 1, extensionWords: 2 });
  strictEqual(rtpHeaderLength(p, p.length), 28);
});

Deno.test("a header that overruns the packet, or another version, gives -1", () => {
  strictEqual(rtpHeaderLength(new Uint8Array(11), 11), -1);
  const p = packet({ extensionWords: 200 });
  strictEqual(rtpHeaderLength(p, 30), -1);
  const v1 = packet({});
  v1[0] = 0x40;
  strictEqual(rtpHeaderLength(v1, v1.length), -1);
});

Deno.test("the payload ends before the padding; a bad padding count gives -1", () => {
  strictEqual(rtpPayloadEnd(packet({}), 12), 22);
  strictEqual(rtpPayloadEnd(packet({ padding: 4 }), 12), 22);
  const bad = packet({ padding: 4 });
  bad[bad.length - 1] = 0;
  strictEqual(rtpPayloadEnd(bad, 12), -1);
  bad[bad.length - 1] = 30;
  strictEqual(rtpPayloadEnd(bad, 12), -1);
});
