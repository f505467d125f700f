/**
 * `/relay-test`, the chat command Galène's client has too: can media flow
 * through the group's TURN server? Two local peer connections, both forced
 * to relay candidates with the group's rtcConfiguration, open a data channel
 * and time one ping. No server is involved beyond the TURN relay itself.
 *
 * @module
 */

/** What the relay test found. */
export type RelayTestResult =
  | { kind: "ok"; rttMs: number }
  | { kind: "no-turn" }
  | { kind: "failed"; reason: string };

/** Long enough for a TURN allocation over a slow link (Galène waits 10 s too). */
const DEFAULT_TIMEOUT_MS = 10_000;

/** True when `config` lists at least one `turn:` or `turns:` URL. */
export function hasTurnServer(config: RTCConfiguration | null): boolean {
  return (config?.iceServers ?? []).some((s) =>
    (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => /^turns?:/i.test(u))
  );
}

/** A sentence for the chat. */
export function relayTestText(r: RelayTestResult): string {
  switch (r.kind) {
    case "ok":
      return `Relay test passed: media can go through the TURN server ` +
        `(round trip ${Math.round(r.rttMs)} ms)`;
    case "no-turn":
      return "Relay test: this group has no TURN server configured";
    case "failed":
      return `Relay test failed: ${r.reason}`;
  }
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} within ${ms / 1000} s`)),
      ms,
    );
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Runs the test with the group's `config` (from `joined`).
 * Never throws: failures are results.
 */
export async function runRelayTest(
  config: RTCConfiguration | null,
  options: { timeoutMs?: number } = {},
): Promise<RelayTestResult> {
  if (!hasTurnServer(config)) return { kind: "no-turn" };
  const relay: RTCConfiguration = { ...config, iceTransportPolicy: "relay" };
  const a = new RTCPeerConnection(relay);
  const b = new RTCPeerConnection(relay);
  try {
    const wire = (from: RTCPeerConnection, to: RTCPeerConnection) => {
      from.onicecandidate = (e) => {
        if (e.candidate) to.addIceCandidate(e.candidate).catch(() => {});
      };
    };
    wire(a, b);
    wire(b, a);
    b.ondatachannel = (e) => {
      const echo = e.channel;
      echo.onmessage = (m) => echo.send(m.data);
    };
    const channel = a.createDataChannel("relay-test");
    const opened = new Promise<void>((
      resolve,
    ) => (channel.onopen = () => resolve()));
    await a.setLocalDescription(await a.createOffer());
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription(await b.createAnswer());
    await a.setRemoteDescription(b.localDescription!);
    const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    await within(opened, timeout, "no relayed connection");
    const pong = new Promise<void>((
      resolve,
    ) => (channel.onmessage = () => resolve()));
    const sent = performance.now();
    channel.send("ping");
    await within(pong, timeout, "no answer to the ping");
    return { kind: "ok", rttMs: performance.now() - sent };
  } catch (e) {
    return {
      kind: "failed",
      reason: e instanceof Error ? e.message : String(e),
    };
  } finally {
    a.close();
    b.close();
  }
}
