//! Reception statistics of one incoming stream for receiver reports:
//! RFC 3550 appendix A.3 (loss) and A.8 (interarrival jitter).

use crate::rtcp::ReportBlock;

/// Loss and jitter state, fed with extended sequence numbers.
#[derive(Clone, Copy, Debug)]
pub struct ReceiveStats {
    clock_rate: u32,
    base: Option<i64>,
    highest: i64,
    received: u64,
    expected_prior: i64,
    received_prior: u64,
    /// Jitter scaled by 16, as in RFC 3550 A.8, to keep the 1/16 gain exact.
    jitter_q4: u64,
    last: Option<(u32, u32)>,
}

impl ReceiveStats {
    /// Statistics for a stream whose RTP clock runs at `clock_rate` Hz.
    pub fn new(clock_rate: u32) -> Self {
        ReceiveStats {
            clock_rate,
            base: None,
            highest: 0,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            jitter_q4: 0,
            last: None,
        }
    }

    /// Records one packet that is not a duplicate.
    pub fn record(&mut self, ext_seq: i64, timestamp: u32, arrival_ms: u32) {
        self.received += 1;
        match self.base {
            None => {
                self.base = Some(ext_seq);
                self.highest = ext_seq;
            }
            Some(base) => {
                if ext_seq < base {
                    self.base = Some(ext_seq);
                }
                if ext_seq <= self.highest {
                    // Reordered or retransmitted: its transit time says
                    // nothing about the path's jitter now.
                    return;
                }
                self.highest = ext_seq;
            }
        }
        if let Some((last_ms, last_ts)) = self.last {
            let arrival = i64::from(arrival_ms.wrapping_sub(last_ms) as i32)
                * i64::from(self.clock_rate)
                / 1000;
            let sent = i64::from(timestamp.wrapping_sub(last_ts) as i32);
            let d = (arrival - sent).unsigned_abs();
            self.jitter_q4 = (self.jitter_q4 + d).saturating_sub((self.jitter_q4 + 8) >> 4);
        }
        self.last = Some((arrival_ms, timestamp));
    }

    /// Makes the next packet `ext_seq` count as the continuation of the stream
    /// (after the sender restarted its sequence numbers).
    pub fn resync(&mut self) {
        self.last = None;
    }

    /// The extended highest sequence number, if a packet was seen.
    pub fn highest(&self) -> Option<i64> {
        self.base.map(|_| self.highest)
    }

    /// Interarrival jitter in RTP clock units.
    pub fn jitter(&self) -> u32 {
        (self.jitter_q4 >> 4).min(u64::from(u32::MAX)) as u32
    }

    /// Fills a report block for `ssrc` and starts a new reporting interval.
    pub fn report(&mut self, ssrc: u32) -> ReportBlock {
        let base = match self.base {
            None => {
                return ReportBlock {
                    ssrc,
                    ..ReportBlock::default()
                }
            }
            Some(b) => b,
        };
        let expected = self.highest - base + 1;
        let lost = expected - self.received as i64;
        let expected_interval = expected - self.expected_prior;
        let received_interval = self.received as i64 - self.received_prior as i64;
        let lost_interval = expected_interval - received_interval;
        self.expected_prior = expected;
        self.received_prior = self.received;
        let fraction_lost = if expected_interval <= 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / expected_interval).min(255) as u8
        };
        ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost: lost.clamp(-0x80_0000, 0x7f_ffff) as i32,
            // RFC 3550 6.4.1: cycles in the high 16 bits; values are
            // shifted so the first packet's cycle is 0 even when
            // reordering put early packets below zero.
            highest_seq: (self.highest - (base & !0xffff).min(0)) as u32,
            jitter: self.jitter(),
            last_sr: 0,
            delay_since_last_sr: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_stream_reports_zeroes() {
        let mut s = ReceiveStats::new(90000);
        assert_eq!(
            s.report(5),
            ReportBlock {
                ssrc: 5,
                ..ReportBlock::default()
            }
        );
        assert_eq!(s.highest(), None);
    }

    #[test]
    fn a_lossless_stream_reports_no_loss() {
        let mut s = ReceiveStats::new(90000);
        for i in 0..100 {
            s.record(65500 + i, (i * 3000) as u32, (i * 33) as u32);
        }
        let r = s.report(1);
        assert_eq!(
            (r.fraction_lost, r.cumulative_lost, r.highest_seq),
            (0, 0, 65599)
        );
    }

    #[test]
    fn losses_give_fraction_and_cumulative_counts() {
        let mut s = ReceiveStats::new(90000);
        for i in (0..=100).filter(|i| i % 4 != 3) {
            s.record(i, 0, 0);
        }
        let r = s.report(1);
        assert_eq!(r.cumulative_lost, 25);
        assert_eq!(r.fraction_lost, 63); // 25/101 of 256, rounded down
        for i in 101..200 {
            s.record(i, 0, 0);
        }
        let r = s.report(1);
        assert_eq!((r.cumulative_lost, r.fraction_lost), (25, 0));
    }

    #[test]
    fn late_packets_reduce_the_loss() {
        let mut s = ReceiveStats::new(90000);
        s.record(0, 0, 0);
        s.record(2, 0, 0);
        assert_eq!(s.report(1).cumulative_lost, 1);
        s.record(1, 0, 0);
        s.record(3, 0, 0);
        let r = s.report(1);
        assert_eq!((r.cumulative_lost, r.fraction_lost), (0, 0));
    }

    #[test]
    fn packets_before_the_first_move_the_base() {
        let mut s = ReceiveStats::new(90000);
        s.record(0, 0, 0);
        s.record(-1, 0, 0);
        let r = s.report(1);
        assert_eq!(r.cumulative_lost, 0);
        assert_eq!(r.highest_seq, 65536); // cycle 1 relative to a base in cycle -1
    }

    #[test]
    fn steady_pacing_has_no_jitter() {
        let mut s = ReceiveStats::new(48000);
        for i in 0..50u32 {
            s.record(i64::from(i), i * 960, i * 20);
        }
        assert_eq!(s.jitter(), 0);
    }

    #[test]
    fn alternating_delay_converges_to_its_amplitude() {
        let mut s = ReceiveStats::new(90000);
        for i in 0..2000u32 {
            let wobble = if i % 2 == 0 { 0 } else { 10 };
            s.record(i64::from(i), i * 3000, i * 33 + wobble + i / 3);
        }
        // 10 ms of alternating delay is 900 units of 90 kHz per packet pair.
        let j = s.jitter();
        assert!((850..=950).contains(&j), "jitter {}", j);
        assert_eq!(s.report(1).jitter, j);
    }

    #[test]
    fn reordered_packets_do_not_feed_the_jitter() {
        let mut s = ReceiveStats::new(1000);
        s.record(0, 0, 0);
        s.record(2, 66, 66);
        s.record(1, 33, 500);
        assert_eq!(s.jitter(), 0);
    }
}
