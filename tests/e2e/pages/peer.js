// A minimal protocol-v2 peer for the end-to-end tests: it joins, publishes
// and subscribes like a real client and exposes its state to the test
// through window.peer. Plain script, no build step.
"use strict";

function randomId() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

class Peer {
  constructor() {
    this.id = randomId();
    this.ws = null;
    this.messages = [];
    this.ups = new Map(); // id -> {pc, label, stream}
    this.downs = new Map(); // id -> {pc, label, source, video}
    this.closedDowns = [];
    this.rtcConfiguration = {};
    this.joined = null;
  }

  send(m) {
    this.ws.send(JSON.stringify(m));
  }

  connect(group, username, password) {
    return new Promise((resolve, reject) => {
      const proto = location.protocol === "https:" ? "wss:" : "ws:";
      this.ws = new WebSocket(`${proto}//${location.host}/ws`);
      this.ws.onopen = () => {
        this.send({ type: "handshake", version: ["2"], id: this.id });
        this.send({ type: "join", kind: "join", group, username, password });
      };
      this.ws.onmessage = (e) => {
        const m = JSON.parse(e.data);
        this.messages.push(m);
        this.onMessage(m).catch((err) => console.error("peer:", err));
        if (m.type === "joined" && m.kind === "join") {
          this.joined = m;
          this.rtcConfiguration = m.rtcConfiguration || {};
          resolve(m);
        } else if (m.type === "joined" && m.kind === "fail") {
          reject(new Error(m.value));
        }
      };
      this.ws.onerror = () => reject(new Error("websocket error"));
    });
  }

  request(req) {
    this.send({ type: "request", request: req });
  }

  requestStream(id, req) {
    this.send({ type: "requestStream", id, request: req });
  }

  async onMessage(m) {
    switch (m.type) {
      case "ping":
        this.send({ type: "pong" });
        break;
      case "answer": {
        const up = this.ups.get(m.id);
        if (up) {
          await up.pc.setRemoteDescription({ type: "answer", sdp: m.sdp });
          up.remoteSet = true;
          for (const c of up.pending.splice(0)) await up.pc.addIceCandidate(c);
        }
        break;
      }
      case "offer":
        await this.onOffer(m);
        break;
      case "ice": {
        const c = this.ups.get(m.id) || this.downs.get(m.id);
        if (!c) break;
        if (c.remoteSet) await c.pc.addIceCandidate(m.candidate);
        else c.pending.push(m.candidate);
        break;
      }
      case "close": {
        const d = this.downs.get(m.id);
        if (d) {
          d.pc.close();
          d.video.remove();
          this.downs.delete(m.id);
          this.closedDowns.push(m.id);
        }
        break;
      }
      case "abort":
        this.closeUp(m.id);
        break;
    }
  }

  async onOffer(m) {
    let d = this.downs.get(m.id);
    if (!d) {
      const pc = new RTCPeerConnection(this.rtcConfiguration);
      const video = document.createElement("video");
      video.autoplay = true;
      video.muted = true;
      video.playsInline = true;
      video.width = 320;
      document.getElementById("videos").append(video);
      const stream = new MediaStream();
      video.srcObject = stream;
      d = {
        pc,
        label: m.label,
        source: m.source,
        video,
        stream,
        pending: [],
        remoteSet: false,
      };
      this.downs.set(m.id, d);
      pc.ontrack = (e) => {
        stream.addTrack(e.track);
        video.play().catch(() => {});
      };
      pc.onicecandidate = (e) => {
        if (e.candidate) {
          this.send({ type: "ice", id: m.id, candidate: e.candidate.toJSON() });
        }
      };
    }
    await d.pc.setRemoteDescription({ type: "offer", sdp: m.sdp });
    d.remoteSet = true;
    for (const c of d.pending.splice(0)) await d.pc.addIceCandidate(c);
    const answer = await d.pc.createAnswer();
    await d.pc.setLocalDescription(answer);
    this.send({ type: "answer", id: m.id, sdp: d.pc.localDescription.sdp });
  }

  async publish(
    {
      label = "camera",
      simulcast = false,
      screen = false,
      contentHint = "",
      scalabilityMode = "",
      codec = "",
    } = {},
  ) {
    const stream = screen
      ? await navigator.mediaDevices.getDisplayMedia({ video: true })
      : await navigator.mediaDevices.getUserMedia({
        audio: true,
        video: { width: { ideal: 1280 }, height: { ideal: 720 } },
      });
    for (const t of stream.getVideoTracks()) t.contentHint = contentHint;
    const pc = new RTCPeerConnection(this.rtcConfiguration);
    const id = randomId();
    for (const track of stream.getTracks()) {
      const init = { direction: "sendonly", streams: [stream] };
      if (track.kind === "video" && simulcast) {
        init.sendEncodings = [
          { rid: "h" },
          { rid: "l", scaleResolutionDownBy: 2, maxBitrate: 100000 },
        ];
        if (scalabilityMode) {
          for (const e of init.sendEncodings) {
            e.scalabilityMode = scalabilityMode;
          }
        }
      } else if (track.kind === "video" && scalabilityMode) {
        init.sendEncodings = [{ scalabilityMode }];
      }
      const transceiver = pc.addTransceiver(track, init);
      if (track.kind === "video" && codec) {
        // Only `codec` ("video/VP9" or "video/VP9;profile-id=0"): a
        // scalability mode the first codec lacks stops the encoder.
        const [mime, fmtp] = codec.split(";");
        const all = RTCRtpSender.getCapabilities("video").codecs;
        transceiver.setCodecPreferences(
          all.filter((c) =>
            c.mimeType === mime && (!fmtp || c.sdpFmtpLine === fmtp)
          ),
        );
      }
    }
    const up = { pc, label, stream, pending: [], remoteSet: false };
    this.ups.set(id, up);
    pc.onicecandidate = (e) => {
      if (e.candidate) {
        this.send({ type: "ice", id, candidate: e.candidate.toJSON() });
      }
    };
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    this.send({
      type: "offer",
      id,
      label,
      source: this.id,
      sdp: pc.localDescription.sdp,
    });
    return id;
  }

  closeUp(id) {
    const up = this.ups.get(id);
    if (!up) return;
    up.stream.getTracks().forEach((t) => t.stop());
    up.pc.close();
    this.ups.delete(id);
    this.send({ type: "close", id });
  }

  async upStats() {
    const out = [];
    for (const [id, up] of this.ups) {
      const report = await up.pc.getStats();
      report.forEach((s) => {
        if (s.type === "outbound-rtp") {
          out.push({
            id,
            kind: s.kind,
            rid: s.rid || "",
            bytesSent: s.bytesSent,
            frameWidth: s.frameWidth || 0,
            frameHeight: s.frameHeight || 0,
            targetBitrate: s.targetBitrate || 0,
            timestamp: s.timestamp,
            qualityLimitationReason: s.qualityLimitationReason,
            framesPerSecond: s.framesPerSecond,
            framesEncoded: s.framesEncoded,
            scalabilityMode: s.scalabilityMode || "",
            pliCount: s.pliCount,
            firCount: s.firCount,
            encoderImplementation: s.encoderImplementation || "",
          });
        }
      });
    }
    return out;
  }

  async downStats() {
    const out = [];
    for (const [id, d] of this.downs) {
      const report = await d.pc.getStats();
      report.forEach((s) => {
        if (s.type === "inbound-rtp") {
          out.push({
            id,
            label: d.label,
            kind: s.kind,
            packetsReceived: s.packetsReceived,
            bytesReceived: s.bytesReceived,
            framesDecoded: s.framesDecoded || 0,
            frameWidth: s.frameWidth || 0,
            frameHeight: s.frameHeight || 0,
            timestamp: s.timestamp,
            pliCount: s.pliCount,
            nackCount: s.nackCount,
            framesReceived: s.framesReceived,
            keyFramesDecoded: s.keyFramesDecoded,
            packetsLost: s.packetsLost,
            framesDropped: s.framesDropped,
            freezeCount: s.freezeCount,
            totalFreezesDuration: s.totalFreezesDuration,
          });
        }
      });
    }
    return out;
  }
}

globalThis.peer = new Peer();
