//! VP9 for recording: the RTP payload descriptor (RFC 9628 §4.2), the frame
//! size a layer frame's uncompressed header states (VP9 bitstream spec §6.2:
//! keyframes, intra-only frames, and inter frames whose size is not that of
//! a reference, as the upper spatial layers of an SVC keyframe are), and
//! the superframe index that joins the spatial layers of one picture
//! (VP9 bitstream spec Annex B).

/// What recording needs of a VP9 payload descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Vp9Descriptor {
    /// B: the packet begins a (layer) frame.
    pub begin: bool,
    /// E: the packet ends a (layer) frame.
    pub end: bool,
    /// P: the frame is predicted from an earlier picture.
    pub inter: bool,
    /// Spatial layer id, when L is set.
    pub sid: Option<u8>,
    /// Largest width and height announced by a scalability structure.
    pub size: Option<(u32, u32)>,
    /// Length of the descriptor; the VP9 payload starts here.
    pub len: usize,
}

/// Parses the descriptor at the start of `payload`; None when truncated.
pub fn parse(payload: &[u8]) -> Option<Vp9Descriptor> {
    let b0 = *payload.first()?;
    let (picture_id, inter, layers, flexible) = (
        b0 & 0x80 != 0,
        b0 & 0x40 != 0,
        b0 & 0x20 != 0,
        b0 & 0x10 != 0,
    );
    let mut d = Vp9Descriptor {
        begin: b0 & 0x08 != 0,
        end: b0 & 0x04 != 0,
        inter,
        ..Vp9Descriptor::default()
    };
    let ss = b0 & 0x02 != 0;
    let mut at = 1;
    if picture_id {
        at += if *payload.get(at)? & 0x80 != 0 { 2 } else { 1 };
    }
    if layers {
        d.sid = Some((*payload.get(at)? >> 1) & 0x07);
        at += 1;
        if !flexible {
            at += 1; // TL0PICIDX
        }
    }
    if flexible && inter {
        // Up to three P_DIFF bytes, each with N set when another follows.
        for _ in 0..3 {
            let p = *payload.get(at)?;
            at += 1;
            if p & 0x01 == 0 {
                break;
            }
        }
    }
    if ss {
        let s = *payload.get(at)?;
        at += 1;
        let spatial = usize::from(s >> 5) + 1;
        if s & 0x10 != 0 {
            for _ in 0..spatial {
                let b = payload.get(at..at + 4)?;
                let w = u32::from(u16::from_be_bytes([b[0], b[1]]));
                let h = u32::from(u16::from_be_bytes([b[2], b[3]]));
                let (mw, mh) = d.size.unwrap_or((0, 0));
                d.size = Some((mw.max(w), mh.max(h)));
                at += 4;
            }
        }
        if s & 0x08 != 0 {
            let groups = *payload.get(at)?;
            at += 1;
            for _ in 0..groups {
                let g = *payload.get(at)?;
                at += 1 + usize::from((g >> 2) & 0x03);
            }
        }
    }
    if at > payload.len() {
        return None;
    }
    d.len = at;
    Some(d)
}

struct Bits<'a> {
    data: &'a [u8],
    at: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: u32) -> Option<u32> {
        let mut v = 0;
        for _ in 0..n {
            let byte = *self.data.get(self.at / 8)?;
            v = (v << 1) | u32::from((byte >> (7 - self.at % 8)) & 1);
            self.at += 1;
        }
        Some(v)
    }
}

/// Width and height a VP9 frame states in its uncompressed header: a
/// keyframe's, an intra-only frame's, or an inter frame's that is not the
/// size of one of its references (an upper spatial layer of an SVC
/// keyframe, predicted from the smaller layer below). None for a frame that
/// takes a reference's size, or an unreadable header.
pub fn frame_size(frame: &[u8]) -> Option<(u32, u32)> {
    let mut b = Bits { data: frame, at: 0 };
    if b.read(2)? != 2 {
        return None; // frame_marker
    }
    let profile = b.read(1)? | (b.read(1)? << 1);
    if profile == 3 {
        b.read(1)?; // reserved_zero
    }
    if b.read(1)? == 1 {
        return None; // show_existing_frame
    }
    let key = b.read(1)? == 0; // frame_type
    let show_frame = b.read(1)? == 1;
    let error_resilient = b.read(1)? == 1;
    if key {
        sync_code(&mut b)?;
        color_config(&mut b, profile)?;
    } else {
        let intra_only = !show_frame && b.read(1)? == 1;
        if !error_resilient {
            b.read(2)?; // reset_frame_context
        }
        if intra_only {
            sync_code(&mut b)?;
            if profile > 0 {
                color_config(&mut b, profile)?;
            }
            b.read(8)?; // refresh_frame_flags
        } else {
            b.read(8)?; // refresh_frame_flags
            b.read(12)?; // ref_frame_idx and ref_frame_sign_bias, 3 times
            for _ in 0..3 {
                if b.read(1)? == 1 {
                    return None; // found_ref: the size of that reference
                }
            }
        }
    }
    let w = b.read(16)? + 1;
    let h = b.read(16)? + 1;
    Some((w, h))
}

fn sync_code(b: &mut Bits) -> Option<()> {
    (b.read(24)? == 0x49_83_42).then_some(())
}

fn color_config(b: &mut Bits, profile: u32) -> Option<()> {
    if profile >= 2 {
        b.read(1)?; // ten_or_twelve_bit
    }
    let color_space = b.read(3)?;
    if color_space != 7 {
        b.read(1)?; // color_range
        if profile == 1 || profile == 3 {
            b.read(3)?; // subsampling_x, subsampling_y, reserved_zero
        }
    } else if profile == 1 || profile == 3 {
        b.read(1)?; // reserved_zero
    }
    Some(())
}

/// Appends a superframe index describing frames of the given sizes, which
/// must already be concatenated in `out` (Annex B): a marker byte, the
/// sizes in four bytes each, little-endian, and the marker again.
pub fn append_superframe_index(out: &mut Vec<u8>, sizes: &[u32]) {
    if sizes.len() < 2 || sizes.len() > 8 {
        return;
    }
    let marker = 0xC0 | (3 << 3) | (sizes.len() as u8 - 1);
    out.push(marker);
    for s in sizes {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out.push(marker);
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// The start of a profile 0 keyframe's uncompressed header, to its size.
    pub fn key_header(w: u16, h: u16) -> Vec<u8> {
        bits(&[
            (0b10_00_0_0_1_0, 8),
            (0x49_83_42, 24),
            (0, 4),
            (u64::from(w) - 1, 16),
            (u64::from(h) - 1, 16),
        ])
    }

    /// The start of an inter frame's header that states its own size.
    pub fn inter_header(w: u16, h: u16) -> Vec<u8> {
        bits(&[
            (0b10_00_0_1_1_0, 8),
            (0, 2),
            (0x01, 8),
            (0, 12),
            (0b000, 3),
            (u64::from(w) - 1, 16),
            (u64::from(h) - 1, 16),
        ])
    }

    #[test]
    fn a_plain_descriptor_gives_begin_end_and_prediction() {
        let d = parse(&[0x8C, 0x12, 0xAA]).unwrap(); // I, B, E; 7-bit picture id
        assert!(d.begin && d.end && !d.inter);
        assert_eq!(d.len, 2);
        let d = parse(&[0xC8, 0x80, 0x01, 0xAA]).unwrap(); // I, P, B; 15-bit id
        assert!(d.inter && d.begin && !d.end);
        assert_eq!(d.len, 3);
    }

    #[test]
    fn layer_indices_and_tl0picidx_are_skipped_in_non_flexible_mode() {
        let d = parse(&[0xA8, 0x01, 0x02, 0x07, 0xAA]).unwrap(); // I, L, B; sid 1
        assert_eq!(d.sid, Some(1));
        assert_eq!(d.len, 4);
    }

    #[test]
    fn flexible_mode_skips_up_to_three_reference_indices() {
        let d = parse(&[0x58, 0x03, 0x05, 0x04, 0xAA]).unwrap(); // P, F, B
        assert_eq!(d.len, 4);
    }

    #[test]
    fn a_scalability_structure_gives_the_largest_resolution() {
        // B, V; N_S=1 (two layers), Y=1, G=0; 320x180 and 640x360.
        let d = parse(&[
            0x0A, 0x30, 0x01, 0x40, 0x00, 0xB4, 0x02, 0x80, 0x01, 0x68, 0xAA,
        ])
        .unwrap();
        assert_eq!(d.size, Some((640, 360)));
        assert_eq!(d.len, 10);
    }

    #[test]
    fn a_truncated_descriptor_is_refused() {
        assert_eq!(parse(&[]), None);
        assert_eq!(parse(&[0x80]), None);
        assert_eq!(parse(&[0x0A, 0x10, 0x01]), None);
    }

    #[test]
    fn the_keyframe_header_of_profile_0_gives_its_size() {
        // frame_marker 10, profile 00, show_existing 0, frame_type 0,
        // show_frame 1, error_res 0 -> 1000 0010 = 0x82; sync 49 83 42;
        // color_space 000, range 0, then width-1 = 639, height-1 = 359.
        let mut bits: Vec<u8> = Vec::new();
        let mut acc: u64 = 0;
        let mut n = 0;
        let mut push = |v: u64, w: u32, bits: &mut Vec<u8>| {
            acc = (acc << w) | v;
            n += w;
            while n >= 8 {
                bits.push((acc >> (n - 8)) as u8);
                n -= 8;
            }
        };
        push(0x82, 8, &mut bits);
        push(0x49_83_42, 24, &mut bits);
        push(0, 4, &mut bits);
        push(639, 16, &mut bits);
        push(359, 16, &mut bits);
        push(0, 4, &mut bits);
        assert_eq!(frame_size(&bits), Some((640, 360)));
        bits[1] = 0x48; // not the sync code
        assert_eq!(frame_size(&bits), None);
        assert_eq!(frame_size(&[0x82, 0x49]), None);
    }

    /// Bits written most significant first, padded with zeros.
    pub fn bits(fields: &[(u64, u32)]) -> Vec<u8> {
        let mut out = Vec::new();
        let (mut acc, mut n) = (0u64, 0u32);
        for &(v, w) in fields.iter().chain([(0, 7)].iter()) {
            acc = (acc << w) | v;
            n += w;
            while n >= 8 {
                out.push((acc >> (n - 8)) as u8);
                n -= 8;
            }
        }
        out
    }

    #[test]
    fn an_inter_frame_states_its_size_unless_a_reference_has_it() {
        // frame_marker 10, profile 00, show_existing 0, frame_type 1,
        // show_frame 1, error_res 0; reset_frame_context 00; refresh 8
        // bits; 3 × (idx, sign bias); found_ref 0 0 0; 1280×720.
        assert_eq!(frame_size(&inter_header(1280, 720)), Some((1280, 720)));
        assert_eq!(frame_size(&key_header(320, 180)), Some((320, 180)));
        // found_ref 0 1: the size is the second reference's, unknown here.
        let by_ref = bits(&[(0b10_00_0_1_1_0, 8), (0, 2), (0x01, 8), (0, 12), (0b01, 2)]);
        assert_eq!(frame_size(&by_ref), None);
        // An intra-only frame (show_frame 0, intra_only 1), profile 0.
        let intra = bits(&[
            (0b10_00_0_1_0_0, 8),
            (1, 1),
            (0, 2),
            (0x49_83_42, 24),
            (0xff, 8),
            (639, 16),
            (359, 16),
        ]);
        assert_eq!(frame_size(&intra), Some((640, 360)));
    }

    #[test]
    fn a_superframe_index_wraps_the_sizes_in_markers() {
        let mut out = vec![1, 2, 3];
        append_superframe_index(&mut out, &[1, 2]);
        assert_eq!(out, [1, 2, 3, 0xD9, 1, 0, 0, 0, 2, 0, 0, 0, 0xD9]);
        let mut single = vec![1];
        append_superframe_index(&mut single, &[1]);
        assert_eq!(single, [1]);
    }
}
