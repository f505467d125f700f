//! Everything behind the recording ABI: its own input buffer, the recorders
//! in a slab, and the write being handed over. Kept apart from the
//! forwarding [`crate::engine::Engine`] so neither can disturb the other.

use crate::depacketize::RecCodec;
use crate::engine::status::{BAD_ARGUMENT, BAD_HANDLE, MALFORMED, NO_HANDLES};
use crate::jitter::Pushed;
use crate::rtp;
use crate::slab::Slab;
use crate::webm_muxer::Track;
use crate::webm_recorder::{OutOp, Recorder};

/// Version of the recording ABI; bump on any incompatible change.
pub const REC_ABI_VERSION: u32 = 1;
/// Input buffer size: one RTP payload.
pub const REC_IN_CAPACITY: usize = 2048;
/// Status: the codec cannot be recorded (AV1, or not a video codec).
pub const UNSUPPORTED: i32 = -11;

/// Kinds returned by [`Recordings::next`].
pub mod op_kind {
    pub const NONE: i32 = 0;
    pub const BEGIN_WEBM: i32 = 1;
    pub const BEGIN_MATROSKA: i32 = 2;
    pub const APPEND: i32 = 3;
    pub const PATCH: i32 = 4;
    pub const END: i32 = 5;
}

/// The state behind the recording ABI.
pub struct Recordings {
    input: Vec<u8>,
    recorders: Slab<Recorder>,
    current: Option<OutOp>,
}

impl Default for Recordings {
    fn default() -> Self {
        Recordings {
            input: vec![0; REC_IN_CAPACITY],
            recorders: Slab::default(),
            current: None,
        }
    }
}

fn track(kind: u32) -> Option<Track> {
    match kind {
        0 => Some(Track::Audio),
        1 => Some(Track::Video),
        _ => None,
    }
}

impl Recordings {
    pub fn input_ptr(&mut self) -> *mut u8 {
        self.input.as_mut_ptr()
    }

    /// Creates a recorder; codec numbers as in `lib.rs` (0: no such track);
    /// `flags` bit 0: a new file at each keyframe of another size.
    pub fn create(&mut self, video: u32, audio: u32, flags: u32, now: u32) -> i32 {
        let video = match video {
            0 => None,
            1 => Some(RecCodec::Vp8),
            2 => Some(RecCodec::Vp9),
            3 => Some(RecCodec::H264),
            _ => return UNSUPPORTED,
        };
        let audio = match audio {
            0 => false,
            16 => true,
            _ => return UNSUPPORTED,
        };
        if video.is_none() && !audio {
            return BAD_ARGUMENT;
        }
        self.recorders
            .insert(Recorder::new(video, audio, now).split_on_resize(flags & 1 != 0))
            .map_or(NO_HANDLES, |h| h as i32)
    }

    pub fn free(&mut self, rec: u32) -> i32 {
        if self.recorders.remove(rec) {
            0
        } else {
            BAD_HANDLE
        }
    }

    /// Takes the `len`-byte RTP packet in the input buffer; 0 stored, 1
    /// duplicate, 2 too late, 3 the sender restarted.
    pub fn packet(&mut self, rec: u32, kind: u32, len: u32, now: u32) -> i32 {
        let packet = match self.input.get(..len as usize) {
            Some(p) => p,
            None => return BAD_ARGUMENT,
        };
        let h = match rtp::parse(packet) {
            Ok(h) => h,
            Err(_) => return MALFORMED,
        };
        let payload = &packet[h.payload_offset..h.payload_offset + h.payload_len];
        let (r, t) = match (self.recorders.get_mut(rec), track(kind)) {
            (Some(r), Some(t)) => (r, t),
            (None, _) => return BAD_HANDLE,
            _ => return BAD_ARGUMENT,
        };
        match r.packet(t, h.ssrc, h.seq, h.timestamp, h.marker, payload, now) {
            Pushed::Stored => 0,
            Pushed::Duplicate => 1,
            Pushed::TooOld => 2,
            Pushed::Restarted => 3,
        }
    }

    pub fn sender_report(
        &mut self,
        rec: u32,
        kind: u32,
        ntp_hi: u32,
        ntp_lo: u32,
        rtp: u32,
        now: u32,
    ) -> i32 {
        match (self.recorders.get_mut(rec), track(kind)) {
            (Some(r), Some(t)) => {
                r.sender_report(t, ntp_hi, ntp_lo, rtp, now);
                0
            }
            (None, _) => BAD_HANDLE,
            _ => BAD_ARGUMENT,
        }
    }

    /// 1 when a keyframe should be asked for, else 0.
    pub fn tick(&mut self, rec: u32, now: u32) -> i32 {
        match self.recorders.get_mut(rec) {
            Some(r) => i32::from(r.tick(now)),
            None => BAD_HANDLE,
        }
    }

    pub fn close(&mut self, rec: u32, now: u32) -> i32 {
        match self.recorders.get_mut(rec) {
            Some(r) => {
                r.close(now);
                0
            }
            None => BAD_HANDLE,
        }
    }

    /// Moves the next write into view; returns its kind.
    pub fn next(&mut self, rec: u32) -> i32 {
        let r = match self.recorders.get_mut(rec) {
            Some(r) => r,
            None => return BAD_HANDLE,
        };
        self.current = r.next_op();
        match &self.current {
            None => op_kind::NONE,
            Some(OutOp::Begin { webm: true }) => op_kind::BEGIN_WEBM,
            Some(OutOp::Begin { webm: false }) => op_kind::BEGIN_MATROSKA,
            Some(OutOp::Append(_)) => op_kind::APPEND,
            Some(OutOp::Patch { .. }) => op_kind::PATCH,
            Some(OutOp::End) => op_kind::END,
        }
    }

    fn bytes(&self) -> &[u8] {
        match &self.current {
            Some(OutOp::Append(b)) | Some(OutOp::Patch { bytes: b, .. }) => b,
            _ => &[],
        }
    }

    /// Address of the current write's bytes.
    pub fn op_ptr(&self) -> *const u8 {
        self.bytes().as_ptr()
    }

    /// Length of the current write's bytes.
    pub fn op_len(&self) -> u32 {
        self.bytes().len() as u32
    }

    /// File offset of the current patch. Patches only touch the header, so
    /// the offset always fits 32 bits.
    pub fn op_offset(&self) -> u32 {
        match &self.current {
            Some(OutOp::Patch { offset, .. }) => *offset as u32,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn av1_and_unknown_codecs_are_refused() {
        let mut r = Recordings::default();
        assert_eq!(r.create(4, 16, 0, 0), UNSUPPORTED);
        assert_eq!(r.create(1, 17, 0, 0), UNSUPPORTED);
        assert_eq!(r.create(0, 0, 0, 0), BAD_ARGUMENT);
    }

    #[test]
    fn writes_come_out_one_at_a_time_and_a_freed_handle_is_refused() {
        let mut r = Recordings::default();
        let h = r.create(0, 16, 0, 0) as u32;
        let rtp = [0x80, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 7, 0xFC, 0xFF];
        r.input[..rtp.len()].copy_from_slice(&rtp);
        assert_eq!(r.packet(h, 0, rtp.len() as u32, 0), 0);
        // Already released: too late rather than a duplicate.
        assert_eq!(r.packet(h, 0, rtp.len() as u32, 0), 2);
        assert_eq!(r.packet(h, 2, rtp.len() as u32, 0), BAD_ARGUMENT);
        assert_eq!(r.packet(h, 0, 4096, 0), BAD_ARGUMENT);
        assert_eq!(r.packet(h, 0, 5, 0), MALFORMED);
        assert_eq!(r.close(h, 10), 0);
        assert_eq!(r.next(h), op_kind::BEGIN_WEBM);
        assert_eq!(r.next(h), op_kind::APPEND);
        assert!(r.op_len() > 40);
        let mut kinds = Vec::new();
        loop {
            let k = r.next(h);
            if k == op_kind::NONE {
                break;
            }
            kinds.push(k);
        }
        assert_eq!(kinds.last(), Some(&op_kind::END));
        assert!(kinds.contains(&op_kind::PATCH));
        assert_eq!(r.free(h), 0);
        assert_eq!(r.tick(h, 0), BAD_HANDLE);
    }
}
