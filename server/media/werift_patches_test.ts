import {
  checkWerift,
  loadedWerift,
  MEMBERS,
  WERIFT_VERSION,
  weriftProblems,
  type WeriftShape,
} from "./werift_patches.ts";

function assert(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

function refusal(shape: WeriftShape): string {
  try {
    checkWerift(shape);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error("checkWerift accepted a shape it should refuse");
}

Deno.test("checkWerift() accepts the werift this process loaded", () => {
  const shape = loadedWerift();
  assert(shape.version === WERIFT_VERSION, `version ${shape.version}`);
  const problems = weriftProblems(shape);
  assert(problems.length === 0, problems.join("; "));
  checkWerift(shape);
});

Deno.test("checkWerift() names a patched method that is missing", () => {
  const real = loadedWerift();
  // A werift whose RTCRtpSender lost handleRtcpPacket.
  const message = refusal({
    ...real,
    classes: { ...real.classes, RTCRtpSender: class {} },
  });
  assert(
    message.startsWith("Cannot start the media plane:") &&
      message.includes("RTCRtpSender.prototype.handleRtcpPacket"),
    message,
  );
});

Deno.test("checkWerift() names a method whose parameters changed", () => {
  const real = loadedWerift();
  const Sender = real.classes.RTCRtpSender as new () => unknown;
  class Changed extends (Sender as new () => object) {
    handleRtcpPacket(_packet: unknown, _more: unknown): void {}
  }
  const message = refusal({
    ...real,
    classes: { ...real.classes, RTCRtpSender: Changed },
  });
  assert(
    message.includes(
      "RTCRtpSender.prototype.handleRtcpPacket takes 2 parameter(s), not 1",
    ),
    message,
  );
});

Deno.test("checkWerift() names a field the class no longer declares", () => {
  const real = loadedWerift();
  class DtlsSocket {
    transport = null;
    extractSessionKeys(_a: number, _b: number): void {}
  }
  const message = refusal({
    ...real,
    classes: { ...real.classes, DtlsSocket },
  });
  assert(
    message.includes("DtlsSocket declares no field onHandleHandshakes"),
    message,
  );
});

Deno.test("checkWerift() refuses another werift version first", () => {
  const real = loadedWerift();
  const message = refusal({ ...real, version: "0.25.0" });
  assert(message.includes(`werift is 0.25.0, not ${WERIFT_VERSION}`), message);
});

Deno.test("checkWerift() names a class werift no longer exports", () => {
  const message = refusal({ version: WERIFT_VERSION, classes: {} });
  const first = MEMBERS[0]!;
  assert(message.includes(`werift exports no class ${first.owner}`), message);
});
