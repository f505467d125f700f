//! One down track's SVC filter: forwards the packets of the layers the
//! selector keeps and drops the others, keeping the outgoing sequence
//! numbers contiguous across the drops (and, for VP8, the picture ids), so
//! that the subscriber sees no loss it would ask to be repaired.
//!
//! Drops are remembered as runs of extended sequence numbers: the stream
//! is a list of segments, each either forwarded with a sequence offset or
//! dropped (from its first to its last dropped packet). A packet in order
//! starts or extends a segment; a late packet (reordered, or repaired
//! upstream) takes the offset of the segment it falls in, and is dropped
//! in a dropped one. A packet missing upstream outside a dropped run is
//! left as a gap in a forwarded segment: the subscriber's NACK for it is
//! answered once it arrives. A late packet of a layer no longer kept is
//! dropped, and its gap stays (the frame it belongs to was dropped).

use crate::svc_selector::{on_picture, Layers, Picture, SvcReason, SvcSelection, UpSwitch};

/// Segments remembered: at two per picture (a forwarded and a dropped
/// spatial layer), over a second of 30 fps; older late packets are dropped.
pub const SEGMENTS: usize = 128;

/// What the filter needs of one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvcPacket {
    pub ext: i64,
    pub timestamp: u32,
    pub sid: u8,
    pub tid: u8,
    /// The packet begins a keyframe.
    pub keyframe: bool,
    pub up_switch: UpSwitch,
    /// The packet ends a (layer) frame: VP9's E bit.
    pub layer_end: bool,
    pub marker: bool,
}

/// Why a packet was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SvcDrop {
    /// Its layer is above the ones forwarded.
    Layer,
    /// A late packet of a dropped run, or older than the runs remembered.
    Late,
}

/// What to do with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SvcVerdict {
    /// Send it with this sequence offset, this many fewer pictures
    /// before it (VP8 picture ids), and this marker bit.
    Forward {
        seq: i64,
        pictures: u16,
        marker: bool,
    },
    Drop(SvcDrop),
}

#[derive(Clone, Copy, Debug, Default)]
struct Segment {
    start: i64,
    /// The last packet of a dropped run.
    end: i64,
    forward: bool,
    seq: i64,
    pictures: u16,
}

/// How the filter treats one codec's pictures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// VP8 (and AV1, which has no picture ids): dropped pictures shift the
    /// picture ids of later ones, and the marker bit is the sender's.
    Vp8,
    /// VP9: picture ids keep their gaps (flexible mode references pictures
    /// by their id difference), and the marker bit goes on the last packet
    /// of the highest spatial layer forwarded.
    Vp9,
}

/// The filter state of one down track.
pub struct SvcFilter {
    mode: Mode,
    selection: SvcSelection,
    segments: [Segment; SEGMENTS],
    /// Index of the newest segment.
    head: usize,
    len: usize,
    highest: Option<i64>,
    picture_ts: Option<u32>,
    dropped_pictures: u16,
    highest_sid: u8,
    highest_tid: u8,
    last_reason: Option<SvcReason>,
}

impl SvcFilter {
    /// A filter forwarding every layer until told otherwise.
    pub fn new(mode: Mode) -> Self {
        SvcFilter {
            mode,
            selection: SvcSelection::new(Layers::ALL, Layers::ALL),
            segments: [Segment::default(); SEGMENTS],
            head: 0,
            len: 0,
            highest: None,
            picture_ts: None,
            dropped_pictures: 0,
            highest_sid: 0,
            highest_tid: 0,
            last_reason: None,
        }
    }

    /// The selector state.
    pub fn selection(&self) -> SvcSelection {
        self.selection
    }

    /// Why the forwarded layers last changed.
    pub fn last_reason(&self) -> Option<SvcReason> {
        self.last_reason
    }

    /// Aims for `target`; the layers change at the next allowed picture.
    pub fn set_target(&mut self, target: Layers) {
        self.selection = self.selection.with_target(target);
    }

    /// The highest spatial and temporal layer ids seen.
    pub fn highest(&self) -> (u8, u8) {
        (self.highest_sid, self.highest_tid)
    }

    /// True while only a keyframe can bring the target's spatial layer.
    pub fn wants_keyframe(&self) -> bool {
        self.selection.wants_keyframe(self.highest_sid)
    }

    /// Starts over at a new source whose first packet is `first_ext`, sent
    /// with sequence offset `seq`. The first picture goes to the target.
    pub fn reset(&mut self, first_ext: i64, seq: i64) {
        self.segments[0] = Segment {
            start: first_ext,
            end: first_ext,
            forward: true,
            seq,
            pictures: 0,
        };
        self.head = 0;
        self.len = 1;
        self.highest = None;
        self.picture_ts = None;
        self.dropped_pictures = 0;
        let target = self.selection.target;
        self.selection = SvcSelection::new(target, target);
    }

    fn newest(&self) -> Option<Segment> {
        if self.len == 0 {
            None
        } else {
            Some(self.segments[self.head])
        }
    }

    fn push(&mut self, s: Segment) {
        if self.len > 0 {
            self.head = (self.head + 1) % SEGMENTS;
        }
        self.segments[self.head] = s;
        self.len = (self.len + 1).min(SEGMENTS);
    }

    fn marker(&self, p: &SvcPacket) -> bool {
        match self.mode {
            Mode::Vp8 => p.marker,
            Mode::Vp9 => p.marker || (p.layer_end && p.sid == self.selection.current.sid),
        }
    }

    /// Decides about one packet.
    pub fn offer(&mut self, p: &SvcPacket) -> SvcVerdict {
        self.highest_sid = self.highest_sid.max(p.sid);
        self.highest_tid = self.highest_tid.max(p.tid);
        match self.highest {
            Some(h) if p.ext <= h => return self.late(p),
            _ => {}
        }
        self.highest = Some(p.ext);
        let new_picture = self.picture_ts != Some(p.timestamp);
        if new_picture {
            self.picture_ts = Some(p.timestamp);
            let picture = Picture {
                keyframe: p.keyframe,
                sid: p.sid,
                tid: p.tid,
                up_switch: p.up_switch,
            };
            let (next, reason) = on_picture(self.selection, picture);
            self.selection = next;
            if reason.is_some() {
                self.last_reason = reason;
            }
        }
        let keep = self.selection.current.keeps(p.sid, p.tid);
        let newest = self.newest().unwrap_or_default();
        if !keep {
            if new_picture && self.mode == Mode::Vp8 {
                self.dropped_pictures = self.dropped_pictures.wrapping_add(1);
            }
            if newest.forward || self.len == 0 {
                self.push(Segment {
                    start: p.ext,
                    end: p.ext,
                    forward: false,
                    seq: newest.seq,
                    pictures: newest.pictures,
                });
            } else {
                self.segments[self.head].end = p.ext;
            }
            return SvcVerdict::Drop(SvcDrop::Layer);
        }
        let mut seg = newest;
        if !seg.forward || seg.pictures != self.dropped_pictures || self.len == 0 {
            // After a dropped run, the holes before this packet stay gaps.
            let (start, seq) = if seg.forward {
                (p.ext, seg.seq)
            } else {
                (seg.end + 1, seg.seq - (seg.end + 1 - seg.start))
            };
            seg = Segment {
                start,
                end: start,
                forward: true,
                seq,
                pictures: self.dropped_pictures,
            };
            self.push(seg);
        }
        SvcVerdict::Forward {
            seq: seg.seq,
            pictures: seg.pictures,
            marker: self.marker(p),
        }
    }

    fn late(&self, p: &SvcPacket) -> SvcVerdict {
        if !self.selection.current.keeps(p.sid, p.tid) {
            return SvcVerdict::Drop(SvcDrop::Layer);
        }
        for i in 0..self.len {
            let s = self.segments[(self.head + SEGMENTS - i) % SEGMENTS];
            if s.start <= p.ext {
                if !s.forward {
                    // Inside the run, or in a hole after it whose packet
                    // was of a dropped layer.
                    return SvcVerdict::Drop(SvcDrop::Late);
                }
                return SvcVerdict::Forward {
                    seq: s.seq,
                    pictures: s.pictures,
                    marker: self.marker(p),
                };
            }
        }
        SvcVerdict::Drop(SvcDrop::Late)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An L1T3 VP8 packet: frame `n` (one packet) of the pattern 0 2 1 2,
    /// Y set on the first TL1 and TL2 frames after each TL0.
    fn l1t3(ext: i64, n: u32) -> SvcPacket {
        let tid = [0, 2, 1, 2][(n % 4) as usize];
        SvcPacket {
            ext,
            timestamp: n * 3000,
            sid: 0,
            tid,
            keyframe: n == 0,
            up_switch: if n % 4 == 1 || n % 4 == 2 {
                UpSwitch::Here
            } else {
                UpSwitch::No
            },
            layer_end: true,
            marker: true,
        }
    }

    fn filter() -> SvcFilter {
        let mut f = SvcFilter::new(Mode::Vp8);
        f.reset(0, 0);
        f
    }

    /// Offers frames `ns` with one packet each from `ext0` on; returns the
    /// outgoing sequence number (or None) of each.
    fn run(f: &mut SvcFilter, ext0: i64, ns: std::ops::Range<u32>) -> Vec<Option<i64>> {
        ns.enumerate()
            .map(|(i, n)| {
                let p = l1t3(ext0 + i as i64, n);
                match f.offer(&p) {
                    SvcVerdict::Forward { seq, .. } => Some(p.ext + seq),
                    SvcVerdict::Drop(_) => None,
                }
            })
            .collect()
    }

    #[test]
    fn every_layer_passes_with_its_own_numbers_by_default() {
        let mut f = filter();
        let out = run(&mut f, 0, 0..8);
        assert_eq!(out, (0..8).map(Some).collect::<Vec<_>>());
    }

    #[test]
    fn the_base_layer_alone_has_contiguous_numbers_and_picture_ids() {
        let mut f = filter();
        f.set_target(Layers { sid: 0, tid: 0 });
        let mut sent = Vec::new();
        for n in 0..12u32 {
            if let SvcVerdict::Forward { seq, pictures, .. } = f.offer(&l1t3(i64::from(n), n)) {
                sent.push((i64::from(n) + seq, (n as u16).wrapping_sub(pictures)));
            }
        }
        assert_eq!(sent, vec![(0, 0), (1, 1), (2, 2)]);
        assert_eq!(f.last_reason(), Some(SvcReason::Keyframe));
    }

    #[test]
    fn a_switch_down_and_up_keeps_numbers_contiguous_without_a_keyframe() {
        let mut f = filter();
        assert_eq!(
            run(&mut f, 0, 0..4),
            vec![Some(0), Some(1), Some(2), Some(3)]
        );
        f.set_target(Layers { sid: 0, tid: 0 });
        // Frames 4..8: only TL0 (frame 4) is sent.
        assert_eq!(run(&mut f, 4, 4..8), vec![Some(4), None, None, None]);
        assert_eq!(f.last_reason(), Some(SvcReason::TemporalDown));
        f.set_target(Layers { sid: 0, tid: 2 });
        // Frame 8 TL0, frame 9 TL2 with Y: not the next layer up, dropped;
        // frame 10 TL1 with Y: raises to TL1; frame 13 TL2 with Y: to TL2.
        let out = run(&mut f, 8, 8..15);
        assert_eq!(
            out,
            vec![Some(5), None, Some(6), None, Some(7), Some(8), Some(9)]
        );
        assert_eq!(f.selection().current, Layers { sid: 0, tid: 2 });
        assert_eq!(f.last_reason(), Some(SvcReason::TemporalUp));
    }

    #[test]
    fn a_late_packet_takes_the_numbers_of_its_run() {
        let mut f = filter();
        f.set_target(Layers { sid: 0, tid: 0 });
        // Frame 0 (ext 0), frame 1 dropped (ext 1, 2 arrives, 1 late), frame 4.
        let key = l1t3(0, 0);
        assert!(matches!(f.offer(&key), SvcVerdict::Forward { seq: 0, .. }));
        let mut p = l1t3(2, 1);
        assert_eq!(f.offer(&p), SvcVerdict::Drop(SvcDrop::Layer));
        p.ext = 1;
        assert_eq!(f.offer(&p), SvcVerdict::Drop(SvcDrop::Layer));
        // A base-layer packet lost upstream at ext 3, then frame 4 at ext 4:
        // the run dropped ext 2 only, so ext 3 stays a gap (out 2).
        let four = l1t3(4, 4);
        assert!(matches!(
            f.offer(&four),
            SvcVerdict::Forward { seq: -1, .. }
        ));
        // Its repair arrives late and fills the gap.
        let mut repair = l1t3(3, 4);
        repair.keyframe = false;
        assert!(matches!(
            f.offer(&repair),
            SvcVerdict::Forward { seq: -1, .. }
        ));
        // A late packet of the dropped run is dropped.
        let mut tl0 = l1t3(2, 0);
        tl0.keyframe = false;
        assert_eq!(f.offer(&tl0), SvcVerdict::Drop(SvcDrop::Late));
    }

    #[test]
    fn a_packet_older_than_every_run_is_dropped() {
        let mut f = filter();
        f.set_target(Layers { sid: 0, tid: 0 });
        let mut ext = 0;
        for n in 0..(SEGMENTS as u32 * 2) {
            f.offer(&l1t3(ext, n));
            ext += 1;
        }
        let old = l1t3(1, 0);
        assert_eq!(f.offer(&old), SvcVerdict::Drop(SvcDrop::Late));
    }

    #[test]
    fn sequence_numbers_stay_contiguous_across_the_16_bit_wrap() {
        let mut f = SvcFilter::new(Mode::Vp8);
        let first = 65_530;
        f.reset(first, 0);
        f.set_target(Layers { sid: 0, tid: 1 });
        let out: Vec<u16> = run(&mut f, first, 0..16)
            .into_iter()
            .flatten()
            .map(|e| e as u16)
            .collect();
        assert_eq!(
            out,
            vec![65_530, 65_531, 65_532, 65_533, 65_534, 65_535, 0, 1]
        );
    }

    #[test]
    fn a_sync_frame_lost_upstream_delays_the_switch_and_its_repair_is_dropped() {
        let mut f = filter();
        f.set_target(Layers { sid: 0, tid: 0 });
        run(&mut f, 0, 0..4); // frames 0..3: 0 sent, 1..3 dropped
        f.set_target(Layers { sid: 0, tid: 1 });
        // Frame 4 (TL0) sent; frame 5 (TL2, dropped); frame 6 (TL1 sync)
        // lost upstream; frame 7 (TL2) dropped; frame 8 (TL0) sent.
        let out: Vec<Option<i64>> = [(4, 4), (5, 5), (7, 7), (8, 8)]
            .iter()
            .map(|&(ext, n)| match f.offer(&l1t3(ext, n)) {
                SvcVerdict::Forward { seq, .. } => Some(ext + seq),
                SvcVerdict::Drop(_) => None,
            })
            .collect();
        assert_eq!(out, vec![Some(1), None, None, Some(2)]);
        assert_eq!(f.selection().current, Layers { sid: 0, tid: 0 });
        // The sync frame's repair arrives late: TL1 is not forwarded yet,
        // so it is dropped (its number went with the dropped run).
        assert_eq!(f.offer(&l1t3(6, 6)), SvcVerdict::Drop(SvcDrop::Layer));
        // The next sync frame switches.
        assert!(matches!(f.offer(&l1t3(10, 10)), SvcVerdict::Forward { .. }));
        assert_eq!(f.selection().current, Layers { sid: 0, tid: 1 });
    }

    #[test]
    fn a_packet_reordered_across_the_switch_down_keeps_the_old_run() {
        let mut f = filter();
        // Frames 0..3 sent in full, but frame 3's packet comes after the
        // switch down and after frame 4.
        run(&mut f, 0, 0..3);
        f.set_target(Layers { sid: 0, tid: 0 });
        assert!(matches!(
            f.offer(&l1t3(4, 4)),
            SvcVerdict::Forward { seq: 0, .. }
        ));
        // Late TL2 packet of frame 3: its layer is no longer forwarded.
        assert_eq!(f.offer(&l1t3(3, 3)), SvcVerdict::Drop(SvcDrop::Layer));
    }

    /// A VP9 L3T1 picture: three layer frames of two packets each.
    fn l3_picture(ext0: i64, n: u32, key: bool) -> Vec<SvcPacket> {
        let mut out = Vec::new();
        for sid in 0..3u8 {
            for k in 0..2 {
                out.push(SvcPacket {
                    ext: ext0 + i64::from(sid) * 2 + k,
                    timestamp: n * 3000,
                    sid,
                    tid: 0,
                    keyframe: key && sid == 0 && k == 0,
                    up_switch: UpSwitch::No,
                    layer_end: k == 1,
                    marker: sid == 2 && k == 1,
                });
            }
        }
        out
    }

    #[test]
    fn vp9_drops_upper_spatial_layers_and_moves_the_marker_down() {
        let mut f = SvcFilter::new(Mode::Vp9);
        f.reset(0, 0);
        f.set_target(Layers { sid: 0, tid: 3 });
        let mut sent = Vec::new();
        for (i, p) in l3_picture(0, 0, true)
            .iter()
            .chain(l3_picture(6, 1, false).iter())
            .enumerate()
        {
            if let SvcVerdict::Forward { seq, marker, .. } = f.offer(p) {
                sent.push((i, p.ext + seq, marker));
            }
        }
        assert_eq!(
            sent,
            vec![(0, 0, false), (1, 1, true), (6, 2, false), (7, 3, true)]
        );
        // Up again: waits for a keyframe, which it asks for.
        f.set_target(Layers { sid: 2, tid: 3 });
        assert!(f.wants_keyframe());
        let next: Vec<bool> = l3_picture(12, 2, false)
            .iter()
            .map(|p| matches!(f.offer(p), SvcVerdict::Forward { .. }))
            .collect();
        assert_eq!(next, vec![true, true, false, false, false, false]);
        let key: Vec<Option<(i64, bool)>> = l3_picture(18, 3, true)
            .iter()
            .map(|p| match f.offer(p) {
                SvcVerdict::Forward { seq, marker, .. } => Some((p.ext + seq, marker)),
                _ => None,
            })
            .collect();
        assert_eq!(
            key,
            vec![
                Some((6, false)),
                Some((7, false)),
                Some((8, false)),
                Some((9, false)),
                Some((10, false)),
                Some((11, true))
            ]
        );
        assert!(!f.wants_keyframe());
    }
}
