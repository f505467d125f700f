//! Simulcast layer selection as pure functions: which packets a down track
//! forwards, when it switches layers, and which layer it should aim for
//! given the bandwidth it has; and [`Steadiness`], the memory that keeps
//! that aim from flapping on a layer that pauses or a raise that fails.

/// Where a down track stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Nothing forwarded yet: waiting for a keyframe of the target layer.
    Starting = 0,
    /// Forwarding the target layer.
    Stable = 1,
    /// Forwarding another layer until a keyframe of the target arrives.
    SwitchPending = 2,
}

/// The selector's state: the layer being forwarded and the one wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selection {
    pub current: Option<u8>,
    pub target: u8,
}

/// What the selector needs to know about a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketInfo {
    pub layer: u8,
    /// The packet begins a keyframe.
    pub keyframe: bool,
}

/// Why a packet is not forwarded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// Another layer than the one being forwarded.
    OtherLayer = 1,
    /// Nothing forwarded yet and this is not a keyframe of the target.
    AwaitingKeyframe = 2,
}

/// What to do with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Forward,
    Drop(DropReason),
    /// Forward this keyframe and make its layer the current one; the down
    /// track re-anchors its offsets here.
    SwitchNow {
        from: Option<u8>,
        to: u8,
    },
}

impl Selection {
    /// Nothing forwarded yet, aiming for `target`.
    pub fn new(target: u8) -> Self {
        Selection {
            current: None,
            target,
        }
    }

    /// The phase this state is in.
    pub fn phase(&self) -> Phase {
        match self.current {
            None => Phase::Starting,
            Some(c) if c == self.target => Phase::Stable,
            Some(_) => Phase::SwitchPending,
        }
    }

    /// The layer whose keyframe is needed, while one is.
    pub fn wants_keyframe(&self) -> Option<u8> {
        if self.phase() == Phase::Stable {
            None
        } else {
            Some(self.target)
        }
    }

    /// The same state aiming for `target`; the current layer keeps flowing
    /// until the target's next keyframe.
    pub fn with_target(self, target: u8) -> Self {
        Selection { target, ..self }
    }
}

/// Decides about one packet; returns the next state and the decision. The
/// current layer changes only at a keyframe of the target layer, so the
/// subscriber's decoder never sees a frame that references another stream.
pub fn select(s: Selection, p: PacketInfo) -> (Selection, Decision) {
    if p.layer == s.target && p.keyframe && s.current != Some(s.target) {
        let next = Selection {
            current: Some(s.target),
            ..s
        };
        return (
            next,
            Decision::SwitchNow {
                from: s.current,
                to: s.target,
            },
        );
    }
    match s.current {
        Some(c) if c == p.layer => (s, Decision::Forward),
        Some(_) => (s, Decision::Drop(DropReason::OtherLayer)),
        None => (s, Decision::Drop(DropReason::AwaitingKeyframe)),
    }
}

/// Why a target changed or stayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetReason {
    Unchanged = 0,
    /// A higher layer fits with headroom.
    Raised = 1,
    /// The target layer no longer fits.
    Lowered = 2,
    /// The target layer is not being received.
    LayerGone = 3,
    /// Above the highest layer allowed (e.g. the subscriber asked for low).
    Capped = 4,
}

/// Picks the layer to aim for. `rates[i]` is layer i's measured bit rate, 0
/// when it is not received. Going up needs the new layer to fit in 7/8 of
/// `available` (Galène's headroom); going down happens once the current one
/// exceeds `available`; the band between is the hysteresis that keeps a
/// borderline estimate from flapping.
pub fn choose_target(
    target: u8,
    rates: &[u32],
    available: u32,
    max_layer: u8,
) -> (u8, TargetReason) {
    let present = |l: usize| rates.get(l).map_or(false, |&r| r > 0);
    let top = rates.len().min(usize::from(max_layer) + 1);
    let lowest = match (0..top).find(|&l| present(l)) {
        None => return (target, TargetReason::Unchanged),
        Some(l) => l as u8,
    };
    let fits =
        |l: usize, num: u64, den: u64| u64::from(rates[l]) * den <= u64::from(available) * num;
    let best_fit = |num, den| {
        (0..top)
            .rev()
            .find(|&l| present(l) && fits(l, num, den))
            .map(|l| l as u8)
    };
    let t = usize::from(target);
    if t >= top {
        return (best_fit(1, 1).unwrap_or(lowest), TargetReason::Capped);
    }
    if !present(t) {
        return (best_fit(1, 1).unwrap_or(lowest), TargetReason::LayerGone);
    }
    if !fits(t, 1, 1) {
        let l = best_fit(1, 1).unwrap_or(lowest);
        return if l == target {
            (l, TargetReason::Unchanged)
        } else {
            (l, TargetReason::Lowered)
        };
    }
    match best_fit(7, 8) {
        Some(l) if l > target => (l, TargetReason::Raised),
        _ => (target, TargetReason::Unchanged),
    }
}

/// A layer that was present and has been missing for less than this
/// (beyond the 1.5 s without a packet after which the caller reports it
/// absent) still counts as present, at its last measured rate: Firefox
/// stops encoding its top layer for 1–1.5 s when its budget dips.
pub const GONE_MS: u32 = 1_000;
/// After a switch down, raising again waits this long; a switch down this
/// soon after a switch up means the raise failed, and the wait doubles with
/// each failure in a row up to [`MAX_RAISE_BACKOFF_MS`].
pub const RAISE_BACKOFF_MS: u32 = 8_000;
/// Upper bound of the wait after failed raises.
pub const MAX_RAISE_BACKOFF_MS: u32 = 64_000;

/// What one down track remembers between two choices of its target: each
/// layer's last measured rate and since when it is missing, and the last
/// raise and the wait it imposes on the next one.
#[derive(Clone, Copy, Debug, Default)]
pub struct Steadiness {
    /// Per layer: its last measured rate (0: none yet) while it counts as present.
    known: [Option<u32>; 3],
    absent_since: [Option<u32>; 3],
    raised_at: Option<u32>,
    /// No raise before `.0 + .1`.
    raise_wait: Option<(u32, u32)>,
    backoff_ms: u32,
}

impl Steadiness {
    /// The rates to choose from: a measured rate as it is; a layer just
    /// (re)appearing, reported at 1 bit/s until its first full window, at
    /// its last measured rate when it has one; a layer that was present and
    /// is missing for less than [`GONE_MS`], at its last measured rate.
    pub fn rates(&mut self, rates: [u32; 3], now_ms: u32) -> [u32; 3] {
        let mut out = [0; 3];
        for l in 0..3 {
            let r = rates[l];
            if r > 0 {
                self.absent_since[l] = None;
                let known = self.known[l].unwrap_or(0);
                if r > 1 {
                    self.known[l] = Some(r);
                    out[l] = r;
                } else {
                    self.known[l] = Some(known);
                    out[l] = known.max(1);
                }
            } else if let Some(known) = self.known[l] {
                let since = *self.absent_since[l].get_or_insert(now_ms);
                if now_ms.wrapping_sub(since) < GONE_MS {
                    out[l] = known.max(1);
                } else {
                    self.known[l] = None;
                    self.absent_since[l] = None;
                }
            }
        }
        out
    }

    /// [`choose_target`] on [`Self::rates`], except that a raise waits
    /// [`RAISE_BACKOFF_MS`] after a switch down (longer after failed
    /// raises); notes raises and switches down.
    pub fn choose(
        &mut self,
        target: u8,
        rates: [u32; 3],
        available: u32,
        max_layer: u8,
        now_ms: u32,
    ) -> (u8, TargetReason) {
        let rates = self.rates(rates, now_ms);
        let (next, reason) = choose_target(target, &rates, available, max_layer);
        match reason {
            TargetReason::Raised => {
                if let Some((from, wait)) = self.raise_wait {
                    if now_ms.wrapping_sub(from) < wait {
                        return (target, TargetReason::Unchanged);
                    }
                }
                self.raise_wait = None;
                self.raised_at = Some(now_ms);
            }
            TargetReason::Lowered | TargetReason::LayerGone => {
                let failed = self
                    .raised_at
                    .map_or(false, |r| now_ms.wrapping_sub(r) < RAISE_BACKOFF_MS);
                self.backoff_ms = if failed {
                    (self.backoff_ms * 2).clamp(RAISE_BACKOFF_MS, MAX_RAISE_BACKOFF_MS)
                } else {
                    RAISE_BACKOFF_MS
                };
                self.raise_wait = Some((now_ms, self.backoff_ms));
                self.raised_at = None;
            }
            TargetReason::Unchanged | TargetReason::Capped => {}
        }
        (next, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(layer: u8, keyframe: bool) -> PacketInfo {
        PacketInfo { layer, keyframe }
    }

    #[test]
    fn select_waits_for_a_keyframe_before_starting() {
        let s = Selection::new(1);
        assert_eq!(s.phase(), Phase::Starting);
        assert_eq!(s.wants_keyframe(), Some(1));
        let (s, d) = select(s, pkt(1, false));
        assert_eq!(d, Decision::Drop(DropReason::AwaitingKeyframe));
        let (s, d) = select(s, pkt(0, true));
        assert_eq!(d, Decision::Drop(DropReason::AwaitingKeyframe));
        let (s, d) = select(s, pkt(1, true));
        assert_eq!(d, Decision::SwitchNow { from: None, to: 1 });
        assert_eq!((s.phase(), s.wants_keyframe()), (Phase::Stable, None));
    }

    #[test]
    fn select_forwards_the_current_layer_and_drops_the_others() {
        let s = Selection {
            current: Some(0),
            target: 0,
        };
        assert_eq!(select(s, pkt(0, false)).1, Decision::Forward);
        assert_eq!(
            select(s, pkt(1, true)).1,
            Decision::Drop(DropReason::OtherLayer)
        );
    }

    #[test]
    fn select_keeps_the_old_layer_until_the_targets_keyframe() {
        let s = Selection {
            current: Some(1),
            target: 1,
        }
        .with_target(0);
        assert_eq!(s.phase(), Phase::SwitchPending);
        assert_eq!(s.wants_keyframe(), Some(0));
        let (s, d) = select(s, pkt(0, false));
        assert_eq!(d, Decision::Drop(DropReason::OtherLayer));
        let (s, d) = select(s, pkt(1, false));
        assert_eq!(d, Decision::Forward);
        let (s, d) = select(s, pkt(0, true));
        assert_eq!(
            d,
            Decision::SwitchNow {
                from: Some(1),
                to: 0
            }
        );
        let (_, d) = select(s, pkt(1, false));
        assert_eq!(d, Decision::Drop(DropReason::OtherLayer));
    }

    #[test]
    fn a_keyframe_of_the_current_layer_is_just_forwarded() {
        let s = Selection {
            current: Some(1),
            target: 1,
        };
        assert_eq!(select(s, pkt(1, true)), (s, Decision::Forward));
    }

    #[test]
    fn a_switch_back_before_the_keyframe_cancels_the_request() {
        let s = Selection {
            current: Some(1),
            target: 0,
        }
        .with_target(1);
        assert_eq!(s.phase(), Phase::Stable);
        assert_eq!(
            select(s, pkt(0, true)).1,
            Decision::Drop(DropReason::OtherLayer)
        );
    }

    #[test]
    fn choose_target_raises_only_with_headroom() {
        let rates = [150_000, 1_000_000];
        assert_eq!(
            choose_target(0, &rates, 1_100_000, 1),
            (0, TargetReason::Unchanged)
        );
        assert_eq!(
            choose_target(0, &rates, 1_150_000, 1),
            (1, TargetReason::Raised)
        );
    }

    #[test]
    fn choose_target_lowers_when_the_layer_no_longer_fits() {
        let rates = [150_000, 1_000_000];
        assert_eq!(
            choose_target(1, &rates, 1_000_000, 1),
            (1, TargetReason::Unchanged)
        );
        assert_eq!(
            choose_target(1, &rates, 900_000, 1),
            (0, TargetReason::Lowered)
        );
        // Nothing fits: the lowest layer is the floor.
        assert_eq!(
            choose_target(0, &rates, 10_000, 1),
            (0, TargetReason::Unchanged)
        );
        assert_eq!(
            choose_target(1, &rates, 10_000, 1),
            (0, TargetReason::Lowered)
        );
    }

    #[test]
    fn choose_target_leaves_a_layer_that_stopped() {
        assert_eq!(
            choose_target(1, &[150_000, 0], 5_000_000, 1),
            (0, TargetReason::LayerGone)
        );
        assert_eq!(
            choose_target(0, &[0, 800_000], 5_000_000, 1),
            (1, TargetReason::LayerGone)
        );
    }

    #[test]
    fn choose_target_respects_the_cap() {
        let rates = [150_000, 500_000, 2_000_000];
        assert_eq!(
            choose_target(2, &rates, 10_000_000, 0),
            (0, TargetReason::Capped)
        );
        assert_eq!(
            choose_target(0, &rates, 10_000_000, 1),
            (1, TargetReason::Raised)
        );
    }

    #[test]
    fn choose_target_without_layers_changes_nothing() {
        assert_eq!(
            choose_target(1, &[0, 0], 1_000_000, 1),
            (1, TargetReason::Unchanged)
        );
        assert_eq!(
            choose_target(1, &[], 1_000_000, 1),
            (1, TargetReason::Unchanged)
        );
    }

    #[test]
    fn a_layer_paused_briefly_keeps_its_rate() {
        let mut st = Steadiness::default();
        assert_eq!(
            st.rates([150_000, 1_200_000, 0], 0),
            [150_000, 1_200_000, 0]
        );
        // Window gone stale (1 bit/s), then reported absent.
        assert_eq!(st.rates([150_000, 1, 0], 1000), [150_000, 1_200_000, 0]);
        assert_eq!(st.rates([150_000, 0, 0], 2000), [150_000, 1_200_000, 0]);
        assert_eq!(
            st.rates([150_000, 0, 0], 2000 + GONE_MS - 1),
            [150_000, 1_200_000, 0]
        );
        assert_eq!(st.rates([150_000, 0, 0], 2000 + GONE_MS), [150_000, 0, 0]);
        // Back after it was gone: 1 bit/s until measured again.
        assert_eq!(st.rates([150_000, 1, 0], 5000), [150_000, 1, 0]);
    }

    #[test]
    fn a_layer_never_seen_is_absent() {
        let mut st = Steadiness::default();
        assert_eq!(st.rates([150_000, 0, 0], 0), [150_000, 0, 0]);
        assert_eq!(
            st.choose(1, [150_000, 0, 0], MAX, 2, 0),
            (0, TargetReason::LayerGone)
        );
    }

    const MAX: u32 = 1_000_000_000;

    #[test]
    fn a_raise_waits_after_a_switch_down_and_longer_after_a_failed_raise() {
        let mut st = Steadiness::default();
        let rates = [150_000, 1_200_000, 0];
        assert_eq!(st.choose(0, rates, MAX, 2, 0), (1, TargetReason::Raised));
        // Lowered 20 s later: not a failed raise, the plain wait.
        assert_eq!(
            st.choose(1, rates, 500_000, 2, 20_000),
            (0, TargetReason::Lowered)
        );
        let t = 20_000 + RAISE_BACKOFF_MS;
        assert_eq!(
            st.choose(0, rates, MAX, 2, t - 1),
            (0, TargetReason::Unchanged)
        );
        assert_eq!(st.choose(0, rates, MAX, 2, t), (1, TargetReason::Raised));
        // Lowered at once: the raise failed, the wait doubles.
        assert_eq!(
            st.choose(1, rates, 500_000, 2, t + 1000),
            (0, TargetReason::Lowered)
        );
        let u = t + 1000 + 2 * RAISE_BACKOFF_MS;
        assert_eq!(
            st.choose(0, rates, MAX, 2, u - 1),
            (0, TargetReason::Unchanged)
        );
        assert_eq!(st.choose(0, rates, MAX, 2, u), (1, TargetReason::Raised));
        // Lowering is never held back.
        assert_eq!(
            st.choose(1, rates, 500_000, 2, u + 1),
            (0, TargetReason::Lowered)
        );
    }
}
