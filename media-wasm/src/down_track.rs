//! Outgoing state of one subscriber's track: rewrites SSRC, payload type,
//! sequence number, timestamp and VP8 picture ids so that the subscriber
//! sees one continuous stream across losses it may NACK, policy drops and
//! simulcast layer switches, and remembers where each sent packet came from
//! so that NACKs can be served from the cache. VP8 and VP9 packets then go
//! (and AV1 packets whose layers the dependency descriptor told) through the
//! SVC filter (`svc_filter.rs`), which forwards the spatial and temporal
//! layers chosen for this subscriber.

use crate::bandwidth::BandwidthEstimator;
use crate::cache::SlotMeta;
use crate::keyframe::{Codec, Keyframe};
use crate::layer_selector::{
    select, Decision, DropReason, PacketInfo, Selection, Steadiness, TargetReason,
};
use crate::rate::RateMeter;
use crate::rtcp::{self, RtcpError, SenderInfo};
use crate::rtp;
use crate::seq;
use crate::svc_filter::{Mode, SvcDrop, SvcFilter, SvcPacket, SvcVerdict};
use crate::svc_selector::{LayerRates, Layers, SvcSteadiness, UpSwitch};
use crate::svc_vp9;
use crate::vp8;

/// Sent packets remembered for NACKs: 2 s of 500 packets/s video.
pub const HISTORY: usize = 1024;

/// A cached packet offered to a down track.
#[derive(Clone, Copy, Debug)]
pub struct Incoming<'a> {
    /// Handle of the up track whose cache holds it.
    pub up: u32,
    pub slot: u32,
    /// Simulcast layer of that up track (0 = lowest).
    pub layer: u8,
    pub bytes: &'a [u8],
    pub meta: &'a SlotMeta,
}

/// Why a packet was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    Selector(DropReason),
    /// Older than the keyframe the current layer started at.
    BeforeSwitch,
    /// An SVC layer not forwarded.
    Svc(SvcDrop),
}

/// The result of offering a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The rewritten packet of this length is in the output buffer.
    Sent(usize),
    Skipped(Skip),
}

/// What can go wrong while writing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DownError {
    BufferTooSmall,
    Malformed,
}

/// Differences between incoming and outgoing values for one anchored source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Offsets {
    pub seq: i64,
    pub ts: u32,
    pub picture_id: u16,
    pub tl0: u8,
}

#[derive(Clone, Copy, Debug)]
struct Anchor {
    up: u32,
    offsets: Offsets,
    first_ext: i64,
}

#[derive(Clone, Copy, Debug)]
struct LastOut {
    ext: i64,
    ts: u32,
    arrival_ms: u32,
    picture_id: Option<u16>,
    tl0: Option<u8>,
}

/// Where a sent packet came from, for retransmission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
    pub out_seq: u16,
    pub up: u32,
    pub slot: u32,
    pub in_ext: i64,
    pub offsets: Offsets,
    /// The marker bit it was sent with, when the SVC filter set it.
    pub marker: Option<bool>,
}

/// Identity of the outgoing stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DownConfig {
    pub ssrc: u32,
    pub payload_type: u8,
    pub codec: Codec,
    pub clock_rate: u32,
}

/// One subscriber's outgoing track.
pub struct DownTrack {
    config: DownConfig,
    selection: Selection,
    anchor: Option<Anchor>,
    last: Option<LastOut>,
    history: Vec<Option<Sent>>,
    packets: u32,
    octets: u32,
    rate: RateMeter,
    bandwidth: BandwidthEstimator,
    steadiness: Steadiness,
    /// VP8, VP9 and AV1.
    svc: Option<SvcFilter>,
    svc_steadiness: SvcSteadiness,
}

struct Written {
    len: usize,
    ts: u32,
    picture_id: Option<u16>,
    tl0: Option<u8>,
}

impl DownTrack {
    /// A down track aiming for layer 0 until told otherwise.
    pub fn new(config: DownConfig) -> Self {
        DownTrack {
            config,
            selection: Selection::new(0),
            anchor: None,
            last: None,
            history: vec![None; HISTORY],
            packets: 0,
            octets: 0,
            rate: RateMeter::default(),
            bandwidth: BandwidthEstimator::default(),
            steadiness: Steadiness::default(),
            svc: match config.codec {
                Codec::Vp8 | Codec::Av1 => Some(SvcFilter::new(Mode::Vp8)),
                Codec::Vp9 => Some(SvcFilter::new(Mode::Vp9)),
                _ => None,
            },
            svc_steadiness: SvcSteadiness::default(),
        }
    }

    /// The SVC filter, for VP8, VP9 and AV1.
    pub fn svc(&self) -> Option<&SvcFilter> {
        self.svc.as_ref()
    }

    /// The simulcast layer whose keyframe is needed: the target's while
    /// switching, the current one's while the SVC filter needs a keyframe
    /// for a higher spatial layer.
    pub fn wants_keyframe(&self) -> Option<u8> {
        self.selection.wants_keyframe().or_else(|| match &self.svc {
            Some(f) if f.wants_keyframe() => self.selection.current,
            _ => None,
        })
    }

    /// Bounds the estimate by `cap_bps` (0: none) from now on, for every
    /// choice that reads it; then re-aims the SVC layers from the current
    /// source's layer rates and the estimate, never above spatial layer
    /// `max_sid`; None for a codec without SVC.
    pub fn svc_retarget(
        &mut self,
        rates: &LayerRates,
        max_sid: u8,
        cap_bps: u32,
        now_ms: u32,
    ) -> Option<(Layers, TargetReason)> {
        self.bandwidth.set_cap(cap_bps);
        let f = self.svc.as_mut()?;
        let available = self.bandwidth.available(now_ms);
        let (target, reason) =
            self.svc_steadiness
                .choose(f.selection().target, rates, available, max_sid, now_ms);
        f.set_target(target);
        Some((target, reason))
    }

    /// The selector state.
    pub fn selection(&self) -> Selection {
        self.selection
    }

    /// Aims for `layer`; the switch happens at its next keyframe.
    pub fn set_target(&mut self, layer: u8) {
        self.selection = self.selection.with_target(layer);
    }

    /// Up track currently forwarded.
    pub fn source(&self) -> Option<u32> {
        self.anchor.map(|a| a.up)
    }

    /// Bandwidth estimate towards the subscriber.
    pub fn bandwidth(&mut self) -> &mut BandwidthEstimator {
        &mut self.bandwidth
    }

    /// Re-aims from the layers' rates (0 = absent) and the estimate, through
    /// [`Steadiness`]; a raise starts the estimate's hold on low REMBs.
    pub fn retarget(&mut self, rates: [u32; 3], max_layer: u8, now_ms: u32) -> (u8, TargetReason) {
        let available = self.bandwidth.available(now_ms);
        let (target, reason) =
            self.steadiness
                .choose(self.selection.target, rates, available, max_layer, now_ms);
        if reason == TargetReason::Raised {
            self.bandwidth.on_raised(now_ms);
        }
        self.set_target(target);
        (target, reason)
    }

    /// Bandwidth estimate towards the subscriber, read-only.
    pub fn bandwidth_ref(&self) -> &BandwidthEstimator {
        &self.bandwidth
    }

    /// Outgoing bit rate.
    pub fn bitrate(&mut self, now_ms: u32) -> u32 {
        self.rate.rate(now_ms)
    }

    /// Offers a cached packet; when it is sent, writes it rewritten to `out`.
    pub fn forward(
        &mut self,
        p: &Incoming,
        out: &mut [u8],
        now_ms: u32,
    ) -> Result<Outcome, DownError> {
        let info = PacketInfo {
            layer: p.layer,
            keyframe: p.meta.facts.keyframe == Keyframe::Yes,
        };
        let (next, decision) = select(self.selection, info);
        // Whether this packet starts a new anchor (a switch or a move).
        let mut anchored = false;
        let anchor = match decision {
            Decision::Drop(reason) => return Ok(Outcome::Skipped(Skip::Selector(reason))),
            Decision::Forward => match self.anchor {
                Some(a) if a.up == p.up => a,
                // Same layer number from another up track (the publisher
                // replaced it, or the subscriber now follows another
                // stream): its keyframe re-anchors, as a switch does.
                _ if info.keyframe => {
                    anchored = true;
                    self.anchor_at(p)?
                }
                _ => {
                    return Ok(Outcome::Skipped(Skip::Selector(
                        DropReason::AwaitingKeyframe,
                    )))
                }
            },
            Decision::SwitchNow { .. } => {
                anchored = true;
                self.anchor_at(p)?
            }
        };
        if p.meta.ext_seq < anchor.first_ext {
            return Ok(Outcome::Skipped(Skip::BeforeSwitch));
        }
        let mut offsets = anchor.offsets;
        let mut marker = None;
        if let Some(f) = &mut self.svc {
            if anchored {
                f.reset(anchor.first_ext, anchor.offsets.seq);
            }
            match f.offer(&svc_packet(self.config.codec, p.meta)) {
                SvcVerdict::Drop(r) => return Ok(Outcome::Skipped(Skip::Svc(r))),
                SvcVerdict::Forward {
                    seq,
                    pictures,
                    marker: m,
                } => {
                    offsets.seq = seq;
                    offsets.picture_id = offsets.picture_id.wrapping_sub(pictures);
                    marker = Some(m);
                }
            }
        }
        let w = self.rewrite(p.bytes, p.meta, offsets, marker, out)?;
        self.selection = next;
        self.anchor = Some(anchor);
        let out_ext = p.meta.ext_seq + offsets.seq;
        if self.last.map_or(true, |l| out_ext > l.ext) {
            self.last = Some(LastOut {
                ext: out_ext,
                ts: w.ts,
                arrival_ms: p.meta.arrival_ms,
                picture_id: w.picture_id.or(self.last.and_then(|l| l.picture_id)),
                tl0: w.tl0.or(self.last.and_then(|l| l.tl0)),
            });
        }
        let out_seq = out_ext as u16;
        self.history[usize::from(out_seq) % HISTORY] = Some(Sent {
            out_seq,
            up: p.up,
            slot: p.slot,
            in_ext: p.meta.ext_seq,
            offsets,
            marker,
        });
        self.packets = self.packets.wrapping_add(1);
        self.octets = self.octets.wrapping_add((w.len - rtp::FIXED_HEADER) as u32);
        self.rate.add(w.len, now_ms);
        Ok(Outcome::Sent(w.len))
    }

    /// Offsets that make `p` follow the last packet sent: sequence +1,
    /// timestamp advanced by the arrival-time gap in clock units (at least 1,
    /// so it never goes backwards or repeats), picture id and TL0PICIDX +1.
    fn anchor_at(&self, p: &Incoming) -> Result<Anchor, DownError> {
        let m = p.meta;
        let (pic, tl0) = self.picture_fields(p.bytes, m)?;
        let offsets = match self.last {
            None => Offsets::default(),
            Some(l) => {
                let gap_ms = i64::from(m.arrival_ms.wrapping_sub(l.arrival_ms) as i32).max(0);
                let delta = (gap_ms * i64::from(self.config.clock_rate) / 1000).max(1);
                let ts = seq::add(l.ts, delta);
                Offsets {
                    seq: l.ext + 1 - m.ext_seq,
                    ts: ts.wrapping_sub(m.timestamp),
                    picture_id: match (l.picture_id, pic) {
                        (Some(last), Some(now)) => last.wrapping_add(1).wrapping_sub(now),
                        _ => 0,
                    },
                    tl0: match (l.tl0, tl0) {
                        (Some(last), Some(now)) => last.wrapping_add(1).wrapping_sub(now),
                        _ => 0,
                    },
                }
            }
        };
        Ok(Anchor {
            up: p.up,
            offsets,
            first_ext: m.ext_seq,
        })
    }

    fn picture_fields(
        &self,
        bytes: &[u8],
        m: &SlotMeta,
    ) -> Result<(Option<u16>, Option<u8>), DownError> {
        if self.config.codec != Codec::Vp8 && self.config.codec != Codec::Vp9 {
            return Ok((None, None));
        }
        let payload = bytes
            .get(usize::from(m.payload_offset)..)
            .ok_or(DownError::Malformed)?;
        if self.config.codec == Codec::Vp9 {
            return Ok(match svc_vp9::parse(payload) {
                Some(d) => (d.picture_id.map(|x| x.0), d.tl0_pic_idx.map(|x| x.0)),
                None => (None, None),
            });
        }
        Ok(match vp8::parse(payload) {
            Some(d) => (d.picture_id.map(|x| x.0), d.tl0_pic_idx.map(|x| x.0)),
            None => (None, None),
        })
    }

    fn rewrite(
        &self,
        bytes: &[u8],
        m: &SlotMeta,
        off: Offsets,
        marker: Option<bool>,
        out: &mut [u8],
    ) -> Result<Written, DownError> {
        let out = out
            .get_mut(..bytes.len())
            .ok_or(DownError::BufferTooSmall)?;
        out.copy_from_slice(bytes);
        let ts = m.timestamp.wrapping_add(off.ts);
        rtp::set_ssrc(out, self.config.ssrc);
        rtp::set_payload_type(out, self.config.payload_type);
        rtp::set_seq(out, (m.ext_seq + off.seq) as u16);
        rtp::set_timestamp(out, ts);
        if let Some(mk) = marker {
            rtp::set_marker(out, mk);
        }
        let (mut picture_id, mut tl0) = (None, None);
        if matches!(self.config.codec, Codec::Vp8 | Codec::Vp9) {
            let payload = out
                .get_mut(usize::from(m.payload_offset)..)
                .ok_or(DownError::Malformed)?;
            // Where the descriptor keeps its PictureID and TL0PICIDX: the
            // same fields, rewritten the same way, for VP8 and VP9.
            let fields = if self.config.codec == Codec::Vp8 {
                vp8::parse(payload).map(|d| (d.picture_id, d.tl0_pic_idx))
            } else {
                svc_vp9::parse(payload).map(|d| (d.picture_id, d.tl0_pic_idx))
            };
            if let Some((pid, tl0_field)) = fields {
                if let Some((v, at, long)) = pid {
                    let nv = v.wrapping_add(off.picture_id) % vp8::picture_id_modulus(long);
                    vp8::write_picture_id(payload, at, long, nv);
                    picture_id = Some(nv);
                }
                if let Some((v, at)) = tl0_field {
                    let nv = v.wrapping_add(off.tl0);
                    payload[at] = nv;
                    tl0 = Some(nv);
                }
            }
        }
        Ok(Written {
            len: bytes.len(),
            ts,
            picture_id,
            tl0,
        })
    }

    /// Where the packet sent as `out_seq` came from, if still remembered.
    pub fn sent(&self, out_seq: u16) -> Option<Sent> {
        self.history[usize::from(out_seq) % HISTORY].filter(|s| s.out_seq == out_seq)
    }

    /// Rewrites a cached packet again exactly as it was first sent.
    pub fn retransmit(
        &self,
        sent: &Sent,
        bytes: &[u8],
        m: &SlotMeta,
        out: &mut [u8],
    ) -> Result<usize, DownError> {
        Ok(self.rewrite(bytes, m, sent.offsets, sent.marker, out)?.len)
    }

    /// Writes a Sender Report: `source_rtp_ts` is the current source's RTP
    /// time at `ntp`, translated here into the outgoing timeline.
    pub fn sender_report(
        &self,
        ntp: u64,
        source_rtp_ts: u32,
        out: &mut [u8],
    ) -> Result<usize, RtcpError> {
        let offset = self.anchor.map_or(0, |a| a.offsets.ts);
        let info = SenderInfo {
            ntp,
            rtp_timestamp: source_rtp_ts.wrapping_add(offset),
            packets: self.packets,
            octets: self.octets,
        };
        rtcp::write_sr(out, self.config.ssrc, &info, &[])
    }
}

/// What the SVC filter needs of a cached packet.
fn svc_packet(codec: Codec, m: &SlotMeta) -> SvcPacket {
    let f = &m.facts;
    SvcPacket {
        ext: m.ext_seq,
        timestamp: m.timestamp,
        sid: f.sid.unwrap_or(0),
        tid: f.tid.unwrap_or(0),
        keyframe: f.keyframe == Keyframe::Yes,
        up_switch: match (f.switch_up, codec) {
            (_, Codec::Av1) => UpSwitch::To(f.switch_targets),
            (false, _) => UpSwitch::No,
            (true, Codec::Vp8) => UpSwitch::Here,
            (true, _) => UpSwitch::After,
        },
        layer_end: f.layer_end,
        marker: m.marker,
        not_upper_ref: f.not_upper_ref,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::PacketCache;
    use crate::layer_selector::Phase;
    use crate::rtp::tests::packet;

    const H: u32 = 1;
    const L: u32 = 2;

    struct Up {
        handle: u32,
        layer: u8,
        cache: PacketCache,
    }

    impl Up {
        fn new(handle: u32, layer: u8) -> Self {
            Up {
                handle,
                layer,
                cache: PacketCache::new(Codec::Vp8, 90000, 64),
            }
        }
        /// Stores a VP8 packet with a 15-bit picture id and TL0PICIDX.
        fn push(&mut self, seq: u16, ts: u32, pic: u16, key: bool, at: u32) -> usize {
            let payload = vp8::tests::full(true, pic, pic as u8, 0, key);
            self.cache
                .store(&packet(96, seq, ts, 1000 + self.handle, &payload), at)
                .unwrap()
        }
    }

    fn down() -> DownTrack {
        DownTrack::new(DownConfig {
            ssrc: 0xabcd,
            payload_type: 100,
            codec: Codec::Vp8,
            clock_rate: 90000,
        })
    }

    /// Offers a slot; returns (seq, ts, picture id, tl0) of what was sent.
    fn offer(d: &mut DownTrack, up: &Up, slot: usize) -> Option<(u16, u32, u16, u8)> {
        let (bytes, meta) = up.cache.get(slot).unwrap();
        let p = Incoming {
            up: up.handle,
            slot: slot as u32,
            layer: up.layer,
            bytes,
            meta,
        };
        let mut out = [0u8; 1500];
        match d.forward(&p, &mut out, meta.arrival_ms).unwrap() {
            Outcome::Skipped(_) => None,
            Outcome::Sent(n) => {
                let h = rtp::parse(&out[..n]).unwrap();
                assert_eq!((h.ssrc, h.payload_type), (0xabcd, 100));
                let v = vp8::parse(&out[h.payload_offset..n]).unwrap();
                Some((
                    h.seq,
                    h.timestamp,
                    v.picture_id.unwrap().0,
                    v.tl0_pic_idx.unwrap().0,
                ))
            }
        }
    }

    #[test]
    fn forwarding_starts_at_a_keyframe_and_keeps_the_numbers() {
        let mut d = down();
        let mut l = Up::new(L, 0);
        let s = l.push(10, 900, 5, false, 0);
        assert_eq!(offer(&mut d, &l, s), None);
        let s = l.push(11, 3900, 6, true, 33);
        assert_eq!(offer(&mut d, &l, s), Some((11, 3900, 6, 6)));
        let s = l.push(12, 6900, 7, false, 66);
        assert_eq!(offer(&mut d, &l, s), Some((12, 6900, 7, 7)));
        assert_eq!(d.source(), Some(L));
        assert_eq!(d.selection().phase(), Phase::Stable);
    }

    #[test]
    fn upstream_losses_stay_visible_as_gaps() {
        let mut d = down();
        let mut l = Up::new(L, 0);
        let s = l.push(1, 0, 1, true, 0);
        offer(&mut d, &l, s);
        let s = l.push(3, 6000, 3, false, 66);
        assert_eq!(offer(&mut d, &l, s).map(|x| x.0), Some(3));
        let s = l.push(2, 3000, 2, false, 70);
        assert_eq!(offer(&mut d, &l, s).map(|x| x.0), Some(2));
    }

    #[test]
    fn a_simulcast_round_trip_h_l_h_stays_continuous() {
        let mut d = down();
        d.set_target(1);
        let mut h = Up::new(H, 1);
        let mut l = Up::new(L, 0);
        // High layer: seq 100.., ts 50000.., pic 1000..
        let s = h.push(100, 50000, 1000, true, 0);
        assert_eq!(offer(&mut d, &h, s), Some((100, 50000, 1000, 232)));
        let s = h.push(101, 53000, 1001, false, 33);
        assert_eq!(offer(&mut d, &h, s), Some((101, 53000, 1001, 233)));

        d.set_target(0);
        assert_eq!(d.selection().wants_keyframe(), Some(0));
        // Low-layer interframe: dropped; high continues meanwhile.
        let s = l.push(7000, 9_000_000, 20, false, 40);
        assert_eq!(offer(&mut d, &l, s), None);
        let s = h.push(102, 56000, 1002, false, 66);
        assert_eq!(offer(&mut d, &h, s), Some((102, 56000, 1002, 234)));
        // Low-layer keyframe 20 ms later: switch, everything continues.
        let s = l.push(7001, 9_003_000, 21, true, 86);
        assert_eq!(offer(&mut d, &l, s), Some((103, 56000 + 1800, 1003, 235)));
        let s = h.push(103, 59000, 1003, false, 99);
        assert_eq!(offer(&mut d, &h, s), None);
        let s = l.push(7002, 9_006_000, 22, false, 119);
        assert_eq!(offer(&mut d, &l, s), Some((104, 60800, 1004, 236)));

        d.set_target(1);
        let s = h.push(104, 62000, 1004, true, 130);
        assert_eq!(offer(&mut d, &h, s), Some((105, 60800 + 990, 1005, 237)));
        assert_eq!(d.source(), Some(H));
    }

    #[test]
    fn packets_older_than_the_switch_keyframe_are_not_sent() {
        let mut d = down();
        let mut l = Up::new(L, 0);
        let s = l.push(50, 0, 1, true, 0);
        offer(&mut d, &l, s);
        let s = l.push(49, 0, 0, false, 1);
        assert_eq!(offer(&mut d, &l, s), None);
    }

    #[test]
    fn the_timestamp_advances_even_when_arrival_time_goes_back() {
        let mut d = down();
        d.set_target(1);
        let mut h = Up::new(H, 1);
        let mut l = Up::new(L, 0);
        let s = h.push(1, 1000, 1, true, 500);
        offer(&mut d, &h, s);
        d.set_target(0);
        let s = l.push(1, 5, 1, true, 400);
        assert_eq!(offer(&mut d, &l, s).map(|x| (x.0, x.1)), Some((2, 1001)));
    }

    #[test]
    fn outgoing_numbers_wrap_at_65535() {
        let mut d = down();
        d.set_target(1);
        let mut h = Up::new(H, 1);
        let mut l = Up::new(L, 0);
        let s = h.push(65535, u32::MAX, 32767, true, 0);
        assert_eq!(offer(&mut d, &h, s), Some((65535, u32::MAX, 32767, 255)));
        d.set_target(0);
        let s = l.push(300, 77, 9, true, 10);
        assert_eq!(offer(&mut d, &l, s), Some((0, 899, 0, 0)));
        let sent = d.sent(0).unwrap();
        assert_eq!((sent.up, sent.slot as usize, sent.in_ext), (L, s, 300));
    }

    #[test]
    fn a_nack_is_served_with_the_offsets_of_its_time() {
        let mut d = down();
        d.set_target(1);
        let mut h = Up::new(H, 1);
        let mut l = Up::new(L, 0);
        let s = h.push(10, 100, 1, true, 0);
        offer(&mut d, &h, s);
        d.set_target(0);
        let s = l.push(500, 7, 50, true, 20);
        offer(&mut d, &l, s);
        let sent = d.sent(10).unwrap();
        assert_eq!(sent.up, H);
        let (bytes, meta) = h.cache.get(sent.slot as usize).unwrap();
        let mut out = [0u8; 1500];
        let n = d.retransmit(&sent, bytes, meta, &mut out).unwrap();
        let r = rtp::parse(&out[..n]).unwrap();
        assert_eq!((r.seq, r.timestamp, r.ssrc), (10, 100, 0xabcd));
        assert_eq!(d.sent(12), None);
        assert_eq!(d.sent(10 + HISTORY as u16), None);
    }

    #[test]
    fn a_replaced_up_track_on_the_same_layer_waits_for_its_keyframe() {
        let mut d = down();
        let mut a = Up::new(5, 0);
        let mut b = Up::new(6, 0);
        let s = a.push(1, 0, 1, true, 0);
        offer(&mut d, &a, s);
        let s = b.push(900, 0, 1, false, 10);
        assert_eq!(offer(&mut d, &b, s), None);
    }

    #[test]
    fn another_up_tracks_keyframe_on_the_same_layer_continues_the_numbers() {
        let mut d = down();
        let mut a = Up::new(5, 0);
        let mut b = Up::new(6, 0);
        let s = a.push(1, 0, 1, true, 0);
        assert_eq!(offer(&mut d, &a, s), Some((1, 0, 1, 1)));
        let s = a.push(2, 3000, 2, false, 33);
        assert_eq!(offer(&mut d, &a, s), Some((2, 3000, 2, 2)));
        // B starts 100 ms later, with numbers of its own.
        let s = b.push(40000, 777, 9000, false, 120);
        assert_eq!(offer(&mut d, &b, s), None);
        let s = b.push(40001, 3777, 9001, true, 133);
        assert_eq!(offer(&mut d, &b, s), Some((3, 3000 + 9000, 3, 3)));
        let s = b.push(40002, 6777, 9002, false, 166);
        assert_eq!(offer(&mut d, &b, s), Some((4, 3000 + 9000 + 3000, 4, 4)));
        // A's late packets are not sent once B is anchored.
        let s = a.push(3, 6000, 3, false, 170);
        assert_eq!(offer(&mut d, &a, s), None);
    }

    #[test]
    fn a_small_output_buffer_is_an_error_not_a_panic() {
        let mut d = down();
        let mut l = Up::new(L, 0);
        let s = l.push(1, 0, 1, true, 0);
        let (bytes, meta) = l.cache.get(s).unwrap();
        let p = Incoming {
            up: L,
            slot: s as u32,
            layer: 0,
            bytes,
            meta,
        };
        let mut out = [0u8; 8];
        assert_eq!(d.forward(&p, &mut out, 0), Err(DownError::BufferTooSmall));
        assert_eq!(d.source(), None);
    }

    #[test]
    fn the_sender_report_uses_outgoing_time_and_counts() {
        let mut d = down();
        let mut l = Up::new(L, 0);
        let s = l.push(1, 1000, 1, true, 0);
        offer(&mut d, &l, s);
        let mut out = [0u8; 64];
        let n = d.sender_report(42, 2000, &mut out).unwrap();
        let mut items = Vec::new();
        rtcp::parse(&out[..n], |i| items.push(i)).unwrap();
        let info = SenderInfo {
            ntp: 42,
            rtp_timestamp: 2000,
            packets: 1,
            octets: 9,
        };
        assert_eq!(items, vec![rtcp::Item::SenderReport { ssrc: 0xabcd, info }]);
    }

    /// Replays 60 s of what was recorded with a Firefox publisher (layers
    /// of 150 kbit/s and 1.2 Mbit/s) and a Chromium subscriber: after each
    /// switch up, REMBs of 72 and then 277 kbit/s, and the top layer pausing
    /// for 1.5 s (Firefox's answer to that dip relayed to it); otherwise a
    /// REMB of 1.5 Mbit/s, or 300 kbit/s while `congested`; a REMB a second.
    /// Re-aims once a second as the up connection does, with the layer rates
    /// it reports (0 after 1.5 s without a packet). Returns the target's
    /// changes as (time, new target).
    fn replay(congested: Option<(u32, u32)>) -> Vec<(u32, u8)> {
        let mut d = down();
        let mut changes = Vec::new();
        let mut raised_at: Option<u32> = None;
        for now in (0..=60_000).step_by(100) {
            let target = d.selection().target;
            let since_raise = raised_at.map(|r| now - r);
            let remb = match since_raise {
                _ if now % 1000 != 500 => None,
                Some(500) => Some(72_000),
                Some(1500) => Some(277_000),
                _ => {
                    let low = congested.map_or(false, |(a, b)| now >= a && now < b);
                    Some(if low { 300_000 } else { 1_500_000 })
                }
            };
            let sending = if target == 1 { 1_200_000 } else { 150_000 };
            if let Some(bps) = remb {
                d.bandwidth().on_remb(bps, sending, now);
            }
            if now % 1000 != 0 {
                continue;
            }
            // Paused from 500 ms after the raise: 1.5 s later, reported absent.
            let h = if since_raise == Some(2000) {
                0
            } else {
                1_200_000
            };
            let (next, _) = d.retarget([150_000, h, 0], 2, now);
            if next != target {
                changes.push((now, next));
                if next > target {
                    raised_at = Some(now);
                }
            }
        }
        changes
    }

    /// Stores a one-packet VP8 L1T3 frame `n` (pattern 0 2 1 2, Y on the
    /// first TL1 and TL2 after each TL0; frame 0 a keyframe) at seq `seq`.
    fn push_l1t3(up: &mut Up, seq: u16, n: u16) -> usize {
        let tid = [0u8, 2, 1, 2][usize::from(n % 4)];
        let sync = n % 4 == 1 || n % 4 == 2;
        let tl0 = (n / 4) as u8;
        let p = if n == 0 { 0 } else { 1 };
        let t = (tid << 6) | if sync { 0x20 } else { 0 };
        let payload = [0x90, 0xe0, 0x80 | (n >> 8) as u8, n as u8, tl0, t, p, 0, 0];
        up.cache
            .store(
                &packet(96, seq, u32::from(n) * 3000, 1000, &payload),
                u32::from(n) * 33,
            )
            .unwrap()
    }

    fn base_only() -> Layers {
        Layers { sid: 0, tid: 0 }
    }

    #[test]
    fn vp8_temporal_layers_are_dropped_with_contiguous_numbers_and_picture_ids() {
        let mut d = down();
        let mut l = Up::new(L, 0);
        let mut rates = [[0; 4]; 3];
        rates[0] = [160_000, 80_000, 80_000, 0];
        let mut sent = Vec::new();
        for n in 0..16u16 {
            if n == 4 {
                let r = d.svc_retarget(&rates, 2, 170_000, 0);
                assert_eq!(r, Some((base_only(), TargetReason::Lowered)));
            }
            let s = push_l1t3(&mut l, 100 + n, n);
            if let Some(x) = offer(&mut d, &l, s) {
                sent.push(x);
            }
        }
        // Frames 0-3 all, then 4, 8, 12: seq, timestamp, picture id, TL0PICIDX.
        assert_eq!(
            sent,
            vec![
                (100, 0, 0, 0),
                (101, 3000, 1, 0),
                (102, 6000, 2, 0),
                (103, 9000, 3, 0),
                (104, 12000, 4, 1),
                (105, 24000, 5, 2),
                (106, 36000, 6, 3),
            ]
        );
        // A NACK for 105 gets frame 8 again, as it was sent.
        let s = d.sent(105).unwrap();
        let (bytes, meta) = l.cache.get(s.slot as usize).unwrap();
        let mut out = [0u8; 1500];
        let n = d.retransmit(&s, bytes, meta, &mut out).unwrap();
        let h = rtp::parse(&out[..n]).unwrap();
        let v = vp8::parse(&out[h.payload_offset..n]).unwrap();
        assert_eq!((h.seq, v.picture_id.unwrap().0), (105, 5));
    }

    #[test]
    fn vp8_temporal_layers_come_back_at_sync_frames_without_a_keyframe() {
        let mut d = down();
        let mut l = Up::new(L, 0);
        let mut rates = [[0; 4]; 3];
        rates[0] = [160_000, 80_000, 80_000, 0];
        d.svc_retarget(&rates, 2, 170_000, 0);
        let mut tids = Vec::new();
        for n in 0..12u16 {
            if n == 5 {
                let r = d.svc_retarget(&rates, 2, 0, 10_000);
                assert_eq!(r, Some((Layers { sid: 0, tid: 2 }, TargetReason::Raised)));
                assert_eq!(d.wants_keyframe(), None);
            }
            let s = push_l1t3(&mut l, 60000 + n, n);
            if offer(&mut d, &l, s).is_some() {
                tids.push(n);
            }
        }
        // Frame 0 (key), 4; then TL1 sync at 6, TL2 sync at 9, all after.
        assert_eq!(tids, vec![0, 4, 6, 8, 9, 10, 11]);
    }

    #[test]
    fn vp8_picture_ids_stay_contiguous_across_their_15_bit_wrap_with_drops() {
        let mut d = down();
        let mut l = Up::new(L, 0);
        let mut rates = [[0; 4]; 3];
        rates[0] = [160_000, 80_000, 80_000, 0];
        d.svc_retarget(&rates, 2, 170_000, 0);
        let mut pics = Vec::new();
        // Picture ids 32760.. wrap to 0; frame n has picture id 32760 + n.
        for n in 0..16u16 {
            let tid = [0u8, 2, 1, 2][usize::from(n % 4)];
            let pid = (32760 + n) % 32768;
            let p = if n == 0 { 0 } else { 1 };
            let payload = [
                0x90,
                0xe0,
                0x80 | (pid >> 8) as u8,
                pid as u8,
                0,
                tid << 6,
                p,
                0,
            ];
            let s = l
                .cache
                .store(
                    &packet(96, n, u32::from(n) * 3000, 1000, &payload),
                    u32::from(n),
                )
                .unwrap();
            if let Some(x) = offer(&mut d, &l, s) {
                pics.push(x.2);
            }
        }
        assert_eq!(pics, vec![32760, 32761, 32762, 32763]);
    }

    #[test]
    fn vp9_picture_ids_continue_across_a_simulcast_switch() {
        let mut d = DownTrack::new(DownConfig {
            ssrc: 0xabcd,
            payload_type: 98,
            codec: Codec::Vp9,
            clock_rate: 90000,
        });
        d.set_target(1);
        let mut h = PacketCache::new(Codec::Vp9, 90000, 16);
        let mut l = PacketCache::new(Codec::Vp9, 90000, 16);
        let key = |pid: u16| {
            crate::svc_vp9::tests::non_flexible(pid, 0, 0, 9, (true, true, false, false))
        };
        let s = h.store(&packet(98, 1, 0, 1, &key(500)), 0).unwrap();
        let mut out = [0u8; 1500];
        let (bytes, meta) = h.get(s).unwrap();
        let p = Incoming {
            up: H,
            slot: s as u32,
            layer: 1,
            bytes,
            meta,
        };
        assert!(matches!(d.forward(&p, &mut out, 0), Ok(Outcome::Sent(_))));
        d.set_target(0);
        let s = l.store(&packet(98, 70, 0, 2, &key(20)), 30).unwrap();
        let (bytes, meta) = l.get(s).unwrap();
        let p = Incoming {
            up: L,
            slot: s as u32,
            layer: 0,
            bytes,
            meta,
        };
        let n = match d.forward(&p, &mut out, 30) {
            Ok(Outcome::Sent(n)) => n,
            other => panic!("{:?}", other),
        };
        let hd = rtp::parse(&out[..n]).unwrap();
        let v = crate::svc_vp9::parse(&out[hd.payload_offset..n]).unwrap();
        assert_eq!(
            (hd.seq, v.picture_id.unwrap().0, v.tl0_pic_idx.unwrap().0),
            (2, 501, 10)
        );
    }

    #[test]
    fn a_remb_dip_and_a_pause_after_a_switch_up_do_not_loop() {
        assert_eq!(replay(None), vec![(0, 1)]);
    }

    #[test]
    fn real_congestion_switches_down_once_and_back_once() {
        assert_eq!(
            replay(Some((10_000, 20_000))),
            vec![(0, 1), (12_000, 0), (20_000, 1)]
        );
    }
}
