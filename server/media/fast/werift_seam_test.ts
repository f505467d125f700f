import { Buffer } from "node:buffer";
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RtpHeader,
  RtpPacket,
  UdpTransport,
} from "werift";
import { installFastPath, reportBindFailures } from "./werift_seam.ts";

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

// IPv6 loopback only: no IPv4 socket, no address of the machine's.
const CONFIG_IPV6 = {
  iceServers: [],
  iceUseIpv4: false,
  iceUseIpv6: false,
  iceAdditionalHostAddresses: ["::1"],
  iceInterfaceAddresses: { udp6: "::1" },
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

async function sendAndReceive(
  profile: number | null,
  count: number,
  config: typeof CONFIG | typeof CONFIG_IPV6 = CONFIG,
): Promise<{
  got: Map<number, string>;
  sent: Map<number, string>;
  negotiated: number | undefined;
  paths: string[];
}> {
  const a = new RTCPeerConnection(config), b = new RTCPeerConnection(config);
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

Deno.test("werift peers connect over IPv6 on the fast path's IPv6 sockets, RTP intact", async () => {
  const fast = installFastPath();
  try {
    const { got, paths } = await sendAndReceive(null, 30, CONFIG_IPV6);
    assertEquals(got.size, 30, "packets received");
    assertEquals(paths, ["Object", "FastUdpTransport"], "paths");
  } finally {
    fast.uninstall();
  }
});

type Init = (
  type: string,
  o: { portRange?: [number, number] },
) => Promise<{ port: number; socketType: string; close(): Promise<void> }>;

Deno.test("under a port range, werift's IPv4 and IPv6 sockets bind the next free ports, and a full range is reported to the connection that was binding", async () => {
  const fast = installFastPath();
  const init = (UdpTransport as unknown as { init: Init }).init;
  // Below the ephemeral range: nothing else binds there meanwhile.
  const portRange: [number, number] = [24330, 24331];
  const open: Awaited<ReturnType<Init>>[] = [];
  try {
    for (const type of ["udp4", "udp6", "udp4", "udp6"]) {
      open.push(await init(type, { portRange }));
    }
    assertEquals(
      open.map((t) => `${t.socketType}:${t.port}`),
      ["udp4:24330", "udp6:24330", "udp4:24331", "udp6:24331"],
      "sockets",
    );
    const failures: string[] = [];
    const result = await reportBindFailures(
      (e) => failures.push(e.message),
      () => init("udp6", { portRange }).then(() => "bound", () => "refused"),
    );
    assertEquals(result, "refused", "a socket on a full range");
    assertEquals(
      failures,
      ["No free UDP port in 24330-24331 for IPv6"],
      "reported",
    );
    await init("udp4", { portRange }).catch(() => {}); // reported to no one
    assertEquals(failures.length, 1, "reports outside reportBindFailures");
  } finally {
    for (const t of open) await t.close();
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
