//! Per-codec payload inspection: does this packet begin a keyframe, where do
//! frames start, which layers does it belong to. Each codec answers
//! `Unknown` when the payload does not let it tell, rather than guessing.

use crate::vp8;

/// Codecs Nereid forwards. The numbers are part of the ABI; audio codecs
/// start at 16.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    Vp8 = 1,
    Vp9 = 2,
    H264 = 3,
    Av1 = 4,
    Opus = 16,
    G722 = 17,
    Pcmu = 18,
    Pcma = 19,
}

impl Codec {
    /// The codec with ABI number `n`, if any.
    pub fn from_u32(n: u32) -> Option<Codec> {
        match n {
            1 => Some(Codec::Vp8),
            2 => Some(Codec::Vp9),
            3 => Some(Codec::H264),
            4 => Some(Codec::Av1),
            16 => Some(Codec::Opus),
            17 => Some(Codec::G722),
            18 => Some(Codec::Pcmu),
            19 => Some(Codec::Pcma),
            _ => None,
        }
    }

    /// True for audio codecs.
    pub fn is_audio(self) -> bool {
        self as u32 >= 16
    }
}

/// Whether a packet begins a keyframe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keyframe {
    Yes,
    No,
    Unknown,
}

/// What inspection of one payload found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadFacts {
    pub keyframe: Keyframe,
    /// The packet begins a frame. For H.264 and AV1, whose frame starts this
    /// module does not parse, only keyframe starts are reported.
    pub frame_start: bool,
    pub tid: Option<u8>,
    pub sid: Option<u8>,
    /// A temporal switching point: VP8's Y (this frame references only the
    /// base layer), VP9's U (later frames of higher layers reference
    /// nothing before this one).
    pub switch_up: bool,
    /// The packet ends a layer frame (VP9's E, AV1's end of frame).
    pub layer_end: bool,
    /// AV1: bit t when temporal layers up to t may start with this frame
    /// (from the dependency descriptor, filled in by the cache).
    pub switch_targets: u8,
    /// VP9's Z: this layer frame is no reference for higher spatial layers.
    pub not_upper_ref: bool,
}

impl PayloadFacts {
    const UNKNOWN: PayloadFacts = PayloadFacts {
        keyframe: Keyframe::Unknown,
        frame_start: false,
        tid: None,
        sid: None,
        switch_up: false,
        layer_end: false,
        switch_targets: 0,
        not_upper_ref: false,
    };

    fn keyframe_only(k: Keyframe) -> PayloadFacts {
        PayloadFacts {
            keyframe: k,
            frame_start: k == Keyframe::Yes,
            ..PayloadFacts::UNKNOWN
        }
    }
}

/// Inspects an RTP payload (padding excluded) of `codec`.
pub fn inspect(codec: Codec, payload: &[u8]) -> PayloadFacts {
    match codec {
        Codec::Vp8 => match vp8::parse(payload) {
            None => PayloadFacts::UNKNOWN,
            Some(d) => PayloadFacts {
                keyframe: if d.keyframe {
                    Keyframe::Yes
                } else {
                    Keyframe::No
                },
                frame_start: d.frame_start(),
                tid: d.tid,
                sid: None,
                switch_up: d.layer_sync,
                ..PayloadFacts::UNKNOWN
            },
        },
        Codec::Vp9 => vp9(payload),
        Codec::H264 => PayloadFacts::keyframe_only(h264(payload)),
        Codec::Av1 => PayloadFacts::keyframe_only(av1(payload)),
        // Every audio packet of these codecs decodes on its own.
        Codec::Opus | Codec::G722 | Codec::Pcmu | Codec::Pcma => PayloadFacts {
            keyframe: Keyframe::Yes,
            frame_start: true,
            ..PayloadFacts::UNKNOWN
        },
    }
}

/// VP9 payload descriptor (RFC 9628 section 4.2), read by `svc_vp9`.
fn vp9(payload: &[u8]) -> PayloadFacts {
    let d = match crate::svc_vp9::parse(payload) {
        Some(d) => d,
        None => return PayloadFacts::UNKNOWN,
    };
    let base = d.sid.unwrap_or(0) == 0;
    PayloadFacts {
        keyframe: if d.keyframe() {
            Keyframe::Yes
        } else {
            Keyframe::No
        },
        frame_start: d.begin && base,
        tid: d.tid,
        sid: d.sid,
        switch_up: d.switch_up,
        layer_end: d.end,
        switch_targets: 0,
        not_upper_ref: d.not_upper_ref,
    }
}

fn h264_nal(nal_type: u8) -> Keyframe {
    match nal_type {
        5 | 7 => Keyframe::Yes, // IDR slice, sequence parameter set
        1..=23 => Keyframe::No,
        _ => Keyframe::Unknown,
    }
}

/// H.264 (RFC 6184): single NAL unit, STAP-A (24) and FU-A (28).
fn h264(payload: &[u8]) -> Keyframe {
    let nal_type = match payload.first() {
        Some(&b) => b & 0x1f,
        None => return Keyframe::Unknown,
    };
    match nal_type {
        1..=23 => h264_nal(nal_type),
        24 => {
            let mut at = 1;
            let mut answer = Keyframe::No;
            while at < payload.len() {
                if payload.len() < at + 3 {
                    return Keyframe::Unknown;
                }
                let size = usize::from(u16::from_be_bytes([payload[at], payload[at + 1]]));
                if size == 0 || payload.len() < at + 2 + size {
                    return Keyframe::Unknown;
                }
                if h264_nal(payload[at + 2] & 0x1f) == Keyframe::Yes {
                    answer = Keyframe::Yes;
                }
                at += 2 + size;
            }
            answer
        }
        28 => match payload.get(1) {
            Some(&fu) if fu & 0x80 != 0 => h264_nal(fu & 0x1f),
            Some(_) => Keyframe::No, // a continuation never starts a frame
            None => Keyframe::Unknown,
        },
        _ => Keyframe::Unknown, // STAP-B, MTAP, FU-B and reserved types
    }
}

/// AV1 (AV1 RTP payload format section 4.4): the aggregation header's N bit
/// marks the first packet of a coded video sequence; failing that, a packet
/// whose first whole OBU is a sequence header also starts one.
fn av1(payload: &[u8]) -> Keyframe {
    let agg = match payload.first() {
        Some(&b) => b,
        None => return Keyframe::Unknown,
    };
    if agg & 0x08 != 0 {
        return Keyframe::Yes;
    }
    if agg & 0x80 != 0 {
        return Keyframe::No; // Z: the first element continues an earlier OBU
    }
    let w = (agg >> 4) & 0x03;
    let mut at = 1;
    if w != 1 {
        // The first element carries a LEB128 length.
        loop {
            match payload.get(at) {
                Some(&b) => {
                    at += 1;
                    if b & 0x80 == 0 {
                        break;
                    }
                }
                None => return Keyframe::Unknown,
            }
            if at > 9 {
                return Keyframe::Unknown;
            }
        }
    }
    match payload.get(at) {
        Some(&h) if (h >> 3) & 0x0f == 1 => Keyframe::Yes, // OBU_SEQUENCE_HEADER
        Some(_) => Keyframe::No,
        None => Keyframe::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(codec: Codec, p: &[u8]) -> Keyframe {
        inspect(codec, p).keyframe
    }

    #[test]
    fn codec_numbers_round_trip_and_audio_is_told_apart() {
        for n in 0..32 {
            if let Some(c) = Codec::from_u32(n) {
                assert_eq!(c as u32, n);
                assert_eq!(c.is_audio(), n >= 16);
            }
        }
        assert_eq!(Codec::from_u32(5), None);
    }

    #[test]
    fn vp8_keyframes_interframes_and_garbage() {
        assert_eq!(key(Codec::Vp8, &[0x10, 0x00]), Keyframe::Yes);
        assert_eq!(key(Codec::Vp8, &[0x10, 0x01]), Keyframe::No);
        assert_eq!(key(Codec::Vp8, &[0x00, 0x00]), Keyframe::No);
        assert_eq!(key(Codec::Vp8, &[0x10]), Keyframe::Unknown);
        assert_eq!(key(Codec::Vp8, &[]), Keyframe::Unknown);
        let f = inspect(Codec::Vp8, &crate::vp8::tests::full(true, 1, 1, 2, false));
        assert_eq!((f.tid, f.frame_start), (Some(2), true));
    }

    #[test]
    fn vp9_keyframe_needs_begin_no_inter_and_base_layer() {
        assert_eq!(key(Codec::Vp9, &[0x08]), Keyframe::Yes);
        assert_eq!(key(Codec::Vp9, &[0x48]), Keyframe::No); // P set
        assert_eq!(key(Codec::Vp9, &[0x00]), Keyframe::No); // not B
                                                            // I with 15-bit picture id, L with TID 1 SID 0
        let f = inspect(Codec::Vp9, &[0xa8, 0x81, 0x02, 0x20, 0x05]);
        assert_eq!(
            (f.keyframe, f.tid, f.sid, f.frame_start),
            (Keyframe::Yes, Some(1), Some(0), true)
        );
        // SID 1 is not the base layer
        let f = inspect(Codec::Vp9, &[0x28, 0x02, 0x05]);
        assert_eq!(
            (f.keyframe, f.sid, f.frame_start),
            (Keyframe::No, Some(1), false)
        );
    }

    #[test]
    fn vp9_truncated_descriptors_are_unknown() {
        assert_eq!(key(Codec::Vp9, &[]), Keyframe::Unknown);
        assert_eq!(key(Codec::Vp9, &[0x88]), Keyframe::Unknown);
        assert_eq!(key(Codec::Vp9, &[0xa8, 0x01]), Keyframe::Unknown);
    }

    #[test]
    fn h264_single_nal_units() {
        assert_eq!(key(Codec::H264, &[0x65, 0]), Keyframe::Yes); // IDR
        assert_eq!(key(Codec::H264, &[0x67, 0]), Keyframe::Yes); // SPS
        assert_eq!(key(Codec::H264, &[0x41, 0]), Keyframe::No); // non-IDR slice
        assert_eq!(key(Codec::H264, &[0x68, 0]), Keyframe::No); // PPS
        assert_eq!(key(Codec::H264, &[0x60]), Keyframe::Unknown); // type 0
        assert_eq!(key(Codec::H264, &[]), Keyframe::Unknown);
    }

    #[test]
    fn h264_stap_a_is_a_keyframe_when_any_unit_is() {
        let sps_pps = [0x78, 0, 2, 0x67, 1, 0, 2, 0x68, 2];
        assert_eq!(key(Codec::H264, &sps_pps), Keyframe::Yes);
        assert_eq!(
            key(Codec::H264, &[0x78, 0, 2, 0x68, 1, 0, 1, 0x06]),
            Keyframe::No
        );
        assert_eq!(key(Codec::H264, &[0x78, 0, 9, 0x67]), Keyframe::Unknown);
        assert_eq!(key(Codec::H264, &[0x78, 0, 0, 0x67]), Keyframe::Unknown);
    }

    #[test]
    fn h264_fu_a_is_a_keyframe_only_at_the_start_of_an_idr() {
        assert_eq!(key(Codec::H264, &[0x7c, 0x85, 0]), Keyframe::Yes);
        assert_eq!(key(Codec::H264, &[0x7c, 0x05, 0]), Keyframe::No);
        assert_eq!(key(Codec::H264, &[0x7c, 0x81, 0]), Keyframe::No);
        assert_eq!(key(Codec::H264, &[0x7c]), Keyframe::Unknown);
        assert_eq!(key(Codec::H264, &[0x7d, 0x85]), Keyframe::Unknown); // FU-B
        assert_eq!(key(Codec::H264, &[0x79, 0]), Keyframe::Unknown); // STAP-B
    }

    #[test]
    fn av1_n_bit_and_sequence_header() {
        assert_eq!(key(Codec::Av1, &[0x18, 0x0a]), Keyframe::Yes); // N
        assert_eq!(key(Codec::Av1, &[0x10, 0x0a, 0]), Keyframe::Yes); // W=1, seq header
        assert_eq!(key(Codec::Av1, &[0x00, 0x02, 0x0a, 0]), Keyframe::Yes); // W=0, length then OBU
        assert_eq!(key(Codec::Av1, &[0x10, 0x32, 0]), Keyframe::No); // frame OBU
        assert_eq!(key(Codec::Av1, &[0x90, 0x0a]), Keyframe::No); // Z
        assert_eq!(key(Codec::Av1, &[0x00, 0x80]), Keyframe::Unknown);
        assert_eq!(key(Codec::Av1, &[0x10]), Keyframe::Unknown);
        assert_eq!(key(Codec::Av1, &[]), Keyframe::Unknown);
        assert!(inspect(Codec::Av1, &[0x18]).frame_start);
    }

    #[test]
    fn audio_packets_always_decode_on_their_own() {
        for c in [Codec::Opus, Codec::G722, Codec::Pcmu, Codec::Pcma] {
            let f = inspect(c, &[]);
            assert_eq!((f.keyframe, f.frame_start), (Keyframe::Yes, true));
        }
    }
}
