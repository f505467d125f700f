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
//!
//! VP9: below the highest spatial layer forwarded, a layer frame that no
//! higher layer references (the descriptor's Z bit; with `L3T3_KEY`, every
//! lower frame but a keyframe's) is dropped too: the subscriber's decoder
//! shows the highest layer only, and that layer references its own earlier
//! frames. Dropping starts only when the previous picture reached the
//! layer forwarded (a stream whose top layer is lower keeps its lower
//! layers), and from then until the next keyframe the lower layers cannot
//! be decoded: a step down in space waits for a keyframe, and so does a
//! stream whose top layer stops ([`TOP_MISSING_PICTURES`] pictures in a row
//! end below the layer forwarded, as when the publisher turns it off).

use crate::svc_selector::{on_picture, Layers, Picture, SvcReason, SvcSelection, UpSwitch};

/// Segments remembered: at two per picture (a forwarded and a dropped
/// spatial layer), over a second of 30 fps; older late packets are dropped.
pub const SEGMENTS: usize = 128;

/// Pictures in a row that end below the spatial layer forwarded, after
/// which (once lower frames were dropped) a keyframe is asked for: one or
/// two are an encoder leaving out a top layer frame now and then.
pub const TOP_MISSING_PICTURES: u8 = 4;

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
    /// VP9's Z: no higher spatial layer references this layer frame.
    pub not_upper_ref: bool,
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
    /// VP9: the spatial layer of the last packet with the marker bit (the
    /// top layer of the last picture), and how many pictures in a row
    /// ended below the layer forwarded.
    top_sid: Option<u8>,
    top_missing: u8,
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
            top_sid: None,
            top_missing: 0,
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

    /// True while only a keyframe can bring the target's spatial layer, or
    /// (VP9) the layer forwarded stopped after lower frames were dropped.
    pub fn wants_keyframe(&self) -> bool {
        self.selection.wants_keyframe(self.highest_sid)
            || (self.selection.lower_dropped && self.top_missing >= TOP_MISSING_PICTURES)
    }

    /// VP9: `p` belongs to a frame below the layer forwarded that no higher
    /// layer references, and the higher layer is there (the last picture
    /// reached it) or the lower ones are already undecodable.
    fn needless(&self, p: &SvcPacket) -> bool {
        let sid = self.selection.current.sid;
        self.mode == Mode::Vp9
            && p.not_upper_ref
            && p.sid < sid
            && (self.selection.lower_dropped || self.top_sid.map_or(false, |t| t >= sid))
    }

    /// VP9: notes the top layer of a picture from its last packet.
    fn note_top(&mut self, p: &SvcPacket) {
        if self.mode != Mode::Vp9 || !p.marker {
            return;
        }
        self.top_sid = Some(p.sid);
        self.top_missing = if p.sid < self.selection.current.sid {
            self.top_missing.saturating_add(1)
        } else {
            0
        };
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
        self.top_sid = None;
        self.top_missing = 0;
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
        let needless = self.needless(p);
        if needless {
            self.selection.lower_dropped = true;
        }
        let keep = self.selection.current.keeps(p.sid, p.tid) && !needless;
        self.note_top(p);
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

    fn late(&mut self, p: &SvcPacket) -> SvcVerdict {
        if !self.selection.current.keeps(p.sid, p.tid) {
            return SvcVerdict::Drop(SvcDrop::Layer);
        }
        if self.needless(p) {
            self.selection.lower_dropped = true;
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
            not_upper_ref: false,
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
                    not_upper_ref: false,
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

    /// A VP9 `L3T3_KEY`-like picture of `layers` spatial layers, two packets
    /// each, as Chromium marks them: at a keyframe the lower layers are
    /// references of the next one up (Z clear but on the top layer), after
    /// it no layer is (Z set everywhere).
    fn key_picture(ext0: i64, n: u32, key: bool, layers: u8) -> Vec<SvcPacket> {
        let mut out = l3_picture(ext0, n, key);
        out.truncate(usize::from(layers) * 2);
        for p in &mut out {
            p.not_upper_ref = !key || p.sid + 1 == layers;
            p.marker = p.layer_end && p.sid + 1 == layers;
        }
        out
    }

    /// Offers `packets`; returns (index, outgoing number, marker) of each
    /// packet forwarded.
    fn sent(f: &mut SvcFilter, packets: &[SvcPacket]) -> Vec<(usize, i64, bool)> {
        packets
            .iter()
            .enumerate()
            .filter_map(|(i, p)| match f.offer(p) {
                SvcVerdict::Forward { seq, marker, .. } => Some((i, p.ext + seq, marker)),
                SvcVerdict::Drop(_) => None,
            })
            .collect()
    }

    fn vp9_at(target: Layers) -> SvcFilter {
        let mut f = SvcFilter::new(Mode::Vp9);
        f.reset(0, 0);
        f.set_target(target);
        f
    }

    #[test]
    fn vp9_at_the_top_layer_drops_lower_frames_no_layer_references() {
        let mut f = vp9_at(Layers { sid: 2, tid: 3 });
        let mut packets = key_picture(0, 0, true, 3);
        packets.extend(key_picture(6, 1, false, 3));
        packets.extend(key_picture(12, 2, false, 3));
        // The keyframe whole; then each picture's top layer alone, numbered
        // on, its last packet marked.
        assert_eq!(
            sent(&mut f, &packets),
            vec![
                (0, 0, false),
                (1, 1, false),
                (2, 2, false),
                (3, 3, false),
                (4, 4, false),
                (5, 5, true),
                (10, 6, false),
                (11, 7, true),
                (16, 8, false),
                (17, 9, true)
            ]
        );
        assert!(f.selection().lower_dropped && !f.wants_keyframe());
        // A middle layer forwards its own frames only, marked.
        let mut f = vp9_at(Layers { sid: 1, tid: 3 });
        let mut packets = key_picture(0, 0, true, 3);
        packets.extend(key_picture(6, 1, false, 3));
        let out = sent(&mut f, &packets);
        assert_eq!(&out[4..], &[(8, 4, false), (9, 5, true)]);
    }

    #[test]
    fn vp9_frames_a_higher_layer_references_are_kept() {
        // Z clear on every lower layer (full inter-layer prediction).
        let mut f = vp9_at(Layers { sid: 2, tid: 3 });
        let mut packets = key_picture(0, 0, true, 3);
        let mut next = key_picture(6, 1, false, 3);
        for p in &mut next {
            p.not_upper_ref = p.sid == 2;
        }
        packets.extend(next);
        assert_eq!(sent(&mut f, &packets).len(), 12);
        assert!(!f.selection().lower_dropped);
    }

    #[test]
    fn vp9_a_stream_below_the_layer_forwarded_keeps_its_lower_layers() {
        // Aiming for S2 of a stream that has two layers: nothing is left out.
        let mut f = vp9_at(Layers { sid: 2, tid: 3 });
        let mut packets = key_picture(0, 0, true, 2);
        packets.extend(key_picture(4, 1, false, 2));
        let out = sent(&mut f, &packets);
        assert_eq!(out.len(), 8);
        assert_eq!(out[7], (7, 7, true));
        assert!(!f.wants_keyframe());
    }

    #[test]
    fn vp9_a_step_down_in_space_after_dropping_waits_for_a_keyframe() {
        let mut f = vp9_at(Layers { sid: 2, tid: 3 });
        let mut packets = key_picture(0, 0, true, 3);
        packets.extend(key_picture(6, 1, false, 3));
        sent(&mut f, &packets);
        f.set_target(Layers { sid: 0, tid: 3 });
        assert!(f.wants_keyframe());
        // Still the top layer until the keyframe: S0 was left out.
        let out = sent(&mut f, &key_picture(12, 2, false, 3));
        assert_eq!(out, vec![(4, 8, false), (5, 9, true)]);
        // At the keyframe, S0 alone, marked.
        let out = sent(&mut f, &key_picture(18, 3, true, 3));
        assert_eq!(out, vec![(0, 10, false), (1, 11, true)]);
        assert_eq!(f.selection().current.sid, 0);
        assert!(!f.wants_keyframe());
    }

    #[test]
    fn vp9_a_top_layer_that_stops_asks_for_a_keyframe_and_then_keeps_the_rest() {
        let mut f = vp9_at(Layers { sid: 2, tid: 3 });
        let mut packets = key_picture(0, 0, true, 3);
        packets.extend(key_picture(6, 1, false, 3));
        sent(&mut f, &packets);
        // The publisher turns S2 off: its lower frames cannot be decoded,
        // so none is sent; after a few such pictures a keyframe is asked for.
        let mut ext = 12;
        for n in 2..2 + u32::from(TOP_MISSING_PICTURES) {
            assert!(!f.wants_keyframe(), "picture {}", n);
            assert_eq!(sent(&mut f, &key_picture(ext, n, false, 2)), vec![]);
            ext += 4;
        }
        assert!(f.wants_keyframe());
        // A keyframe of two layers: both forwarded, and what follows too.
        let mut packets = key_picture(ext, 10, true, 2);
        packets.extend(key_picture(ext + 4, 11, false, 2));
        let out = sent(&mut f, &packets);
        assert_eq!(out.len(), 8);
        assert_eq!(out[0].1, 8);
        assert_eq!(out[7], (7, 15, true));
        assert!(!f.wants_keyframe());
    }

    #[test]
    fn vp9_a_top_frame_left_out_now_and_then_asks_for_nothing() {
        let mut f = vp9_at(Layers { sid: 2, tid: 3 });
        let mut packets = key_picture(0, 0, true, 3);
        packets.extend(key_picture(6, 1, false, 3));
        packets.extend(key_picture(12, 2, false, 2));
        packets.extend(key_picture(16, 3, false, 3));
        let out = sent(&mut f, &packets);
        // Picture 2 (no S2) is not sent at all; picture 3's S2 follows on.
        assert_eq!(
            &out[6..],
            &[(10, 6, false), (11, 7, true), (20, 8, false), (21, 9, true)]
        );
        assert!(!f.wants_keyframe());
    }

    #[test]
    fn vp9_a_late_lower_frame_packet_is_dropped_as_its_frame_was() {
        let mut f = vp9_at(Layers { sid: 2, tid: 3 });
        sent(&mut f, &key_picture(0, 0, true, 3));
        let pic = key_picture(6, 1, false, 3);
        // S0's first packet arrives after the rest of the picture: its
        // number was left as a gap before the run dropped, and stays one.
        assert_eq!(sent(&mut f, &pic[1..]), vec![(3, 7, false), (4, 8, true)]);
        assert_eq!(f.offer(&pic[0]), SvcVerdict::Drop(SvcDrop::Layer));
    }
}
