//! Frames from RTP payloads, for recording: VP8 (RFC 7741), VP9 (RFC 9628),
//! H.264 (RFC 6184, single NAL units, STAP-A and FU-A, written as 4-byte
//! length-prefixed NAL units as Matroska's AVC track wants) and Opus (one
//! packet, one frame, RFC 7587).
//!
//! Packets must come in sequence order; a gap is announced with
//! [`Assembler::lost`], which drops the frame under way.

use crate::depacketize_vp9 as vp9;
use crate::vp8;

/// The codecs a recording can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecCodec {
    Vp8,
    Vp9,
    H264,
    Opus,
}

/// A complete frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub timestamp: u32,
    pub keyframe: bool,
    /// Width and height read from a keyframe, when the codec tells them.
    pub size: Option<(u32, u32)>,
    pub data: Vec<u8>,
}

/// Joins the packets of each frame.
pub struct Assembler {
    codec: RecCodec,
    active: bool,
    timestamp: u32,
    keyframe: bool,
    size: Option<(u32, u32)>,
    data: Vec<u8>,
    /// VP9: sizes of the spatial layer frames joined so far.
    layers: Vec<u32>,
    /// H.264: where the length of the NAL unit being reassembled goes.
    fu_at: Option<usize>,
    /// H.264: the latest SPS and PPS, for the CodecPrivate.
    pub sps: Vec<u8>,
    pub pps: Vec<u8>,
}

/// AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.2.4.1) of one SPS and
/// one PPS, with 4-byte NAL lengths; empty when either is missing.
pub fn avc_config(sps: &[u8], pps: &[u8]) -> Vec<u8> {
    if sps.len() < 4 || pps.is_empty() {
        return Vec::new();
    }
    let mut c = vec![1, sps[1], sps[2], sps[3], 0xFF, 0xE1];
    c.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    c.extend_from_slice(sps);
    c.push(1);
    c.extend_from_slice(&(pps.len() as u16).to_be_bytes());
    c.extend_from_slice(pps);
    c
}

fn vp8_keyframe_size(p: &[u8]) -> Option<(u32, u32)> {
    // Frame tag (3 bytes), start code 9d 01 2a, then 14-bit width and
    // height, little-endian (RFC 6386 §9.1).
    if p.len() < 10 || p[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let w = u32::from(u16::from_le_bytes([p[6], p[7]]) & 0x3fff);
    let h = u32::from(u16::from_le_bytes([p[8], p[9]]) & 0x3fff);
    Some((w, h))
}

impl Assembler {
    pub fn new(codec: RecCodec) -> Assembler {
        Assembler {
            codec,
            active: false,
            timestamp: 0,
            keyframe: false,
            size: None,
            data: Vec::new(),
            layers: Vec::new(),
            fu_at: None,
            sps: Vec::new(),
            pps: Vec::new(),
        }
    }

    /// Drops the frame under way (a packet of it was lost).
    pub fn lost(&mut self) {
        self.active = false;
        self.fu_at = None;
    }

    fn begin(&mut self, timestamp: u32) {
        self.active = true;
        self.timestamp = timestamp;
        self.keyframe = false;
        self.size = None;
        self.data.clear();
        self.layers.clear();
        self.fu_at = None;
    }

    fn finish(&mut self, out: &mut Vec<Frame>) {
        if !self.active {
            return;
        }
        self.active = false;
        if self.codec == RecCodec::Vp9 {
            let layers = core::mem::take(&mut self.layers);
            vp9::append_superframe_index(&mut self.data, &layers);
            self.layers = layers;
        }
        if self.data.is_empty() {
            return;
        }
        out.push(Frame {
            timestamp: self.timestamp,
            keyframe: self.keyframe,
            size: self.size,
            data: core::mem::take(&mut self.data),
        });
    }

    /// Takes one payload (in sequence order); complete frames go to `out`.
    pub fn push(&mut self, timestamp: u32, marker: bool, payload: &[u8], out: &mut Vec<Frame>) {
        // A new timestamp ends the frame before it even if its marker
        // packet never said so (VP9 sets it only on the top spatial layer).
        if self.active && timestamp != self.timestamp {
            if self.codec == RecCodec::Vp9 && self.layer_open() {
                self.lost();
            } else {
                self.finish(out);
            }
        }
        let ok = match self.codec {
            RecCodec::Opus => {
                self.begin(timestamp);
                self.keyframe = true;
                self.data.extend_from_slice(payload);
                self.finish(out);
                return;
            }
            RecCodec::Vp8 => self.push_vp8(timestamp, payload),
            RecCodec::Vp9 => self.push_vp9(timestamp, payload),
            RecCodec::H264 => self.push_h264(timestamp, payload),
        };
        if !ok {
            self.lost();
        } else if marker {
            self.finish(out);
        }
    }

    fn layer_open(&self) -> bool {
        let done: u32 = self.layers.iter().sum();
        self.data.len() as u32 != done
    }

    fn push_vp8(&mut self, timestamp: u32, payload: &[u8]) -> bool {
        let d = match vp8::parse(payload) {
            Some(d) => d,
            None => return false,
        };
        let body = &payload[d.len..];
        if d.frame_start() {
            self.begin(timestamp);
            self.keyframe = d.keyframe;
            if d.keyframe {
                self.size = vp8_keyframe_size(body);
            }
        } else if !self.active {
            return true; // the middle of a frame we did not see begin
        }
        self.data.extend_from_slice(body);
        true
    }

    fn push_vp9(&mut self, timestamp: u32, payload: &[u8]) -> bool {
        let d = match vp9::parse(payload) {
            Some(d) => d,
            None => return false,
        };
        let body = &payload[d.len..];
        if d.begin {
            if !self.active {
                if d.inter || d.sid.unwrap_or(0) != 0 {
                    // A picture must begin with its base layer; a keyframe's
                    // base layer is not predicted from earlier pictures.
                    self.begin(timestamp);
                } else {
                    self.begin(timestamp);
                    self.keyframe = true;
                }
            } else if self.layer_open() {
                return false;
            }
            if self.keyframe {
                // The picture's largest layer (its top one) sizes it: the
                // scalability structure's, or each layer frame's own.
                let layer = d.size.or_else(|| vp9::frame_size(body));
                let area =
                    |s: Option<(u32, u32)>| s.map_or(0, |(w, h)| u64::from(w) * u64::from(h));
                if area(layer) > area(self.size) {
                    self.size = layer;
                }
            } else if let Some(s) = d.size {
                self.size = Some(s);
            }
        } else if !self.active || !self.layer_open() {
            return false; // a layer frame must begin with B
        }
        self.data.extend_from_slice(body);
        if d.end {
            let done: u32 = self.layers.iter().sum();
            self.layers.push(self.data.len() as u32 - done);
        }
        true
    }

    fn push_h264(&mut self, timestamp: u32, payload: &[u8]) -> bool {
        let header = match payload.first() {
            Some(&h) => h,
            None => return false,
        };
        match header & 0x1f {
            1..=23 => {
                self.begin_h264(timestamp);
                self.nal(payload);
            }
            24 => {
                self.begin_h264(timestamp);
                let mut at = 1;
                while at + 2 <= payload.len() {
                    let n = usize::from(u16::from_be_bytes([payload[at], payload[at + 1]]));
                    at += 2;
                    match payload.get(at..at + n) {
                        Some(nal) if n > 0 => self.nal(nal),
                        _ => return false,
                    }
                    at += n;
                }
            }
            28 => {
                let fu = match payload.get(1) {
                    Some(&f) => f,
                    None => return false,
                };
                let (start, end) = (fu & 0x80 != 0, fu & 0x40 != 0);
                if start {
                    self.begin_h264(timestamp);
                    self.fu_at = Some(self.data.len());
                    self.data
                        .extend_from_slice(&[0, 0, 0, 0, (header & 0xe0) | (fu & 0x1f)]);
                    if fu & 0x1f == 5 {
                        self.keyframe = true;
                    }
                } else if self.fu_at.is_none() {
                    return !self.active; // a fragment without its start
                }
                self.data.extend_from_slice(&payload[2..]);
                if end {
                    if let Some(at) = self.fu_at.take() {
                        let n = (self.data.len() - at - 4) as u32;
                        self.data[at..at + 4].copy_from_slice(&n.to_be_bytes());
                    }
                }
            }
            _ => return false, // STAP-B, MTAP, FU-B: not sent by browsers
        }
        true
    }

    fn begin_h264(&mut self, timestamp: u32) {
        if !self.active {
            self.begin(timestamp);
        }
    }

    fn nal(&mut self, nal: &[u8]) {
        match nal[0] & 0x1f {
            5 => self.keyframe = true,
            7 => {
                self.sps.clear();
                self.sps.extend_from_slice(nal);
            }
            8 => {
                self.pps.clear();
                self.pps.extend_from_slice(nal);
            }
            _ => {}
        }
        self.data
            .extend_from_slice(&(nal.len() as u32).to_be_bytes());
        self.data.extend_from_slice(nal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(a: &mut Assembler, packets: &[(u32, bool, &[u8])]) -> Vec<Frame> {
        let mut out = Vec::new();
        for &(ts, m, p) in packets {
            a.push(ts, m, p, &mut out);
        }
        out
    }

    const VP8_KEY: [u8; 11] = [
        0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01,
    ];

    #[test]
    fn vp8_frames_join_their_packets_and_keyframes_give_their_size() {
        let mut a = Assembler::new(RecCodec::Vp8);
        let f = run(
            &mut a,
            &[
                (90, false, &VP8_KEY),
                (90, true, &[0x00, 0xAA]),
                (180, true, &[0x10, 0x01, 0xBB]),
            ],
        );
        assert_eq!(f.len(), 2);
        assert!(f[0].keyframe);
        assert_eq!(f[0].size, Some((640, 360)));
        assert_eq!(f[0].data[10..], [0xAA]);
        assert!(!f[1].keyframe);
        assert_eq!(f[1].data, [0x01, 0xBB]);
    }

    #[test]
    fn vp8_packets_before_a_frame_start_are_ignored() {
        let mut a = Assembler::new(RecCodec::Vp8);
        let f = run(
            &mut a,
            &[(90, true, &[0x00, 0xAA]), (180, true, &[0x10, 0x01])],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].timestamp, 180);
    }

    #[test]
    fn a_loss_drops_the_frame_under_way() {
        let mut a = Assembler::new(RecCodec::Vp8);
        let mut out = Vec::new();
        a.push(90, false, &VP8_KEY, &mut out);
        a.lost();
        a.push(90, true, &[0x00, 0xAA], &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn a_new_timestamp_ends_a_frame_whose_marker_was_not_set() {
        let mut a = Assembler::new(RecCodec::Vp8);
        let f = run(
            &mut a,
            &[(90, false, &[0x10, 0x01]), (180, false, &[0x10, 0x03])],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].data, [0x01]);
    }

    #[test]
    fn opus_packets_are_keyframes_on_their_own() {
        let mut a = Assembler::new(RecCodec::Opus);
        let f = run(
            &mut a,
            &[(960, false, &[0xFC, 1]), (1920, false, &[0xFC, 2])],
        );
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|f| f.keyframe));
    }

    #[test]
    fn vp9_spatial_layers_become_one_superframe() {
        let mut a = Assembler::new(RecCodec::Vp9);
        // Base layer keyframe (B, E, L sid 0), then sid 1 (B, E, L, marker).
        let f = run(
            &mut a,
            &[
                (90, false, &[0x2C, 0x00, 0x00, 0xA1]),
                (90, true, &[0x2C, 0x02, 0x00, 0xB1, 0xB2]),
            ],
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].keyframe);
        assert_eq!(
            f[0].data,
            [0xA1, 0xB1, 0xB2, 0xD9, 1, 0, 0, 0, 2, 0, 0, 0, 0xD9]
        );
    }

    #[test]
    fn a_vp9_svc_keyframe_takes_the_size_of_its_top_layer() {
        use crate::depacketize_vp9::tests::{inter_header, key_header};
        let mut a = Assembler::new(RecCodec::Vp9);
        // Three layer frames (B, E, L sid 0/1/2 with TL0PICIDX, no
        // scalability structure):
        // a 320×180 keyframe, then 640×360 and 1280×720 predicted from it.
        let layer = |sid: u8, body: Vec<u8>| {
            let mut p = vec![0x2C, sid << 1, 0];
            if sid > 0 {
                p[0] |= 0x40; // P: the layers above are not keyframes
                p[1] |= 0x01; // D: predicted from the layer below
            }
            p.extend(body);
            p
        };
        let (s0, s1, s2) = (
            layer(0, key_header(320, 180)),
            layer(1, inter_header(640, 360)),
            layer(2, inter_header(1280, 720)),
        );
        let f = run(
            &mut a,
            &[(90, false, &s0), (90, false, &s1), (90, true, &s2)],
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].keyframe);
        assert_eq!(f[0].size, Some((1280, 720)));
    }

    #[test]
    fn vp9_inter_frames_are_not_keyframes_and_single_layers_have_no_index() {
        let mut a = Assembler::new(RecCodec::Vp9);
        let f = run(
            &mut a,
            &[(90, false, &[0x48, 0x01]), (90, true, &[0x44, 0x02])],
        );
        assert_eq!(f.len(), 1);
        assert!(!f[0].keyframe);
        assert_eq!(f[0].data, [0x01, 0x02]);
    }

    #[test]
    fn h264_stap_a_and_fu_a_become_length_prefixed_nal_units() {
        let mut a = Assembler::new(RecCodec::H264);
        let stap: &[u8] = &[
            0x18, 0x00, 0x04, 0x67, 0x42, 0xC0, 0x1F, 0x00, 0x02, 0x68, 0xCE,
        ];
        let fu_start: &[u8] = &[0x7C, 0x85, 0x11];
        let fu_end: &[u8] = &[0x7C, 0x45, 0x22];
        let f = run(
            &mut a,
            &[(90, false, stap), (90, false, fu_start), (90, true, fu_end)],
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].keyframe);
        assert_eq!(
            f[0].data,
            [
                0, 0, 0, 4, 0x67, 0x42, 0xC0, 0x1F, 0, 0, 0, 2, 0x68, 0xCE, 0, 0, 0, 3, 0x65, 0x11,
                0x22
            ]
        );
        assert_eq!(
            avc_config(&a.sps, &a.pps),
            [1, 0x42, 0xC0, 0x1F, 0xFF, 0xE1, 0, 4, 0x67, 0x42, 0xC0, 0x1F, 1, 0, 2, 0x68, 0xCE]
        );
    }

    #[test]
    fn an_h264_fragment_without_its_start_is_dropped() {
        let mut a = Assembler::new(RecCodec::H264);
        let f = run(
            &mut a,
            &[(90, true, &[0x7C, 0x45, 0x22]), (180, true, &[0x41, 0x9A])],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].data, [0, 0, 0, 2, 0x41, 0x9A]);
        assert!(avc_config(&a.sps, &a.pps).is_empty());
    }
}
