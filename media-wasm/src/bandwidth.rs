//! Bandwidth available towards one subscriber: a loss-based estimate from
//! its receiver reports, capped by the REMB its browser sends (the rules
//! Galène uses, see reference section 5.6).

/// Estimate before any feedback, and after feedback went stale.
pub const DEFAULT_BPS: u32 = 512_000;
/// Lower bound of the estimate.
pub const MIN_BPS: u32 = 9_600;
/// Upper bound of the estimate.
pub const MAX_BPS: u32 = 1_000_000_000;
/// Feedback older than this is ignored.
pub const STALE_MS: u32 = 30_000;

/// Loss-based estimate and latest REMB of one down track.
#[derive(Clone, Copy, Debug, Default)]
pub struct BandwidthEstimator {
    loss: Option<(u32, u32)>,
    remb: Option<(u32, u32)>,
}

fn fresh(v: Option<(u32, u32)>, now_ms: u32) -> Option<u32> {
    v.filter(|&(_, at)| now_ms.wrapping_sub(at) < STALE_MS)
        .map(|(bps, _)| bps)
}

impl BandwidthEstimator {
    /// Updates the loss-based estimate from a report's fraction lost (in
    /// 1/256) while sending at `sending_bps`: under 2 % loss it grows by
    /// 5 % if the sender actually uses 3/4 of it; over 10 % it shrinks by
    /// half the loss; in between it holds.
    pub fn on_loss(&mut self, fraction_lost: u8, sending_bps: u32, now_ms: u32) {
        let est = fresh(self.loss, now_ms).unwrap_or(DEFAULT_BPS);
        let p = u64::from(fraction_lost);
        let e = u64::from(est);
        let next = if p < 5 {
            if u64::from(sending_bps) * 4 >= e * 3 {
                e * 269 / 256
            } else {
                e
            }
        } else if p > 25 {
            e * (512 - p) / 512
        } else {
            e
        };
        let next = next.clamp(u64::from(MIN_BPS), u64::from(MAX_BPS)) as u32;
        self.loss = Some((next, now_ms));
    }

    /// Records a REMB value.
    pub fn on_remb(&mut self, bps: u32, now_ms: u32) {
        self.remb = Some((bps, now_ms));
    }

    /// The bandwidth available now: the lower of the two fresh values.
    pub fn available(&self, now_ms: u32) -> u32 {
        let loss = fresh(self.loss, now_ms).unwrap_or(DEFAULT_BPS);
        match fresh(self.remb, now_ms) {
            Some(r) => loss.min(r),
            None => loss,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_no_feedback_the_default_applies() {
        assert_eq!(BandwidthEstimator::default().available(0), DEFAULT_BPS);
    }

    #[test]
    fn low_loss_grows_the_estimate_only_when_it_is_used() {
        let mut b = BandwidthEstimator::default();
        b.on_loss(0, 100_000, 0);
        assert_eq!(b.available(0), DEFAULT_BPS);
        b.on_loss(0, 400_000, 0);
        assert_eq!(b.available(0), 538_000);
    }

    #[test]
    fn high_loss_shrinks_the_estimate_and_moderate_loss_holds_it() {
        let mut b = BandwidthEstimator::default();
        b.on_loss(128, 0, 0); // 50 % loss
        assert_eq!(b.available(0), 384_000);
        b.on_loss(20, 0, 0);
        assert_eq!(b.available(0), 384_000);
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
    fn remb_caps_the_estimate_until_it_goes_stale() {
        let mut b = BandwidthEstimator::default();
        b.on_remb(200_000, 1000);
        assert_eq!(b.available(1000), 200_000);
        assert_eq!(b.available(1000 + STALE_MS), DEFAULT_BPS);
        b.on_remb(5_000_000, 1000);
        assert_eq!(b.available(2000), DEFAULT_BPS);
    }
}
