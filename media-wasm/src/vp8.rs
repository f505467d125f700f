//! VP8 RTP payload descriptor (RFC 7741 section 4.2): parsing and in-place
//! rewriting of PictureID and TL0PICIDX.

/// The VP8 payload descriptor; offsets are from the start of the payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Vp8Descriptor {
    /// N: the frame is not a reference for others.
    pub non_reference: bool,
    /// S: the packet starts a VP8 partition.
    pub start: bool,
    pub partition_id: u8,
    /// PictureID value, its offset, and whether it is 15 bits (M=1).
    pub picture_id: Option<(u16, usize, bool)>,
    /// TL0PICIDX value and its offset.
    pub tl0_pic_idx: Option<(u8, usize)>,
    /// Temporal layer index, when T is set.
    pub tid: Option<u8>,
    /// Y: layer sync (an up-switch point).
    pub layer_sync: bool,
    /// Length of the descriptor; the VP8 payload starts here.
    pub len: usize,
    /// The packet begins a key frame: S=1, PID=0 and the P bit of the VP8
    /// payload header is 0 (RFC 7741 section 4.3).
    pub keyframe: bool,
}

impl Vp8Descriptor {
    /// True for the first packet of a frame (S=1 and partition 0).
    pub fn frame_start(&self) -> bool {
        self.start && self.partition_id == 0
    }
}

/// Parses the descriptor at the start of `payload`; None when truncated or
/// when nothing follows it.
pub fn parse(payload: &[u8]) -> Option<Vp8Descriptor> {
    let b0 = *payload.first()?;
    let mut d = Vp8Descriptor {
        non_reference: b0 & 0x20 != 0,
        start: b0 & 0x10 != 0,
        partition_id: b0 & 0x07,
        ..Vp8Descriptor::default()
    };
    let mut at = 1;
    if b0 & 0x80 != 0 {
        let x = *payload.get(at)?;
        at += 1;
        if x & 0x80 != 0 {
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
        if x & 0x40 != 0 {
            d.tl0_pic_idx = Some((*payload.get(at)?, at));
            at += 1;
        }
        if x & 0x30 != 0 {
            let t = *payload.get(at)?;
            if x & 0x20 != 0 {
                d.tid = Some(t >> 6);
                d.layer_sync = t & 0x20 != 0;
            }
            at += 1;
        }
    }
    let first = *payload.get(at)?;
    d.len = at;
    d.keyframe = d.frame_start() && first & 0x01 == 0;
    Some(d)
}

/// Rewrites the PictureID in place, keeping its width (the value is masked to
/// 7 or 15 bits). Does nothing when the packet has no PictureID.
pub fn set_picture_id(payload: &mut [u8], d: &Vp8Descriptor, value: u16) {
    if let Some((_, at, long)) = d.picture_id {
        write_picture_id(payload, at, long, value);
    }
}

/// Writes a PictureID of the given width at `at` (the same field in VP8's
/// and VP9's payload descriptors), masked to 7 or 15 bits.
pub fn write_picture_id(payload: &mut [u8], at: usize, long: bool, value: u16) {
    if long {
        payload[at] = 0x80 | ((value >> 8) as u8 & 0x7f);
        payload[at + 1] = value as u8;
    } else {
        payload[at] = value as u8 & 0x7f;
    }
}

/// Rewrites TL0PICIDX in place; does nothing when absent.
pub fn set_tl0_pic_idx(payload: &mut [u8], d: &Vp8Descriptor, value: u8) {
    if let Some((_, at)) = d.tl0_pic_idx {
        payload[at] = value;
    }
}

/// Modulus of a PictureID of the given width.
pub fn picture_id_modulus(long: bool) -> u16 {
    if long {
        1 << 15
    } else {
        1 << 7
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A descriptor with X, I (15-bit), L and T, then a VP8 header byte.
    pub fn full(start: bool, pid: u16, tl0: u8, tid: u8, keyframe: bool) -> Vec<u8> {
        let s = if start { 0x10 } else { 0 };
        let p = if keyframe { 0 } else { 1 };
        vec![
            0x80 | s,
            0xe0,
            0x80 | (pid >> 8) as u8,
            pid as u8,
            tl0,
            (tid << 6) | 0x20,
            p,
            0,
            0,
        ]
    }

    #[test]
    fn a_minimal_descriptor_is_one_byte() {
        let d = parse(&[0x10, 0x00, 0x01]).unwrap();
        assert_eq!(d.len, 1);
        assert!(d.start && d.keyframe && d.frame_start());
        assert_eq!(d.picture_id, None);
    }

    #[test]
    fn the_p_bit_set_means_an_interframe() {
        let d = parse(&[0x10, 0x01]).unwrap();
        assert!(!d.keyframe && d.frame_start());
    }

    #[test]
    fn only_partition_zero_at_start_can_be_a_keyframe() {
        assert!(!parse(&[0x11, 0x00]).unwrap().keyframe);
        assert!(!parse(&[0x00, 0x00]).unwrap().keyframe);
    }

    #[test]
    fn all_extension_fields_are_read() {
        let p = full(true, 0x1234, 200, 2, true);
        let d = parse(&p).unwrap();
        assert_eq!(d.picture_id, Some((0x1234, 2, true)));
        assert_eq!(d.tl0_pic_idx, Some((200, 4)));
        assert_eq!(d.tid, Some(2));
        assert!(d.layer_sync && d.keyframe);
        assert_eq!(d.len, 6);
    }

    #[test]
    fn a_7_bit_picture_id_is_read() {
        let d = parse(&[0x90, 0x80, 0x05, 0x01]).unwrap();
        assert_eq!(d.picture_id, Some((5, 2, false)));
        assert_eq!(d.len, 3);
        assert!(!d.keyframe);
    }

    #[test]
    fn k_without_t_takes_a_byte_but_gives_no_tid() {
        let d = parse(&[0x90, 0x10, 0x1f, 0x00]).unwrap();
        assert_eq!(d.tid, None);
        assert_eq!(d.len, 3);
        assert!(d.keyframe);
    }

    #[test]
    fn truncated_descriptors_are_rejected() {
        let p = full(true, 0x1234, 1, 0, true);
        for n in 0..7 {
            assert_eq!(parse(&p[..n]), None, "length {}", n);
        }
        assert!(parse(&p[..7]).is_some());
    }

    #[test]
    fn picture_id_and_tl0_are_rewritten_in_place() {
        let mut p = full(false, 0x7fff, 255, 1, false);
        let d = parse(&p).unwrap();
        set_picture_id(&mut p, &d, 0x8001);
        set_tl0_pic_idx(&mut p, &d, 0);
        let d2 = parse(&p).unwrap();
        assert_eq!(d2.picture_id.map(|x| x.0), Some(1));
        assert_eq!(d2.tl0_pic_idx.map(|x| x.0), Some(0));
        assert_eq!(d2.tid, Some(1));
    }

    #[test]
    fn a_7_bit_picture_id_stays_7_bits() {
        let mut p = vec![0x90, 0x80, 0x05, 0x01];
        let d = parse(&p).unwrap();
        set_picture_id(&mut p, &d, 130);
        assert_eq!(parse(&p).unwrap().picture_id, Some((2, 2, false)));
        assert_eq!(picture_id_modulus(false), 128);
        assert_eq!(picture_id_modulus(true), 32768);
    }

    #[test]
    fn rewriting_absent_fields_changes_nothing() {
        let mut p = vec![0x10, 0x00];
        let d = parse(&p).unwrap();
        set_picture_id(&mut p, &d, 9);
        set_tl0_pic_idx(&mut p, &d, 9);
        assert_eq!(p, vec![0x10, 0x00]);
    }
}
