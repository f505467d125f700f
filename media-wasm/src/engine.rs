//! Everything behind the ABI: the shared buffers, the up and down tracks in
//! their slabs, and the translation of results into integer status codes.
//! `lib.rs` holds the one instance and forwards calls here.

use crate::cache::{CacheError, PacketCache};
use crate::down_track::{DownConfig, DownError, DownTrack, Incoming, Outcome};
use crate::keyframe::{Codec, Keyframe};
use crate::nack::{NackConfig, NackTracker};
use crate::rtcp::{self, Item, ReportBlock, RtcpError};
use crate::slab::Slab;

/// Version of the ABI; bump on any incompatible change.
pub const ABI_VERSION: u32 = 1;
/// Input buffer size: a packet from a 1500-byte MTU fits with room to spare.
pub const IN_CAPACITY: usize = 2048;
/// Output buffer size: room for the parsed records of a full input buffer.
pub const OUT_CAPACITY: usize = 32768;
/// Bytes per record written by [`Engine::rtcp_parse`]: ten little-endian u32.
pub const RECORD_BYTES: usize = 40;
/// Most cache slots per up track (Galène's maximum).
pub const MAX_CACHE: u32 = 1024;

/// Status codes returned instead of results; all negative.
pub mod status {
    pub const BAD_HANDLE: i32 = -1;
    pub const BAD_ARGUMENT: i32 = -2;
    pub const MALFORMED: i32 = -3;
    pub const DUPLICATE: i32 = -4;
    pub const TOO_OLD: i32 = -5;
    pub const NOT_FOUND: i32 = -6;
    pub const NO_HANDLES: i32 = -7;
    pub const BUFFER_TOO_SMALL: i32 = -8;
    pub const TOO_LARGE: i32 = -9;
    pub const JUMP: i32 = -10;
}
use status::*;

struct UpTrack {
    cache: PacketCache,
    nack: NackTracker,
    /// Middle 32 bits of the last SR's NTP time and when it arrived.
    last_sr: Option<(u32, u32)>,
}

/// The whole state behind the ABI.
pub struct Engine {
    input: Vec<u8>,
    output: Vec<u8>,
    ups: Slab<UpTrack>,
    downs: Slab<DownTrack>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine {
            input: vec![0; IN_CAPACITY],
            output: vec![0; OUT_CAPACITY],
            ups: Slab::default(),
            downs: Slab::default(),
        }
    }
}

fn cache_status(e: CacheError) -> i32 {
    match e {
        CacheError::Malformed => MALFORMED,
        CacheError::TooLarge => TOO_LARGE,
        CacheError::Duplicate => DUPLICATE,
        CacheError::TooOld => TOO_OLD,
        CacheError::Jump => JUMP,
    }
}

fn rtcp_status(e: RtcpError) -> i32 {
    match e {
        RtcpError::Truncated | RtcpError::BadVersion => MALFORMED,
        RtcpError::BufferTooSmall => BUFFER_TOO_SMALL,
        RtcpError::TooMany => BAD_ARGUMENT,
    }
}

fn len_or(r: Result<usize, RtcpError>) -> i32 {
    r.map_or_else(rtcp_status, |n| n as i32)
}

impl Engine {
    /// Start of the input buffer.
    pub fn input_ptr(&mut self) -> *mut u8 {
        self.input.as_mut_ptr()
    }

    /// Start of the output buffer.
    pub fn output_ptr(&mut self) -> *mut u8 {
        self.output.as_mut_ptr()
    }

    fn input_u32s(&self, count: u32) -> Option<impl Iterator<Item = u32> + '_> {
        let bytes = self.input.get(..(count as usize).checked_mul(4)?)?;
        Some(
            bytes
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        )
    }

    /// Creates an up track; returns its handle.
    pub fn up_new(&mut self, codec: u32, clock_rate: u32, capacity: u32) -> i32 {
        let codec = match Codec::from_u32(codec) {
            Some(c) if clock_rate > 0 && capacity <= MAX_CACHE => c,
            _ => return BAD_ARGUMENT,
        };
        let up = UpTrack {
            cache: PacketCache::new(codec, clock_rate, capacity as usize),
            nack: NackTracker::new(NackConfig::default()),
            last_sr: None,
        };
        self.ups.insert(up).map_or(NO_HANDLES, |h| h as i32)
    }

    /// Reads AV1 layers from the dependency descriptor extension `id`.
    pub fn up_set_av1_descriptor(&mut self, up: u32, id: u32) -> i32 {
        match self.ups.get_mut(up) {
            Some(t) if (1..=255).contains(&id) => {
                t.cache.set_av1_descriptor(id as u8);
                0
            }
            Some(_) => BAD_ARGUMENT,
            None => BAD_HANDLE,
        }
    }

    /// Frees an up track; 0 or BAD_HANDLE.
    pub fn up_free(&mut self, up: u32) -> i32 {
        if self.ups.remove(up) {
            0
        } else {
            BAD_HANDLE
        }
    }

    /// Stores the packet in the input buffer; returns its slot.
    pub fn up_ingest(&mut self, up: u32, len: u32, now_ms: u32) -> i32 {
        let packet = match self.input.get(..len as usize) {
            Some(p) => p,
            None => return BAD_ARGUMENT,
        };
        let track = match self.ups.get_mut(up) {
            Some(t) => t,
            None => return BAD_HANDLE,
        };
        match track.cache.store(packet, now_ms) {
            Err(e) => cache_status(e),
            Ok(slot) => {
                if let Some((_, m)) = track.cache.get(slot) {
                    track.nack.on_packet(m.ext_seq, now_ms);
                }
                slot as i32
            }
        }
    }

    /// Packet facts of a slot as a bit field (see lib.rs).
    pub fn slot_info(&self, up: u32, slot: u32) -> i32 {
        let track = match self.ups.get(up) {
            Some(t) => t,
            None => return BAD_HANDLE,
        };
        let m = match track.cache.get(slot as usize) {
            Some((_, m)) => m,
            None => return NOT_FOUND,
        };
        let f = m.facts;
        let mut bits = match f.keyframe {
            Keyframe::Yes => 1,
            Keyframe::No => 0,
            Keyframe::Unknown => 2,
        };
        bits |= (f.frame_start as i32) << 2 | (m.marker as i32) << 3;
        bits |= i32::from(f.tid.unwrap_or(7).min(7)) << 4;
        bits |= i32::from(f.sid.unwrap_or(7).min(7)) << 8;
        bits | i32::from(m.len) << 16
    }

    /// Sequence number of a slot's packet.
    pub fn slot_seq(&self, up: u32, slot: u32) -> i32 {
        match self.ups.get(up) {
            None => BAD_HANDLE,
            Some(t) => t
                .cache
                .get(slot as usize)
                .map_or(NOT_FOUND, |(_, m)| i32::from(m.seq)),
        }
    }

    /// RTP timestamp of a slot's packet; 0 when there is none.
    pub fn slot_timestamp(&self, up: u32, slot: u32) -> u32 {
        self.ups
            .get(up)
            .and_then(|t| t.cache.get(slot as usize))
            .map_or(0, |(_, m)| m.timestamp)
    }

    /// Slot holding sequence number `seq`.
    pub fn up_slot_by_seq(&self, up: u32, seq: u32) -> i32 {
        match self.ups.get(up) {
            None => BAD_HANDLE,
            Some(t) => t
                .cache
                .slot_of_seq(seq as u16)
                .map_or(NOT_FOUND, |s| s as i32),
        }
    }

    /// Slot of the newest cached keyframe start.
    pub fn up_keyframe_slot(&self, up: u32) -> i32 {
        match self.ups.get(up) {
            None => BAD_HANDLE,
            Some(t) => t.cache.last_keyframe().map_or(NOT_FOUND, |s| s as i32),
        }
    }

    /// Writes the slots from the newest cached keyframe start to the newest
    /// packet into the output, in order, as little-endian u32; returns their
    /// number, or 0 when one of them is missing or there are more than `max`.
    pub fn up_keyframe_run(&mut self, up: u32, max: u32) -> i32 {
        let t = match self.ups.get(up) {
            None => return BAD_HANDLE,
            Some(t) => t,
        };
        let run = match t.cache.keyframe_run() {
            None => return 0,
            Some(r) => r,
        };
        let count = (run.end() - run.start() + 1) as usize;
        if count > max as usize || count * 4 > self.output.len() {
            return 0;
        }
        for (i, ext) in run.enumerate() {
            let slot = match t.cache.slot_of(ext) {
                Some(s) => s as u32,
                None => return 0,
            };
            self.output[i * 4..i * 4 + 4].copy_from_slice(&slot.to_le_bytes());
        }
        count as i32
    }

    /// Incoming bit rate in bit/s; BAD_HANDLE as a negative number.
    pub fn up_bitrate(&mut self, up: u32, now_ms: u32) -> i32 {
        self.ups.get_mut(up).map_or(BAD_HANDLE, |t| {
            t.cache.bitrate(now_ms).min(i32::MAX as u32) as i32
        })
    }

    /// SSRC of the latest packet (0 for an unknown handle).
    pub fn up_ssrc(&self, up: u32) -> u32 {
        self.ups.get(up).map_or(0, |t| t.cache.ssrc())
    }

    /// Remembers an upstream Sender Report for LSR/DLSR.
    pub fn up_on_sr(&mut self, up: u32, ntp_hi: u32, ntp_lo: u32, now_ms: u32) -> i32 {
        match self.ups.get_mut(up) {
            None => BAD_HANDLE,
            Some(t) => {
                t.last_sr = Some(((ntp_hi << 16) | (ntp_lo >> 16), now_ms));
                0
            }
        }
    }

    /// Writes one Receiver Report with a block per up track listed in the
    /// input buffer (`count` little-endian u32 handles).
    pub fn up_rr(&mut self, count: u32, sender_ssrc: u32, now_ms: u32) -> i32 {
        if count > 31 {
            return BAD_ARGUMENT;
        }
        let mut blocks = [ReportBlock::default(); 31];
        let handles: Vec<u32> = match self.input_u32s(count) {
            Some(it) => it.collect(),
            None => return BAD_ARGUMENT,
        };
        for (i, &h) in handles.iter().enumerate() {
            let t = match self.ups.get_mut(h) {
                Some(t) => t,
                None => return BAD_HANDLE,
            };
            let ssrc = t.cache.ssrc();
            let mut b = t.cache.stats().report(ssrc);
            if let Some((lsr, at)) = t.last_sr {
                b.last_sr = lsr;
                // DLSR is in units of 1/65536 s (RFC 3550 6.4.1).
                b.delay_since_last_sr = (u64::from(now_ms.wrapping_sub(at)) * 65536 / 1000) as u32;
            }
            blocks[i] = b;
        }
        len_or(rtcp::write_rr(
            &mut self.output,
            sender_ssrc,
            &blocks[..handles.len()],
        ))
    }

    /// Writes a NACK for the holes due now; 0 when there are none.
    pub fn up_nack_due(&mut self, up: u32, sender_ssrc: u32, now_ms: u32) -> i32 {
        let t = match self.ups.get_mut(up) {
            Some(t) => t,
            None => return BAD_HANDLE,
        };
        let mut pairs = [(0u16, 0u16); 64];
        let n = t.nack.due(now_ms, &mut pairs);
        if n == 0 {
            return 0;
        }
        len_or(rtcp::write_nack(
            &mut self.output,
            sender_ssrc,
            t.cache.ssrc(),
            &pairs[..n],
        ))
    }

    /// Creates a down track; returns its handle.
    pub fn down_new(&mut self, ssrc: u32, payload_type: u32, codec: u32, clock_rate: u32) -> i32 {
        let codec = match Codec::from_u32(codec) {
            Some(c) if payload_type < 128 && clock_rate > 0 => c,
            _ => return BAD_ARGUMENT,
        };
        let config = DownConfig {
            ssrc,
            payload_type: payload_type as u8,
            codec,
            clock_rate,
        };
        self.downs
            .insert(DownTrack::new(config))
            .map_or(NO_HANDLES, |h| h as i32)
    }

    /// Frees a down track; 0 or BAD_HANDLE.
    pub fn down_free(&mut self, down: u32) -> i32 {
        if self.downs.remove(down) {
            0
        } else {
            BAD_HANDLE
        }
    }

    /// Sets the layer a down track aims for.
    pub fn down_set_target(&mut self, down: u32, layer: u32) -> i32 {
        match self.downs.get_mut(down) {
            Some(d) if layer < 256 => {
                d.set_target(layer as u8);
                0
            }
            Some(_) => BAD_ARGUMENT,
            None => BAD_HANDLE,
        }
    }

    /// Offers a cached packet to a down track; returns the length written to
    /// the output buffer, or 0 when the policy dropped it.
    pub fn down_forward(&mut self, down: u32, up: u32, slot: u32, layer: u32, now_ms: u32) -> i32 {
        let (d, t) = match (self.downs.get_mut(down), self.ups.get(up)) {
            (Some(d), Some(t)) => (d, t),
            _ => return BAD_HANDLE,
        };
        let (bytes, meta) = match t.cache.get(slot as usize) {
            Some(x) => x,
            None => return NOT_FOUND,
        };
        if layer > 255 {
            return BAD_ARGUMENT;
        }
        let p = Incoming {
            up,
            slot,
            layer: layer as u8,
            bytes,
            meta,
        };
        match d.forward(&p, &mut self.output, now_ms) {
            Ok(Outcome::Sent(n)) => n as i32,
            Ok(Outcome::Skipped(_)) => 0,
            Err(DownError::BufferTooSmall) => BUFFER_TOO_SMALL,
            Err(DownError::Malformed) => MALFORMED,
        }
    }

    /// Rewrites the packet sent as `out_seq` again for retransmission; 0
    /// when it is no longer cached.
    pub fn down_nack(&mut self, down: u32, out_seq: u32) -> i32 {
        let d = match self.downs.get(down) {
            Some(d) => d,
            None => return BAD_HANDLE,
        };
        let sent = match d.sent(out_seq as u16) {
            Some(s) => s,
            None => return 0,
        };
        let cached = self
            .ups
            .get(sent.up)
            .and_then(|t| t.cache.get(sent.slot as usize));
        match cached {
            Some((bytes, m)) if m.ext_seq == sent.in_ext => {
                match d.retransmit(&sent, bytes, m, &mut self.output) {
                    Ok(n) => n as i32,
                    Err(_) => BUFFER_TOO_SMALL,
                }
            }
            _ => 0,
        }
    }

    /// Layer whose keyframe the down track waits for, or -1.
    pub fn down_wants_keyframe(&self, down: u32) -> i32 {
        match self.downs.get(down) {
            None => BAD_HANDLE,
            Some(d) => d.wants_keyframe().map_or(-1, i32::from),
        }
    }

    /// current (255 = none) | target << 8 | phase << 16.
    pub fn down_layers(&self, down: u32) -> i32 {
        match self.downs.get(down) {
            None => BAD_HANDLE,
            Some(d) => {
                let s = d.selection();
                i32::from(s.current.unwrap_or(255))
                    | i32::from(s.target) << 8
                    | (s.phase() as i32) << 16
            }
        }
    }

    /// Up track currently forwarded, or NOT_FOUND.
    pub fn down_source(&self, down: u32) -> i32 {
        match self.downs.get(down) {
            None => BAD_HANDLE,
            Some(d) => d.source().map_or(NOT_FOUND, |u| u as i32),
        }
    }

    /// Feeds a receiver report's fraction lost into the estimate.
    pub fn down_on_loss(&mut self, down: u32, fraction_lost: u32, now_ms: u32) -> i32 {
        match self.downs.get_mut(down) {
            None => BAD_HANDLE,
            Some(d) => {
                let sending = d.bitrate(now_ms);
                d.bandwidth()
                    .on_loss(fraction_lost.min(255) as u8, sending, now_ms);
                0
            }
        }
    }

    /// Feeds a REMB from the subscriber into the estimate.
    pub fn down_on_remb(&mut self, down: u32, bps: u32, now_ms: u32) -> i32 {
        match self.downs.get_mut(down) {
            None => BAD_HANDLE,
            Some(d) => {
                let sending = d.bitrate(now_ms);
                d.bandwidth().on_remb(bps, sending, now_ms);
                0
            }
        }
    }

    /// Outgoing bit rate of a down track, in bit/s.
    pub fn down_bitrate(&mut self, down: u32, now_ms: u32) -> i32 {
        self.downs.get_mut(down).map_or(BAD_HANDLE, |d| {
            d.bitrate(now_ms).min(i32::MAX as u32) as i32
        })
    }

    /// Bandwidth available towards the subscriber, in bit/s.
    pub fn down_available(&self, down: u32, now_ms: u32) -> i32 {
        match self.downs.get(down) {
            None => BAD_HANDLE,
            Some(d) => d.bandwidth_ref().available(now_ms).min(i32::MAX as u32) as i32,
        }
    }

    /// Re-aims a down track from layer rates (0 = absent) and its estimate
    /// (see `DownTrack::retarget`); returns target | reason << 8.
    pub fn down_adjust(&mut self, down: u32, now_ms: u32, rates: [u32; 3], max_layer: u32) -> i32 {
        match self.downs.get_mut(down) {
            None => BAD_HANDLE,
            Some(d) => {
                let (target, reason) = d.retarget(rates, max_layer.min(255) as u8, now_ms);
                i32::from(target) | (reason as i32) << 8
            }
        }
    }

    /// Bounds a down track's estimate by `cap_bps` (0: none) from now on,
    /// and re-aims its SVC layers from its source's layer rates and that
    /// estimate, never above spatial layer `max_sid`; returns sid | tid << 4 | reason << 8, or NOT_FOUND
    /// for a codec without SVC.
    pub fn down_svc_adjust(&mut self, down: u32, now_ms: u32, max_sid: u32, cap_bps: u32) -> i32 {
        let d = match self.downs.get_mut(down) {
            Some(d) => d,
            None => return BAD_HANDLE,
        };
        // Before the first packet nothing is measured, but the cap applies.
        let rates = match d.source().and_then(|u| self.ups.get_mut(u)) {
            Some(t) => t.cache.layer_rates(now_ms),
            None => [[0; crate::svc_selector::TEMPORAL]; crate::svc_selector::SPATIAL],
        };
        match d.svc_retarget(&rates, max_sid.min(7) as u8, cap_bps, now_ms) {
            None => NOT_FOUND,
            Some((l, reason)) => {
                i32::from(l.sid.min(15)) | i32::from(l.tid.min(15)) << 4 | (reason as i32) << 8
            }
        }
    }

    /// SVC layers of a down track: current sid | current tid << 4 | target
    /// sid << 8 | target tid << 12 | last change's reason << 16 | highest
    /// sid seen << 20 | highest tid seen << 24 (7 for "all layers");
    /// NOT_FOUND for a codec without SVC.
    pub fn down_svc_layers(&self, down: u32) -> i32 {
        let d = match self.downs.get(down) {
            Some(d) => d,
            None => return BAD_HANDLE,
        };
        match d.svc() {
            None => NOT_FOUND,
            Some(f) => {
                let s = f.selection();
                let n = |v: u8| i32::from(v.min(7));
                n(s.current.sid)
                    | n(s.current.tid) << 4
                    | n(s.target.sid) << 8
                    | n(s.target.tid) << 12
                    | f.last_reason().map_or(0, |r| r as i32) << 16
                    | n(f.highest().0) << 20
                    | n(f.highest().1) << 24
            }
        }
    }

    /// Writes a Sender Report for a down track.
    pub fn down_sr(&mut self, down: u32, ntp_hi: u32, ntp_lo: u32, source_rtp_ts: u32) -> i32 {
        match self.downs.get(down) {
            None => BAD_HANDLE,
            Some(d) => {
                let ntp = (u64::from(ntp_hi) << 32) | u64::from(ntp_lo);
                len_or(d.sender_report(ntp, source_rtp_ts, &mut self.output))
            }
        }
    }

    /// Parses the compound RTCP packet in the input buffer into records in
    /// the output buffer; returns the number of records.
    pub fn rtcp_parse(&mut self, len: u32) -> i32 {
        let input = match self.input.get(..len as usize) {
            Some(i) => i,
            None => return BAD_ARGUMENT,
        };
        let out = &mut self.output;
        let max = out.len() / RECORD_BYTES;
        let mut n = 0;
        let result = rtcp::parse(input, |item| {
            if n < max {
                let r = record(item);
                for (i, v) in r.iter().enumerate() {
                    let at = n * RECORD_BYTES + 4 * i;
                    out[at..at + 4].copy_from_slice(&v.to_le_bytes());
                }
                n += 1;
            }
        });
        match result {
            Ok(_) => n as i32,
            Err(e) => rtcp_status(e),
        }
    }

    /// Writes a PLI.
    pub fn rtcp_pli(&mut self, sender: u32, media: u32) -> i32 {
        len_or(rtcp::write_pli(&mut self.output, sender, media))
    }

    /// Writes a REMB for the `count` SSRCs in the input buffer.
    pub fn rtcp_remb(&mut self, sender: u32, bps: u32, count: u32) -> i32 {
        let ssrcs: Vec<u32> = match self.input_u32s(count) {
            Some(it) if count <= 255 => it.collect(),
            _ => return BAD_ARGUMENT,
        };
        len_or(rtcp::write_remb(
            &mut self.output,
            sender,
            u64::from(bps),
            &ssrcs,
        ))
    }

    #[cfg(test)]
    fn set_input(&mut self, bytes: &[u8]) -> u32 {
        self.input[..bytes.len()].copy_from_slice(bytes);
        bytes.len() as u32
    }
}

/// Record kinds of [`Engine::rtcp_parse`].
fn record(item: Item) -> [u32; 10] {
    let sat = |v: u64| v.min(u64::from(u32::MAX)) as u32;
    match item {
        Item::SenderReport { ssrc, info } => [
            1,
            ssrc,
            (info.ntp >> 32) as u32,
            info.ntp as u32,
            info.rtp_timestamp,
            info.packets,
            info.octets,
            0,
            0,
            0,
        ],
        Item::Report { reporter, block: b } => [
            2,
            reporter,
            b.ssrc,
            u32::from(b.fraction_lost),
            b.cumulative_lost as u32,
            b.highest_seq,
            b.jitter,
            b.last_sr,
            b.delay_since_last_sr,
            0,
        ],
        Item::Cname { ssrc, offset, len } => [3, ssrc, offset as u32, len as u32, 0, 0, 0, 0, 0, 0],
        Item::Bye { ssrc } => [4, ssrc, 0, 0, 0, 0, 0, 0, 0, 0],
        Item::Nack {
            sender,
            media,
            pid,
            blp,
        } => [
            5,
            sender,
            media,
            u32::from(pid),
            u32::from(blp),
            0,
            0,
            0,
            0,
            0,
        ],
        Item::Pli { sender, media } => [6, sender, media, 0, 0, 0, 0, 0, 0, 0],
        Item::Fir { sender, media, seq } => [7, sender, media, u32::from(seq), 0, 0, 0, 0, 0, 0],
        Item::Remb {
            sender,
            media,
            bitrate,
        } => [8, sender, media, sat(bitrate), 0, 0, 0, 0, 0, 0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::{self, tests::packet};

    fn vp8(seq: u16, key: bool) -> Vec<u8> {
        packet(
            96,
            seq,
            u32::from(seq) * 3000,
            0x1111,
            &[0x10, if key { 0 } else { 1 }, 0],
        )
    }

    fn ingest(e: &mut Engine, up: u32, p: &[u8], now: u32) -> i32 {
        let n = e.set_input(p);
        e.up_ingest(up, n, now)
    }

    fn output_packet(e: &Engine, n: i32) -> rtp::RtpHeader {
        rtp::parse(&e.output[..n as usize]).unwrap()
    }

    #[test]
    fn one_packet_fans_out_to_two_subscribers() {
        let mut e = Engine::default();
        let up = e.up_new(1, 90000, 64) as u32;
        let a = e.down_new(0xaaaa, 96, 1, 90000) as u32;
        let b = e.down_new(0xbbbb, 120, 1, 90000) as u32;
        let slot = ingest(&mut e, up, &vp8(7, true), 0);
        assert!(slot >= 0);
        assert_eq!(e.slot_info(up, slot as u32) & 0b1101, 0b0101);
        assert_eq!(e.slot_seq(up, slot as u32), 7);
        let n = e.down_forward(a, up, slot as u32, 0, 0);
        assert_eq!(
            (output_packet(&e, n).ssrc, output_packet(&e, n).payload_type),
            (0xaaaa, 96)
        );
        let n = e.down_forward(b, up, slot as u32, 0, 0);
        assert_eq!(
            (output_packet(&e, n).ssrc, output_packet(&e, n).payload_type),
            (0xbbbb, 120)
        );
        assert_eq!(e.down_nack(a, 7), n);
        assert_eq!(output_packet(&e, n).ssrc, 0xaaaa);
        assert_eq!(e.down_nack(a, 8), 0);
    }

    #[test]
    fn bad_handles_and_arguments_give_status_codes() {
        let mut e = Engine::default();
        assert_eq!(e.up_new(99, 90000, 64), BAD_ARGUMENT);
        assert_eq!(e.up_new(1, 90000, MAX_CACHE + 1), BAD_ARGUMENT);
        assert_eq!(e.down_new(1, 128, 1, 90000), BAD_ARGUMENT);
        assert_eq!(e.up_ingest(12345, 12, 0), BAD_HANDLE);
        assert_eq!(e.down_forward(1, 2, 3, 0, 0), BAD_HANDLE);
        assert_eq!(e.down_nack(77, 0), BAD_HANDLE);
        let up = e.up_new(1, 90000, 64) as u32;
        assert_eq!(e.up_ingest(up, IN_CAPACITY as u32 + 1, 0), BAD_ARGUMENT);
        assert_eq!(e.up_ingest(up, 3, 0), MALFORMED);
        assert_eq!(e.slot_info(up, 0), NOT_FOUND);
        assert_eq!(e.up_free(up), 0);
        assert_eq!(e.up_free(up), BAD_HANDLE);
        assert_eq!(e.slot_info(up, 0), BAD_HANDLE);
    }

    #[test]
    fn the_keyframe_run_lists_its_slots_in_order_up_to_max() {
        let mut e = Engine::default();
        let up = e.up_new(1, 90000, 64) as u32;
        assert_eq!(e.up_keyframe_run(up, 96), 0);
        let slots: Vec<u32> = (20..24)
            .map(|seq| ingest(&mut e, up, &vp8(seq, seq == 21), 0) as u32)
            .collect();
        assert_eq!(e.up_keyframe_run(up, 96), 3);
        let words: Vec<u32> = e.output[..12]
            .chunks(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        assert_eq!(words, &slots[1..]);
        assert_eq!(e.up_keyframe_run(up, 2), 0);
        assert_eq!(e.up_keyframe_run(77, 96), BAD_HANDLE);
    }

    #[test]
    fn a_nack_after_the_up_track_is_freed_finds_nothing() {
        let mut e = Engine::default();
        let up = e.up_new(1, 90000, 64) as u32;
        let d = e.down_new(1, 96, 1, 90000) as u32;
        let slot = ingest(&mut e, up, &vp8(1, true), 0) as u32;
        assert!(e.down_forward(d, up, slot, 0, 0) > 0);
        e.up_free(up);
        assert_eq!(e.down_nack(d, 1), 0);
    }

    #[test]
    fn upstream_holes_become_a_nack_and_a_receiver_report() {
        let mut e = Engine::default();
        let up = e.up_new(1, 90000, 64) as u32;
        for seq in [1u16, 2, 5, 6] {
            ingest(&mut e, up, &vp8(seq, false), 0);
        }
        let n = e.up_nack_due(up, 9, 30);
        assert!(n > 0);
        let mut items = Vec::new();
        rtcp::parse(&e.output[..n as usize], |i| items.push(i)).unwrap();
        assert_eq!(
            items,
            vec![Item::Nack {
                sender: 9,
                media: 0x1111,
                pid: 3,
                blp: 1
            }]
        );
        assert_eq!(e.up_on_sr(up, 0x0001_0002, 0x0003_0004, 0), 0);
        let n = e.set_input(&up.to_le_bytes());
        assert_eq!(n, 4);
        let len = e.up_rr(1, 9, 500);
        let mut items = Vec::new();
        rtcp::parse(&e.output[..len as usize], |i| items.push(i)).unwrap();
        match items[0] {
            Item::Report { reporter: 9, block } => {
                assert_eq!(
                    (block.ssrc, block.cumulative_lost, block.highest_seq),
                    (0x1111, 2, 6)
                );
                assert_eq!(
                    (block.last_sr, block.delay_since_last_sr),
                    (0x0002_0003, 32768)
                );
            }
            ref other => panic!("unexpected {:?}", other),
        }
    }

    #[test]
    fn rtcp_parse_writes_fixed_records() {
        let mut e = Engine::default();
        let mut buf = [0u8; 64];
        let a = rtcp::write_pli(&mut buf, 1, 2).unwrap();
        let b = rtcp::write_remb(&mut buf[a..], 3, 250_000, &[4]).unwrap();
        let n = e.set_input(&buf[..a + b]);
        assert_eq!(e.rtcp_parse(n), 2);
        let word = |r: usize, i: usize| {
            let at = r * RECORD_BYTES + 4 * i;
            u32::from_le_bytes([
                e.output[at],
                e.output[at + 1],
                e.output[at + 2],
                e.output[at + 3],
            ])
        };
        assert_eq!((word(0, 0), word(0, 1), word(0, 2)), (6, 1, 2));
        assert_eq!(
            (word(1, 0), word(1, 1), word(1, 2), word(1, 3)),
            (8, 3, 4, 250_000)
        );
        assert_eq!(e.rtcp_parse(3), MALFORMED);
    }

    #[test]
    fn adjust_moves_the_target_with_the_estimate() {
        let mut e = Engine::default();
        let d = e.down_new(1, 96, 1, 90000) as u32;
        e.down_on_remb(d, 2_000_000, 0);
        assert_eq!(e.down_available(d, 0), 1_000_000_000);
        assert_eq!(e.down_adjust(d, 0, [100_000, 400_000, 0], 2), 1 | 1 << 8);
        assert_eq!(e.down_wants_keyframe(d), 1);
        e.down_on_loss(d, 128, 10);
        assert_eq!(e.down_available(d, 10), 9_600);
        assert_eq!(e.down_adjust(d, 10, [100_000, 400_000, 0], 2), 2 << 8);
        assert_eq!(e.down_bitrate(d, 10), 0);
        assert_eq!(e.down_layers(d), 255);
    }

    #[test]
    fn the_cap_given_to_the_svc_re_aim_bounds_the_simulcast_choice_too() {
        let mut e = Engine::default();
        let d = e.down_new(1, 96, 1, 90000) as u32;
        let rates = [100_000, 400_000, 0];
        assert_eq!(e.down_adjust(d, 0, rates, 2), 1 | 1 << 8);
        e.down_svc_adjust(d, 10, 7, 150_000);
        assert_eq!(e.down_available(d, 10), 150_000);
        assert_eq!(e.down_adjust(d, 10, rates, 2), 2 << 8);
        e.down_svc_adjust(d, 20, 7, 0);
        assert_eq!(e.down_available(d, 20), 1_000_000_000);
    }
}
