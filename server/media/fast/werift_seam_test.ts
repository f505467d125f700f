import { Buffer } from "node:buffer";
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RtpHeader,
  RtpPacket,
} from "werift";
import { installFastPath } from "./werift_seam.ts";

function assertEquals(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: got ${a}, expected ${e}`);
}

const CONFIG = {
  iceServers: [],
  iceUseIpv6: false,
  iceAdditionalHostAddresses: ["127.0.0.1"],
  iceInterfaceAddresses: { udp4: "127.0.0.1" },
  bundlePolicy: "max-bundle" as const,
};

/**
 * werift offers a fixed profile list [GCM, AES-CM-80] shared by every
 * transport (no API chooses it); the test narrows that shared array in place
 * to negotiate one profile, and restores it after.
 */
function profileList(pc: RTCPeerConnection): number[] {
  const t = pc.dtlsTransports[0] as unknown as
    | { srtpProfiles?: number[] }
    | undefined;
  if (t?.srtpProfiles === undefined) {
    throw new Error("Cannot find werift's SRTP profile list");
  }
  return t.srtpProfiles;
}

async function sendAndReceive(profile: number | null, count: number): Promise<{
  got: Map<number, string>;
  sent: Map<number, string>;
  negotiated: number | undefined;
  paths: string[];
}> {
  const a = new RTCPeerConnection(CONFIG), b = new RTCPeerConnection(CONFIG);
  const track = new MediaStreamTrack({ kind: "video" });
  a.addTransceiver(track, { direction: "sendonly" });
  const got = new Map<number, string>(), sent = new Map<number, string>();
  b.onTrack.subscribe((t) => {
    t.onReceiveRtp.subscribe((rtp) => {
      got.set(rtp.header.sequenceNumber, rtp.payload.toString("hex"));
    });
  });
  await a.setLocalDescription(await a.createOffer());
  let saved: number[] | null = null;
  const list = profileList(a);
  if (profile !== null) {
    saved = list.slice();
    list.splice(0, list.length, profile);
  }
  try {
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription!);
    await new Promise<void>((resolve) => {
      a.connectionStateChange.subscribe((s) => s === "connected" && resolve());
      if (a.connectionState === "connected") resolve();
    });
  } finally {
    if (saved !== null) list.splice(0, list.length, ...saved);
  }
  const negotiated = (a.dtlsTransports[0] as unknown as {
    dtls?: { srtp: { srtpProfile?: number } };
  })
    .dtls?.srtp.srtpProfile;
  const dt = a.dtlsTransports[0] as unknown as {
    srtp: object;
    iceTransport: {
      connection: { nominated?: { protocol: { transport: object } } };
    };
  };
  const paths = [
    dt.srtp.constructor.name,
    dt.iceTransport.connection.nominated?.protocol.transport.constructor.name ??
      "none",
  ];
  // Keep sending until all have arrived: the receiver's track may attach late.
  for (let round = 0; got.size < count && round < 100; round++) {
    for (let i = 0; i < count; i++) {
      const seq = (65500 + i) & 0xffff; // crosses the ROC rollover at 65535
      const payload = Buffer.alloc(1100, (i * 7 + 1) & 0xff);
      payload.writeUInt32BE(i, 0);
      sent.set(seq, payload.toString("hex"));
      const header = new RtpHeader({
        sequenceNumber: seq,
        timestamp: i * 3000,
        payloadType: 96,
        marker: true,
      });
      track.writeRtp(new RtpPacket(header, payload));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await a.close();
  await b.close();
  return { got, sent, negotiated, paths };
}

for (
  const [name, profile] of [["AEAD_AES_128_GCM (werift's default)", 7], [
    "AES_CM_128_HMAC_SHA1_80",
    1,
  ]] as const
) {
  Deno.test(`with the fast path installed, RTP crosses a werift-to-werift connection intact over ${name}`, async () => {
    const fast = installFastPath();
    try {
      assertEquals(
        [fast.crypto, fast.udp],
        ["openssl", "sendmmsg"],
        "installed paths",
      );
      const { got, sent, negotiated, paths } = await sendAndReceive(
        profile,
        60,
      );
      assertEquals(negotiated, profile, "negotiated profile");
      assertEquals(
        paths,
        ["Object", "FastUdpTransport"],
        "werift uses our SRTP session and UDP transport",
      );
      assertEquals(got.size, 60, "packets received");
      for (const [seq, payload] of got) {
        assertEquals(payload === sent.get(seq), true, `payload of seq ${seq}`);
      }
    } finally {
      fast.uninstall();
    }
  });
}

Deno.test("the portable fast path (node:crypto, node:dgram) also carries RTP intact", async () => {
  const fast = installFastPath({ crypto: "node", udp: "dgram" });
  try {
    assertEquals([fast.crypto, fast.udp], ["node", "dgram"], "installed paths");
    const { got, paths } = await sendAndReceive(null, 30);
    assertEquals(got.size, 30, "packets received");
    assertEquals(
      paths,
      ["Object", "FastUdpTransport"],
      "werift uses our SRTP session and UDP transport",
    );
  } finally {
    fast.uninstall();
  }
});

Deno.test("installFastPath() refuses a second install until uninstalled", () => {
  const fast = installFastPath({ crypto: "node" });
  let message = "";
  try {
    installFastPath();
  } catch (e) {
    message = (e as Error).message;
  } finally {
    fast.uninstall();
  }
  assertEquals(
    message,
    "Cannot install the werift fast path: it is already installed",
    "message",
  );
  installFastPath({ crypto: "node" }).uninstall();
});
