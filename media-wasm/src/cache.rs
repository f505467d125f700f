//! Packet cache of one incoming track: each packet is stored once in a ring
//! of fixed slots indexed by extended sequence number, so down tracks and
//! NACK handling pass slot numbers around instead of copying. Storing reads
//! the payload's facts (keyframe, layers; AV1's layers from the dependency
//! descriptor before the header extension is stripped) and measures the
//! rate of each SVC layer.

use crate::keyframe::{inspect, Codec, Keyframe, PayloadFacts};
use crate::rate::RateMeter;
use crate::receive_stats::ReceiveStats;
use crate::rtp;
use crate::seq::{diff, Extender};
use crate::svc_av1::{self, Av1Structure};
use crate::svc_selector::{LayerRates, SPATIAL, TEMPORAL};

/// Bytes per slot: an Ethernet MTU payload plus slack for SRTP's auth tag
/// having been removed already.
pub const SLOT_BYTES: usize = 1504;

/// A sequence number further than this from the highest one is a jump
/// (RFC 3550 A.1 MAX_DROPOUT); it is confirmed by the packet after it.
pub const MAX_DROPOUT: i64 = 3000;

/// Why a packet was not stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheError {
    Malformed,
    TooLarge,
    Duplicate,
    /// Older than the oldest packet the ring can hold.
    TooOld,
    /// A sequence jump waiting for the next packet to confirm it.
    Jump,
}

/// What the cache knows about a stored packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotMeta {
    pub ext_seq: i64,
    pub len: u16,
    pub seq: u16,
    pub timestamp: u32,
    pub arrival_ms: u32,
    pub marker: bool,
    pub payload_offset: u16,
    pub facts: PayloadFacts,
}

/// The ring and the statistics of one incoming track.
pub struct PacketCache {
    codec: Codec,
    meta: Vec<Option<SlotMeta>>,
    data: Vec<u8>,
    ext: Extender<u16>,
    /// Sequence number that would confirm a jump.
    probation: Option<u16>,
    last_keyframe: Option<i64>,
    ssrc: u32,
    stats: ReceiveStats,
    rate: RateMeter,
    /// Rate of each (spatial, temporal) layer, for SVC layer choice.
    layer_rates: [[RateMeter; TEMPORAL]; SPATIAL],
    /// AV1: the negotiated id of the dependency descriptor extension, and
    /// the template structure it last announced.
    av1_descriptor: Option<u8>,
    av1_structure: Option<Av1Structure>,
}

impl PacketCache {
    /// A cache of `capacity` slots (at least 1) for a track of `codec`.
    pub fn new(codec: Codec, clock_rate: u32, capacity: usize) -> Self {
        let capacity = capacity.max(1);
        PacketCache {
            codec,
            meta: vec![None; capacity],
            data: vec![0; capacity * SLOT_BYTES],
            ext: Extender::default(),
            probation: None,
            last_keyframe: None,
            ssrc: 0,
            stats: ReceiveStats::new(clock_rate),
            rate: RateMeter::default(),
            layer_rates: [[RateMeter::default(); TEMPORAL]; SPATIAL],
            av1_descriptor: None,
            av1_structure: None,
        }
    }

    /// Number of slots.
    pub fn capacity(&self) -> usize {
        self.meta.len()
    }

    fn slot_for(&self, ext: i64) -> usize {
        ext.rem_euclid(self.meta.len() as i64) as usize
    }

    /// Stores `packet`, stripping its header extension; returns the slot.
    pub fn store(&mut self, packet: &[u8], now_ms: u32) -> Result<usize, CacheError> {
        let header = rtp::parse(packet).map_err(|_| CacheError::Malformed)?;
        if packet.len() > SLOT_BYTES {
            return Err(CacheError::TooLarge);
        }
        let ext = self.extend(header.seq)?;
        let slot = self.slot_for(ext);
        if let Some(m) = &self.meta[slot] {
            if m.ext_seq == ext {
                return Err(CacheError::Duplicate);
            }
        }
        if let Some(h) = self.ext.highest() {
            if ext <= h - self.meta.len() as i64 {
                return Err(CacheError::TooOld);
            }
        }
        self.ext.extend(header.seq);
        self.ssrc = header.ssrc;
        self.stats.record(ext, header.timestamp, now_ms);
        self.rate.add(packet.len(), now_ms);

        let av1 = self.av1_layers(packet, &header);
        let buf = &mut self.data[slot * SLOT_BYTES..slot * SLOT_BYTES + packet.len()];
        buf.copy_from_slice(packet);
        let len = rtp::strip_extension(buf, &header);
        let payload_offset = header.payload_offset - header.extension.map_or(0, |(_, l)| l);
        let payload = &buf[payload_offset..payload_offset + header.payload_len];
        let mut facts = inspect(self.codec, payload);
        if let Some(f) = av1 {
            facts.sid = Some(f.sid);
            facts.tid = Some(f.tid);
            facts.layer_end = f.end_of_frame;
            facts.switch_targets = f.switch_targets;
        }
        if facts.tid.is_some() || facts.sid.is_some() {
            let s = usize::from(facts.sid.unwrap_or(0)).min(SPATIAL - 1);
            let t = usize::from(facts.tid.unwrap_or(0)).min(TEMPORAL - 1);
            self.layer_rates[s][t].add(packet.len(), now_ms);
        }
        if facts.keyframe == Keyframe::Yes && self.last_keyframe.map_or(true, |k| ext > k) {
            self.last_keyframe = Some(ext);
        }
        self.meta[slot] = Some(SlotMeta {
            ext_seq: ext,
            len: len as u16,
            seq: header.seq,
            timestamp: header.timestamp,
            arrival_ms: now_ms,
            marker: header.marker,
            payload_offset: payload_offset as u16,
            facts,
        });
        Ok(slot)
    }

    /// Reads AV1 layers from the packet's dependency descriptor, once its
    /// extension id is known; a descriptor that cannot be read (no
    /// structure yet) gives none.
    pub fn set_av1_descriptor(&mut self, id: u8) {
        self.av1_descriptor = Some(id);
    }

    fn av1_layers(&mut self, packet: &[u8], header: &rtp::RtpHeader) -> Option<svc_av1::Av1Frame> {
        let id = self.av1_descriptor?;
        let (at, len) = header.extension?;
        let data = svc_av1::find_element(packet.get(at..at + len)?, id)?;
        svc_av1::read(data, &mut self.av1_structure).ok()
    }

    /// Extends `seq`, handling jumps as RFC 3550 A.1 does: a jump is only
    /// believed when the next packet follows it, and then the stream
    /// continues from the highest extended number without a gap.
    fn extend(&mut self, seq: u16) -> Result<i64, CacheError> {
        let h = match self.ext.highest() {
            None => return Ok(self.ext.peek(seq)),
            Some(h) => h,
        };
        let ext = self.ext.peek(seq);
        if (ext - h).abs() <= MAX_DROPOUT {
            self.probation = None;
            return Ok(ext);
        }
        if self.probation == Some(seq) {
            self.probation = None;
            // The packet before this one started the jump and was not
            // stored; this one continues the stream without a gap.
            self.ext = Extender::anchored(h, seq.wrapping_sub(1));
            self.stats.resync();
            return Ok(h + 1);
        }
        self.probation = Some(seq.wrapping_add(1));
        Err(CacheError::Jump)
    }

    /// The packet in `slot`, if the slot holds one.
    pub fn get(&self, slot: usize) -> Option<(&[u8], &SlotMeta)> {
        let m = self.meta.get(slot)?.as_ref()?;
        let start = slot * SLOT_BYTES;
        Some((&self.data[start..start + usize::from(m.len)], m))
    }

    /// The slot holding extended sequence number `ext`, if still cached.
    pub fn slot_of(&self, ext: i64) -> Option<usize> {
        let slot = self.slot_for(ext);
        match &self.meta[slot] {
            Some(m) if m.ext_seq == ext => Some(slot),
            _ => None,
        }
    }

    /// The slot holding the 16-bit sequence number `seq` nearest the highest.
    pub fn slot_of_seq(&self, seq: u16) -> Option<usize> {
        let h = self.ext.highest()?;
        let last = self.meta[self.slot_for(h)].as_ref()?.seq;
        self.slot_of(h + diff(seq, last))
    }

    /// The slot of the newest keyframe start, if it is still cached.
    pub fn last_keyframe(&self) -> Option<usize> {
        self.slot_of(self.last_keyframe?)
    }

    /// The extended sequence numbers from the newest keyframe start to the
    /// newest packet, when every one of them is still cached.
    pub fn keyframe_run(&self) -> Option<core::ops::RangeInclusive<i64>> {
        let first = self.last_keyframe?;
        let last = self.ext.highest()?;
        if (first..=last).all(|e| self.slot_of(e).is_some()) {
            Some(first..=last)
        } else {
            None
        }
    }

    /// The highest extended sequence number stored.
    pub fn highest(&self) -> Option<i64> {
        self.ext.highest()
    }

    /// SSRC of the latest packet.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Loss and jitter statistics.
    pub fn stats(&mut self) -> &mut ReceiveStats {
        &mut self.stats
    }

    /// Incoming bit rate of each SVC layer (all zero without layers).
    pub fn layer_rates(&mut self, now_ms: u32) -> LayerRates {
        let mut out = [[0; TEMPORAL]; SPATIAL];
        for (s, row) in self.layer_rates.iter_mut().enumerate() {
            for (t, m) in row.iter_mut().enumerate() {
                out[s][t] = m.rate(now_ms);
            }
        }
        out
    }

    /// Incoming bit rate, headers included.
    pub fn bitrate(&mut self, now_ms: u32) -> u32 {
        self.rate.rate(now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::tests::packet;

    /// An AV1 packet whose two-byte header extension carries element 12
    /// (other elements around it) with `descriptor`.
    fn av1(seq: u16, descriptor: &[u8]) -> Vec<u8> {
        let mut ext = vec![5u8, 1, 0xee, 12, descriptor.len() as u8];
        ext.extend_from_slice(descriptor);
        while ext.len() % 4 != 0 {
            ext.push(0);
        }
        let mut p = packet(45, seq, u32::from(seq) * 3000, 7, &[]);
        p[0] |= 0x10;
        let mut block = vec![0x10, 0x00, 0, (ext.len() / 4) as u8];
        block.extend(ext);
        p.extend(block);
        p.extend([0x10, 0x32, 0]); // aggregation header, frame OBU
        p
    }

    #[test]
    fn av1_layers_come_from_the_dependency_descriptor() {
        use crate::svc_av1::tests::{l1t3_keyframe, plain};
        let mut c = PacketCache::new(Codec::Av1, 90000, 16);
        // Before the id is known: no layers.
        let s = c.store(&av1(1, &l1t3_keyframe(0, 1)), 0).unwrap();
        assert_eq!(c.get(s).unwrap().1.facts.tid, None);
        c.set_av1_descriptor(12);
        let s = c.store(&av1(2, &l1t3_keyframe(0, 2)), 0).unwrap();
        let f = c.get(s).unwrap().1.facts;
        assert_eq!((f.sid, f.tid, f.switch_targets), (Some(0), Some(0), 0b111));
        let s = c.store(&av1(3, &plain(3, 3, None)), 0).unwrap();
        let (bytes, m) = c.get(s).unwrap();
        assert_eq!((m.facts.tid, m.facts.layer_end), (Some(2), true));
        // The extension is gone from what is forwarded.
        assert_eq!(rtp::parse(bytes).unwrap().extension, None);
        assert_eq!(&bytes[usize::from(m.payload_offset)..], &[0x10, 0x32, 0]);
    }

    fn vp8(seq: u16, keyframe: bool) -> Vec<u8> {
        let p = if keyframe { 0 } else { 1 };
        packet(96, seq, u32::from(seq) * 3000, 7, &[0x10, p, 0, 0])
    }

    #[test]
    fn a_stored_packet_is_returned_with_its_facts() {
        let mut c = PacketCache::new(Codec::Vp8, 90000, 8);
        let slot = c.store(&vp8(10, true), 5).unwrap();
        let (bytes, m) = c.get(slot).unwrap();
        assert_eq!(bytes, &vp8(10, true)[..]);
        assert_eq!(
            (m.seq, m.ext_seq, m.timestamp, m.arrival_ms),
            (10, 10, 30000, 5)
        );
        assert_eq!(m.facts.keyframe, Keyframe::Yes);
        assert_eq!(c.last_keyframe(), Some(slot));
        assert_eq!(c.ssrc(), 7);
    }

    #[test]
    fn header_extensions_are_stripped_before_storing() {
        let mut p = vec![
            0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7, 0xbe, 0xde, 0, 1, 0x10, 0xff, 0, 0,
        ];
        p.extend_from_slice(&[0x10, 0x00]);
        let mut c = PacketCache::new(Codec::Vp8, 90000, 8);
        let slot = c.store(&p, 0).unwrap();
        let (bytes, m) = c.get(slot).unwrap();
        assert_eq!(bytes.len(), 14);
        assert_eq!(bytes[0], 0x80);
        assert_eq!(m.payload_offset, 12);
        assert_eq!(m.facts.keyframe, Keyframe::Yes);
    }

    #[test]
    fn duplicates_are_refused() {
        let mut c = PacketCache::new(Codec::Vp8, 90000, 8);
        c.store(&vp8(1, false), 0).unwrap();
        assert_eq!(c.store(&vp8(1, false), 0), Err(CacheError::Duplicate));
    }

    #[test]
    fn packets_older_than_the_ring_are_refused() {
        let mut c = PacketCache::new(Codec::Vp8, 90000, 4);
        c.store(&vp8(10, false), 0).unwrap();
        assert_eq!(c.store(&vp8(6, false), 0), Err(CacheError::TooOld));
        assert!(c.store(&vp8(7, false), 0).is_ok());
    }

    #[test]
    fn reordered_packets_fill_their_own_slots() {
        let mut c = PacketCache::new(Codec::Vp8, 90000, 8);
        c.store(&vp8(1, false), 0).unwrap();
        c.store(&vp8(3, false), 0).unwrap();
        let s2 = c.store(&vp8(2, false), 0).unwrap();
        assert_eq!(c.slot_of(2), Some(s2));
        assert_eq!(c.highest(), Some(3));
    }

    #[test]
    fn sequence_numbers_wrap_at_65535() {
        let mut c = PacketCache::new(Codec::Vp8, 90000, 8);
        for seq in [65533u16, 65534, 65535, 0, 1] {
            c.store(&vp8(seq, false), 0).unwrap();
        }
        assert_eq!(c.highest(), Some(65537));
        let s = c.slot_of_seq(65535).unwrap();
        assert_eq!(c.get(s).unwrap().1.ext_seq, 65535);
        assert_eq!(c.get(c.slot_of_seq(1).unwrap()).unwrap().1.ext_seq, 65537);
        assert_eq!(c.slot_of_seq(2), None);
        assert_eq!(c.stats().report(7).highest_seq, 65537);
    }

    #[test]
    fn overwritten_slots_no_longer_answer_for_old_numbers() {
        let mut c = PacketCache::new(Codec::Vp8, 90000, 4);
        c.store(&vp8(0, true), 0).unwrap();
        for seq in 1..5 {
            c.store(&vp8(seq, false), 0).unwrap();
        }
        assert_eq!(c.slot_of(0), None);
        assert_eq!(c.last_keyframe(), None);
    }

    #[test]
    fn the_keyframe_run_spans_the_keyframe_to_the_newest_packet_when_all_are_cached() {
        let mut c = PacketCache::new(Codec::Vp8, 90000, 16);
        assert_eq!(c.keyframe_run(), None);
        c.store(&vp8(9, false), 0).unwrap();
        c.store(&vp8(10, true), 0).unwrap();
        c.store(&vp8(11, false), 0).unwrap();
        c.store(&vp8(12, false), 0).unwrap();
        assert_eq!(c.keyframe_run(), Some(10..=12));
        c.store(&vp8(14, false), 0).unwrap(); // 13 is missing
        assert_eq!(c.keyframe_run(), None);
        c.store(&vp8(13, false), 0).unwrap(); // late, fills the gap
        assert_eq!(c.keyframe_run(), Some(10..=14));
    }

    #[test]
    fn a_late_old_keyframe_does_not_replace_a_newer_one() {
        let mut c = PacketCache::new(Codec::Vp8, 90000, 8);
        c.store(&vp8(5, true), 0).unwrap();
        c.store(&vp8(3, true), 0).unwrap();
        assert_eq!(c.get(c.last_keyframe().unwrap()).unwrap().1.seq, 5);
    }

    #[test]
    fn a_single_wild_sequence_number_is_ignored() {
        let mut c = PacketCache::new(Codec::Vp8, 90000, 8);
        c.store(&vp8(100, false), 0).unwrap();
        assert_eq!(c.store(&vp8(40000, false), 0), Err(CacheError::Jump));
        assert!(c.store(&vp8(101, false), 0).is_ok());
        assert_eq!(c.highest(), Some(101));
    }

    #[test]
    fn a_confirmed_jump_continues_without_a_gap() {
        let mut c = PacketCache::new(Codec::Vp8, 90000, 8);
        c.store(&vp8(100, false), 0).unwrap();
        assert_eq!(c.store(&vp8(40000, false), 0), Err(CacheError::Jump));
        let s = c.store(&vp8(40001, false), 0).unwrap();
        assert_eq!(c.get(s).unwrap().1.ext_seq, 101);
        let s = c.store(&vp8(40002, false), 0).unwrap();
        assert_eq!(c.get(s).unwrap().1.ext_seq, 102);
        assert_eq!(c.slot_of_seq(40001), c.slot_of(101));
        assert_eq!(c.stats().report(7).cumulative_lost, 0);
    }

    #[test]
    fn malformed_and_oversized_packets_are_refused() {
        let mut c = PacketCache::new(Codec::Vp8, 90000, 8);
        assert_eq!(c.store(&[0x80, 96, 0], 0), Err(CacheError::Malformed));
        let big = packet(96, 1, 0, 7, &[0u8; SLOT_BYTES]);
        assert_eq!(c.store(&big, 0), Err(CacheError::TooLarge));
        assert_eq!(c.highest(), None);
        assert_eq!(c.get(0), None);
        assert_eq!(c.get(99), None);
    }

    #[test]
    fn a_zero_capacity_still_holds_one_packet() {
        let mut c = PacketCache::new(Codec::Opus, 48000, 0);
        assert_eq!(c.capacity(), 1);
        assert_eq!(c.store(&packet(111, 1, 0, 7, &[1]), 0), Ok(0));
    }

    #[test]
    fn the_bitrate_counts_stored_bytes() {
        let mut c = PacketCache::new(Codec::Vp8, 90000, 8);
        for i in 0..10u16 {
            c.store(&vp8(i, false), u32::from(i) * 100).unwrap();
        }
        assert_eq!(c.bitrate(1000), 10 * 16 * 8);
    }
}
