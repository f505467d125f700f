//! One track's clock for recording: RTP time to the recorder's local
//! millisecond timeline.
//!
//! A track is anchored on the arrival time of its first frame. Sender
//! reports (RFC 3550 §6.4.1) tie RTP time to the sender's NTP clock, which
//! all tracks of a sender share; the first report fixes one NTP-to-local
//! offset for the whole stream, and every report re-anchors its track on
//! it, so audio and video line up as the sender captured them.

use crate::seq::diff;

/// A mapping further than this from arrival (ms) means the sender's RTP
/// clock jumped (a restart): re-anchor on arrival instead.
pub const MAX_SKEW_MS: i64 = 10_000;
/// A sender report moving a track by more than this (ms) is not believed.
pub const MAX_CORRECTION_MS: i64 = 5_000;

/// The clock of one track.
pub struct TrackClock {
    rate: i64,
    started: bool,
    last_ts: u32,
    ext: i64,
    /// (extended RTP time, local ms) of the anchor.
    anchor: Option<(i64, i64)>,
    /// A report that came before the first frame: (NTP ms, RTP time).
    pending: Option<(i64, u32)>,
}

impl TrackClock {
    /// A clock for RTP time at `rate` Hz.
    pub fn new(rate: u32) -> TrackClock {
        TrackClock {
            rate: i64::from(rate.max(1)),
            started: false,
            last_ts: 0,
            ext: 0,
            anchor: None,
            pending: None,
        }
    }

    /// Forgets everything: a new sender with its own RTP clock.
    pub fn restart(&mut self) {
        *self = TrackClock::new(self.rate as u32);
    }

    fn extend(&self, ts: u32) -> i64 {
        if self.started {
            self.ext + diff(ts, self.last_ts)
        } else {
            i64::from(ts)
        }
    }

    fn at(&self, ext: i64) -> Option<i64> {
        self.anchor
            .map(|(rtp, local)| local + (ext - rtp) * 1000 / self.rate)
    }

    /// The local time of a frame with RTP time `ts`, completed at `now`.
    pub fn map(&mut self, ts: u32, now: i64, ntp_offset: &mut Option<i64>) -> i64 {
        let ext = self.extend(ts);
        if !self.started || ext > self.ext {
            self.started = true;
            self.ext = ext;
            self.last_ts = ts;
        }
        match self.at(ext) {
            Some(t) if (t - now).abs() <= MAX_SKEW_MS => t,
            _ => {
                self.anchor = Some((ext, now));
                if let Some((ntp, rtp)) = self.pending.take() {
                    self.report(ntp, rtp, ntp_offset);
                }
                self.at(ext).unwrap_or(now)
            }
        }
    }

    /// Notes a sender report: NTP time `ntp` (ms) is RTP time `rtp`.
    pub fn sender_report(&mut self, ntp: i64, rtp: u32, ntp_offset: &mut Option<i64>) {
        if self.anchor.is_none() {
            self.pending = Some((ntp, rtp));
            return;
        }
        self.report(ntp, rtp, ntp_offset);
    }

    fn report(&mut self, ntp: i64, rtp: u32, ntp_offset: &mut Option<i64>) {
        let ext = self.extend(rtp);
        let local = match self.at(ext) {
            Some(t) => t,
            None => return,
        };
        let offset = *ntp_offset.get_or_insert(local - ntp);
        let corrected = ntp + offset;
        if (corrected - local).abs() <= MAX_CORRECTION_MS {
            self.anchor = Some((ext, corrected));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_frame_anchors_on_its_arrival() {
        let mut c = TrackClock::new(90_000);
        let mut off = None;
        assert_eq!(c.map(1000, 5000, &mut off), 5000);
        assert_eq!(c.map(1000 + 90_000, 6100, &mut off), 6000);
    }

    #[test]
    fn rtp_time_wraps_without_a_jump() {
        let mut c = TrackClock::new(90_000);
        let mut off = None;
        c.map(u32::MAX - 8999, 0, &mut off);
        assert_eq!(c.map(9000, 200, &mut off), 200);
    }

    #[test]
    fn a_sender_report_aligns_a_second_track_on_the_first() {
        let mut off = None;
        let mut video = TrackClock::new(90_000);
        let mut audio = TrackClock::new(48_000);
        // Video arrives on time; audio's first packet was 80 ms late.
        video.map(0, 1000, &mut off);
        audio.map(0, 1080, &mut off);
        // The sender says both RTP zeros were captured at NTP 50 000 ms.
        video.sender_report(50_000, 0, &mut off);
        audio.sender_report(50_000, 0, &mut off);
        assert_eq!(off, Some(1000 - 50_000));
        assert_eq!(audio.map(48_000, 2080, &mut off), 2000);
    }

    #[test]
    fn a_report_before_the_first_frame_is_applied_then() {
        let mut off = Some(-49_000);
        let mut audio = TrackClock::new(48_000);
        audio.sender_report(50_000, 0, &mut off);
        assert_eq!(audio.map(0, 1080, &mut off), 1000);
    }

    #[test]
    fn an_unbelievable_report_is_ignored() {
        let mut off = Some(0);
        let mut c = TrackClock::new(90_000);
        c.map(0, 1000, &mut off);
        c.sender_report(1000 + MAX_CORRECTION_MS + 1, 0, &mut off);
        assert_eq!(c.map(90_000, 2000, &mut off), 2000);
    }

    #[test]
    fn a_jump_in_rtp_time_re_anchors_on_arrival() {
        let mut c = TrackClock::new(90_000);
        let mut off = None;
        c.map(0, 1000, &mut off);
        assert_eq!(c.map(90_000 * 100, 1033, &mut off), 1033);
        assert_eq!(c.map(90_000 * 101, 2033, &mut off), 2033);
    }
}
