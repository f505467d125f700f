//! VP9 RTP payload descriptor for forwarding (RFC 9628 section 4.2): the
//! layer fields a selective forwarder needs (TID, U, SID, D, Z, B, E, P, F),
//! in flexible and non-flexible mode, and in-place rewriting of the picture
//! id and TL0PICIDX. Recording has its own, smaller reader
//! (`depacketize_vp9.rs`), which also walks the scalability structure.

/// The fields of one VP9 payload descriptor; offsets from the payload start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Vp9Descriptor {
    /// P: inter-picture predicted (not decodable without earlier pictures).
    pub inter: bool,
    /// F: flexible mode (references listed as P_DIFF).
    pub flexible: bool,
    /// B: the packet begins a layer frame.
    pub begin: bool,
    /// E: the packet ends a layer frame.
    pub end: bool,
    /// V: a scalability structure follows.
    pub ss: bool,
    /// Z: not a reference for frames of higher spatial layers.
    pub not_upper_ref: bool,
    /// PictureID value, its offset, and whether it is 15 bits (M=1).
    pub picture_id: Option<(u16, usize, bool)>,
    /// Temporal layer id, when L is set.
    pub tid: Option<u8>,
    /// U: a switching-up point: later frames of higher temporal layers do
    /// not reference anything before this picture of a higher layer.
    pub switch_up: bool,
    /// Spatial layer id, when L is set.
    pub sid: Option<u8>,
    /// D: inter-layer dependency on the spatial layer below.
    pub inter_layer: bool,
    /// TL0PICIDX value and its offset (non-flexible mode with L).
    pub tl0_pic_idx: Option<(u8, usize)>,
    /// Number of P_DIFF references (flexible mode).
    pub references: u8,
    /// Offset of the first byte after the fields above (the scalability
    /// structure, when V is set, starts here).
    pub fixed_len: usize,
}

impl Vp9Descriptor {
    /// The packet begins a keyframe: the start of a non-predicted frame of
    /// the base spatial layer.
    pub fn keyframe(&self) -> bool {
        self.begin && !self.inter && self.sid.unwrap_or(0) == 0
    }
}

/// Parses the descriptor at the start of `payload`; None when truncated.
/// The scalability structure, when present, is not walked.
pub fn parse(payload: &[u8]) -> Option<Vp9Descriptor> {
    let b0 = *payload.first()?;
    let mut d = Vp9Descriptor {
        inter: b0 & 0x40 != 0,
        flexible: b0 & 0x10 != 0,
        begin: b0 & 0x08 != 0,
        end: b0 & 0x04 != 0,
        ss: b0 & 0x02 != 0,
        not_upper_ref: b0 & 0x01 != 0,
        ..Vp9Descriptor::default()
    };
    let mut at = 1;
    if b0 & 0x80 != 0 {
        let p0 = *payload.get(at)?;
        if p0 & 0x80 != 0 {
            let p1 = *payload.get(at + 1)?;
            d.picture_id = Some(((u16::from(p0 & 0x7f) << 8) | u16::from(p1), at, true));
            at += 2;
        } else {
            d.picture_id = Some((u16::from(p0), at, false));
            at += 1;
        }
    }
    if b0 & 0x20 != 0 {
        let l = *payload.get(at)?;
        d.tid = Some(l >> 5);
        d.switch_up = l & 0x10 != 0;
        d.sid = Some((l >> 1) & 0x07);
        d.inter_layer = l & 0x01 != 0;
        at += 1;
        if !d.flexible {
            d.tl0_pic_idx = Some((*payload.get(at)?, at));
            at += 1;
        }
    }
    if d.flexible && d.inter {
        // Up to three P_DIFF bytes, each with N set when another follows.
        loop {
            let p = *payload.get(at)?;
            at += 1;
            d.references += 1;
            if p & 0x01 == 0 {
                break;
            }
            if d.references == 3 {
                return None;
            }
        }
    }
    d.fixed_len = at;
    Some(d)
}

/// Rewrites the PictureID in place, keeping its width (the value is masked
/// to 7 or 15 bits). Does nothing when the packet has none.
pub fn set_picture_id(payload: &mut [u8], d: &Vp9Descriptor, value: u16) {
    if let Some((_, at, long)) = d.picture_id {
        crate::vp8::write_picture_id(payload, at, long, value);
    }
}

/// Rewrites TL0PICIDX in place; does nothing when absent.
pub fn set_tl0_pic_idx(payload: &mut [u8], d: &Vp9Descriptor, value: u8) {
    if let Some((_, at)) = d.tl0_pic_idx {
        payload[at] = value;
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A non-flexible descriptor: I (15-bit), L with TL0PICIDX, then one
    /// byte of VP9 payload.
    pub fn non_flexible(
        pid: u16,
        tid: u8,
        sid: u8,
        tl0: u8,
        flags: (bool, bool, bool, bool),
    ) -> Vec<u8> {
        let (begin, end, inter, switch_up) = flags;
        let b0 = 0xa0
            | if inter { 0x40 } else { 0 }
            | if begin { 0x08 } else { 0 }
            | if end { 0x04 } else { 0 };
        let l = (tid << 5) | if switch_up { 0x10 } else { 0 } | (sid << 1);
        vec![b0, 0x80 | (pid >> 8) as u8, pid as u8, l, tl0, 0x82]
    }

    #[test]
    fn a_non_flexible_descriptor_gives_every_layer_field() {
        let p = non_flexible(0x1234, 2, 1, 77, (true, false, true, true));
        let d = parse(&p).unwrap();
        assert_eq!(d.picture_id, Some((0x1234, 1, true)));
        assert_eq!((d.tid, d.sid, d.switch_up), (Some(2), Some(1), true));
        assert_eq!(d.tl0_pic_idx, Some((77, 4)));
        assert!(d.begin && !d.end && d.inter && !d.flexible);
        assert_eq!(d.fixed_len, 5);
        assert!(!d.keyframe());
    }

    #[test]
    fn a_flexible_descriptor_skips_its_references_and_has_no_tl0() {
        // I (7-bit 5), P, L, F, B; L: TID 1, SID 0, D; two P_DIFF.
        let p = [0xf8, 0x05, 0x21, 0x03, 0x04, 0x99];
        let d = parse(&p).unwrap();
        assert_eq!(d.picture_id, Some((5, 1, false)));
        assert_eq!((d.tid, d.sid, d.inter_layer), (Some(1), Some(0), true));
        assert_eq!(d.tl0_pic_idx, None);
        assert_eq!((d.references, d.fixed_len), (2, 5));
    }

    #[test]
    fn more_than_three_references_are_refused() {
        assert_eq!(parse(&[0xd8, 0x05, 0x03, 0x03, 0x03, 0x02]), None);
        assert!(parse(&[0xd8, 0x05, 0x03, 0x03, 0x02]).is_some());
    }

    #[test]
    fn truncated_descriptors_are_refused() {
        let p = non_flexible(0x1234, 0, 0, 1, (true, true, false, false));
        for n in 0..5 {
            assert_eq!(parse(&p[..n]), None, "length {}", n);
        }
        assert!(parse(&p[..5]).is_some());
    }

    #[test]
    fn a_keyframe_is_a_non_predicted_begin_of_spatial_layer_0() {
        let key = non_flexible(1, 0, 0, 0, (true, false, false, false));
        assert!(parse(&key).unwrap().keyframe());
        let upper = non_flexible(1, 0, 1, 0, (true, false, false, false));
        assert!(!parse(&upper).unwrap().keyframe());
        assert!(parse(&[0x08]).unwrap().keyframe());
    }

    #[test]
    fn picture_id_and_tl0_are_rewritten_in_place_keeping_their_width() {
        let mut p = non_flexible(0x7fff, 0, 0, 255, (true, true, true, false));
        let d = parse(&p).unwrap();
        set_picture_id(&mut p, &d, 0x8001);
        set_tl0_pic_idx(&mut p, &d, 3);
        let e = parse(&p).unwrap();
        assert_eq!(e.picture_id.map(|x| x.0), Some(1));
        assert_eq!(e.tl0_pic_idx.map(|x| x.0), Some(3));
        let mut short = vec![0x88, 0x05, 0x00];
        let d = parse(&short).unwrap();
        set_picture_id(&mut short, &d, 130);
        assert_eq!(parse(&short).unwrap().picture_id, Some((2, 1, false)));
    }
}
