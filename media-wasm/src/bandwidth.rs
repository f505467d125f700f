//! Bandwidth available towards one subscriber: a loss-based estimate from
//! its receiver reports, bounded by the REMB its browser sends when that REMB
//! says the path is congested (reference section 5.6, with two changes
//! measured against Chromium, see below).
//!
//! Why not Galène's rules as they are: a browser's receive-side REMB (no
//! transport-cc) grows to at most 1.5 times what it receives and, measured
//! with Chromium 156 on loopback, hovers at 0.9–1.3 times it while nothing
//! is congested; capping on it keeps the publisher from ever ramping up
//! (the cap follows the rate down). Without abs-send-time (we strip header
//! extensions) its estimate even dipped to 0.55–0.75 times the incoming
//! rate with no loss. Real congestion shows as a REMB near 0.85 times the
//! bottleneck rate, far below what we forward, so only a REMB below half
//! of what we forward is taken as congestion; loss is the other signal. And
//! a loss-based estimate that starts at 512 kbit/s and grows by 5 % a second
//! needs half a minute to reach 720p rates; ours has no bound until the first
//! loss tells it one.
//!
//! One low REMB is not congestion: right after a switch up, Chromium's REMB
//! dips for a second or so (measured: 72–277 kbit/s while receiving a
//! Firefox publisher's top layer), and stepping down on it made the layer
//! flip every few seconds. A congested REMB bounds the estimate only once
//! every REMB has said so for [`CONFIRM_MS`], and, when the run of low
//! REMBs began within [`UPSWITCH_HOLD_MS`] of a switch up, not before that
//! hold is over. A REMB that is not congested ends the run.
//!
//! Tests may cap the estimate (the media node's `bandwidthCap` fault): the
//! cap bounds what every choice reads, the simulcast layer, the SVC layers
//! and the publisher's budget alike.

/// Lower bound of the estimate.
pub const MIN_BPS: u32 = 9_600;
/// Upper bound of the estimate, and the value of "no bound".
pub const MAX_BPS: u32 = 1_000_000_000;
/// Feedback older than this is ignored.
pub const STALE_MS: u32 = 30_000;
/// A REMB below this many eighths of the forwarded rate says the subscriber
/// is congested; at or above it, the REMB bounds nothing.
pub const CONGESTED_EIGHTHS: u64 = 4;

/// How long REMBs must have said "congested" before they bound anything.
pub const CONFIRM_MS: u32 = 1_500;
/// After a switch up, low REMBs bound nothing until this much later.
pub const UPSWITCH_HOLD_MS: u32 = 4_000;

/// Loss-based estimate and latest congested REMB of one down track.
#[derive(Clone, Copy, Debug, Default)]
pub struct BandwidthEstimator {
    loss: Option<(u32, u32)>,
    remb: Option<(u32, u32)>,
    /// When the current run of congested REMBs began.
    low_since: Option<u32>,
    /// When the target layer was last raised.
    raised_at: Option<u32>,
    /// A test's bound on the estimate, bit/s (0: none).
    cap: u32,
}

fn fresh(v: Option<(u32, u32)>, now_ms: u32) -> Option<u32> {
    v.filter(|&(_, at)| now_ms.wrapping_sub(at) < STALE_MS)
        .map(|(bps, _)| bps)
}

impl BandwidthEstimator {
    /// Updates the loss-based estimate from a report's fraction lost (in
    /// 1/256) while sending at `sending_bps`: under 2 % loss it grows by 5 %
    /// if the sender actually uses 3/4 of it; over 10 % it shrinks by half
    /// the loss, starting from what is sent when the estimate was higher;
    /// in between it holds. Before the first loss there is no estimate.
    pub fn on_loss(&mut self, fraction_lost: u8, sending_bps: u32, now_ms: u32) {
        let p = u64::from(fraction_lost);
        let sending = u64::from(sending_bps.max(MIN_BPS));
        let est = fresh(self.loss, now_ms);
        let next = match est {
            None if p <= 25 => return,
            None => sending * (512 - p) / 512,
            Some(e) => {
                let e = u64::from(e);
                if p < 5 {
                    if sending * 4 >= e * 3 {
                        e * 269 / 256
                    } else {
                        e
                    }
                } else if p > 25 {
                    e.min(sending) * (512 - p) / 512
                } else {
                    e
                }
            }
        };
        let next = next.clamp(u64::from(MIN_BPS), u64::from(MAX_BPS)) as u32;
        self.loss = Some((next, now_ms));
    }

    /// Records a REMB received while forwarding `sending_bps`: a REMB below
    /// half that rate continues (or starts) a run of congested REMBs and
    /// becomes the candidate bound; a higher one ends the run and lifts it.
    pub fn on_remb(&mut self, bps: u32, sending_bps: u32, now_ms: u32) {
        if u64::from(bps) * 8 >= u64::from(sending_bps) * CONGESTED_EIGHTHS {
            self.remb = None;
            self.low_since = None;
        } else {
            self.remb = Some((bps, now_ms));
            self.low_since.get_or_insert(now_ms);
        }
    }

    /// Notes that the target layer was raised at `now_ms`: the hold during
    /// which low REMBs bound nothing starts.
    pub fn on_raised(&mut self, now_ms: u32) {
        self.raised_at = Some(now_ms);
    }

    /// The REMB bound in force: the latest congested REMB, once the run
    /// has lasted [`CONFIRM_MS`] and is past any hold after a switch up.
    fn remb_bound(&self, now_ms: u32) -> Option<u32> {
        let bps = fresh(self.remb, now_ms)?;
        let since = self.low_since?;
        if now_ms.wrapping_sub(since) < CONFIRM_MS {
            return None;
        }
        if let Some(raised) = self.raised_at {
            let began_in_hold = since.wrapping_sub(raised) < UPSWITCH_HOLD_MS;
            if began_in_hold && now_ms.wrapping_sub(raised) < UPSWITCH_HOLD_MS {
                return None;
            }
        }
        Some(bps)
    }

    /// The bandwidth available now: the lower of the two bounds in force,
    /// or [`MAX_BPS`] when neither bounds it.
    pub fn available(&self, now_ms: u32) -> u32 {
        let loss = fresh(self.loss, now_ms).unwrap_or(MAX_BPS);
        let est = match self.remb_bound(now_ms) {
            Some(r) => loss.min(r),
            None => loss,
        };
        if self.cap > 0 {
            est.min(self.cap)
        } else {
            est
        }
    }

    /// Bounds the estimate by `bps` from now on (0 lifts the bound).
    pub fn set_cap(&mut self, bps: u32) {
        self.cap = bps;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_no_feedback_nothing_bounds_the_estimate() {
        assert_eq!(BandwidthEstimator::default().available(0), MAX_BPS);
    }

    #[test]
    fn low_loss_before_any_bound_leaves_it_unbounded() {
        let mut b = BandwidthEstimator::default();
        b.on_loss(0, 400_000, 0);
        b.on_loss(20, 400_000, 0);
        assert_eq!(b.available(0), MAX_BPS);
    }

    #[test]
    fn the_first_high_loss_starts_from_the_sending_rate() {
        let mut b = BandwidthEstimator::default();
        b.on_loss(128, 1_000_000, 0); // 50 % loss
        assert_eq!(b.available(0), 750_000);
    }

    #[test]
    fn low_loss_grows_the_estimate_only_when_it_is_used() {
        let mut b = BandwidthEstimator::default();
        b.on_loss(128, 512_000, 0);
        assert_eq!(b.available(0), 384_000);
        b.on_loss(0, 100_000, 0);
        assert_eq!(b.available(0), 384_000);
        b.on_loss(0, 300_000, 0);
        assert_eq!(b.available(0), 403_500);
    }

    #[test]
    fn high_loss_shrinks_and_moderate_loss_holds() {
        let mut b = BandwidthEstimator::default();
        b.on_loss(128, 512_000, 0);
        b.on_loss(20, 0, 0);
        assert_eq!(b.available(0), 384_000);
        b.on_loss(128, 2_000_000, 0);
        assert_eq!(b.available(0), 288_000);
    }

    #[test]
    fn the_estimate_stays_within_bounds() {
        let mut b = BandwidthEstimator::default();
        for _ in 0..200 {
            b.on_loss(255, 0, 0);
        }
        assert_eq!(b.available(0), MIN_BPS);
        for _ in 0..1000 {
            b.on_loss(0, MAX_BPS, 0);
        }
        assert_eq!(b.available(0), MAX_BPS);
    }

    #[test]
    fn a_remb_near_or_above_the_forwarded_rate_bounds_nothing() {
        let mut b = BandwidthEstimator::default();
        b.on_remb(600_000, 400_000, 0);
        assert_eq!(b.available(0), MAX_BPS);
        b.on_remb(200_000, 400_000, 0);
        assert_eq!(b.available(0), MAX_BPS);
        b.on_remb(199_000, 400_000, 0);
        assert_eq!(b.available(CONFIRM_MS), 199_000);
        b.on_remb(380_000, 400_000, CONFIRM_MS);
        assert_eq!(b.available(CONFIRM_MS), MAX_BPS);
    }

    #[test]
    fn a_congested_remb_bounds_once_confirmed_until_it_goes_stale() {
        let mut b = BandwidthEstimator::default();
        b.on_remb(200_000, 1_000_000, 1000);
        assert_eq!(b.available(1000), MAX_BPS);
        b.on_remb(180_000, 1_000_000, 2000);
        assert_eq!(b.available(2000 + CONFIRM_MS / 2), 180_000);
        assert_eq!(b.available(2000 + STALE_MS), MAX_BPS);
        b.on_loss(128, 1_000_000, 2000);
        b.on_remb(100_000, 1_000_000, 2500);
        assert_eq!(b.available(3000), 100_000);
    }

    #[test]
    fn a_single_low_remb_bounds_nothing() {
        let mut b = BandwidthEstimator::default();
        b.on_remb(150_000, 1_500_000, 0);
        b.on_remb(1_400_000, 1_500_000, 1000);
        for t in [0, 1000, 2000, 5000] {
            assert_eq!(b.available(t), MAX_BPS);
        }
    }

    #[test]
    fn low_rembs_right_after_a_switch_up_wait_for_the_hold() {
        let mut b = BandwidthEstimator::default();
        b.on_raised(10_000);
        b.on_remb(72_000, 1_500_000, 10_500);
        b.on_remb(100_000, 1_500_000, 11_500);
        b.on_remb(277_000, 1_500_000, 12_500);
        assert_eq!(b.available(13_000), MAX_BPS);
        // Still congested after the hold: now it is congestion.
        b.on_remb(250_000, 1_500_000, 14_000);
        assert_eq!(b.available(10_000 + UPSWITCH_HOLD_MS), 250_000);
    }

    #[test]
    fn a_cap_bounds_the_estimate_until_lifted() {
        let mut b = BandwidthEstimator::default();
        b.set_cap(300_000);
        assert_eq!(b.available(0), 300_000);
        b.on_loss(128, 1_000_000, 0); // 750 kbit/s
        assert_eq!(b.available(0), 300_000);
        b.set_cap(0);
        assert_eq!(b.available(0), 750_000);
    }
}
