/**
 * The browser side of the WHIP and WHEP tests, bundled for Chromium: an
 * independent WHIP client (Medooze's `whip-whep` from npm: it POSTs its offer
 * before gathering and trickles every candidate with PATCH) publishing the
 * fake camera and microphone, and a WHEP player in a few lines of
 * RTCPeerConnection and fetch.
 *
 * @module
 */

import { WHIPClient } from "whip-whep/whip.js";

interface Page {
  whip?: WHIPClient;
  whep?: { pc: RTCPeerConnection; resource: string };
  startWhip(endpoint: string): Promise<string>;
  stopWhip(): Promise<void>;
  startWhep(endpoint: string): Promise<number>;
  stopWhep(): Promise<number>;
}

const page = globalThis as unknown as Page;

/**
 * Publishes the camera (in two simulcast layers) and the microphone;
 * resolves with the resource URL.
 */
page.startWhip = async (endpoint) => {
  // 640×480: Chromium sends two simulcast layers from 640×360 up.
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: 640, height: 480 },
    audio: true,
  });
  const pc = new RTCPeerConnection();
  for (const track of stream.getTracks()) {
    pc.addTransceiver(track, {
      direction: "sendonly",
      ...(track.kind === "video"
        ? {
          sendEncodings: [
            { rid: "l", scaleResolutionDownBy: 2, maxBitrate: 150_000 },
            { rid: "h", maxBitrate: 500_000 },
          ],
        }
        : {}),
    });
  }
  const client = new WHIPClient();
  page.whip = client;
  await client.publish(pc, endpoint);
  // Set by publish(), though its declarations do not list it.
  return String((client as unknown as { resourceURL: URL }).resourceURL);
};

/** Ends the WHIP session (DELETE). */
page.stopWhip = async () => {
  await page.whip?.stop();
};

/** Watches a WHEP endpoint in a `<video>`; resolves with the POST's status. */
page.startWhep = async (endpoint) => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const video = document.createElement("video");
  video.id = "whep";
  video.autoplay = true;
  video.muted = true;
  document.body.append(video);
  const stream = new MediaStream();
  pc.ontrack = (e) => {
    stream.addTrack(e.track);
    video.srcObject = stream;
  };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise<void>((resolve) => {
    if (pc.iceGatheringState === "complete") resolve();
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === "complete") resolve();
    };
  });
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/sdp" },
    body: pc.localDescription!.sdp,
  });
  if (response.status !== 201) return response.status;
  const resource = new URL(response.headers.get("Location")!, endpoint).href;
  page.whep = { pc, resource };
  await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
  return response.status;
};

/** Ends the WHEP session (DELETE); resolves with its status. */
page.stopWhep = async () => {
  const whep = page.whep;
  if (!whep) return 0;
  whep.pc.close();
  const response = await fetch(whep.resource, { method: "DELETE" });
  return response.status;
};
