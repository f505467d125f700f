//! Scalable video (SVC) layer selection as pure functions: which spatial and
//! temporal layers of one stream a down track forwards, when it may change
//! them, and which layers it should aim for given its bandwidth.
//!
//! Switching rules (what a decoder can follow without a keyframe):
//! - down, temporal or spatial: at any picture boundary (higher layers are
//!   never references of lower ones);
//! - up, temporal: VP8 at a frame of the next layer with its layer-sync bit
//!   (Y, RFC 7741 section 4.2: it references only the base layer), one layer
//!   at a time; VP9 after a forwarded picture with the switching-up bit (U,
//!   RFC 9628 section 4.2: no later picture of a higher layer references one
//!   before it); AV1 at a frame whose dependency descriptor marks it a
//!   switch point of a higher decode target (AV1 RTP spec, appendix A);
//! - up, spatial: at a keyframe only (with `L3T3_KEY` an upper spatial layer
//!   references its own earlier frames), so a down track that wants a higher
//!   spatial layer asks for one;
//! - down, spatial, once frames of the lower layers have been left out (VP9
//!   frames no higher layer references, see `svc_filter.rs`): at a keyframe
//!   only, as up, since the lower layer's own references are missing;
//! - at a keyframe: straight to the target.
//!
//! The aim steps down temporal first, then spatial: the layers form a ladder
//! ordered by (spatial, temporal), each rung costing the sum of the layers
//! it forwards, and [`choose_svc_target`] picks a rung as the simulcast
//! choice picks a layer (same headroom and hysteresis).

use crate::layer_selector::{choose_target, TargetReason};

/// Spatial layers whose rates are measured (ids above count as the last).
pub const SPATIAL: usize = 3;
/// Temporal layers whose rates are measured (ids above count as the last).
pub const TEMPORAL: usize = 4;

/// A spatial and a temporal layer id: "forward these and everything below".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layers {
    pub sid: u8,
    pub tid: u8,
}

impl Layers {
    /// Every layer the stream has.
    pub const ALL: Layers = Layers { sid: 7, tid: 7 };

    /// True when a packet of layers (`sid`, `tid`) is forwarded.
    pub fn keeps(self, sid: u8, tid: u8) -> bool {
        sid <= self.sid && tid <= self.tid
    }
}

/// How a picture allows a temporal switch up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpSwitch {
    No,
    /// VP8 Y: this frame's layer may start with it.
    Here,
    /// VP9 U: higher temporal layers may start after this picture.
    After,
    /// AV1 Dependency Descriptor: bit t set when temporal layers up to t
    /// may start with this frame (its DTI for that decode target is
    /// "switch").
    To(u8),
}

/// What the selector needs to know about a picture, from its first packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Picture {
    pub keyframe: bool,
    pub sid: u8,
    pub tid: u8,
    pub up_switch: UpSwitch,
}

/// Why the forwarded layers changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SvcReason {
    Keyframe = 1,
    TemporalDown = 2,
    SpatialDown = 3,
    TemporalUp = 4,
}

/// The selector's state: the layers forwarded and the ones wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvcSelection {
    pub current: Layers,
    pub target: Layers,
    /// A VP9 switching-up point was forwarded: raise at the next picture.
    up_next: bool,
    /// Since the last keyframe, a frame of a spatial layer below the
    /// current one was left out: that layer cannot be decoded before the
    /// next keyframe.
    pub lower_dropped: bool,
}

impl SvcSelection {
    /// Forwarding `current`, aiming for `target`.
    pub fn new(current: Layers, target: Layers) -> Self {
        SvcSelection {
            current,
            target,
            up_next: false,
            lower_dropped: false,
        }
    }

    /// The same state aiming for `target`.
    pub fn with_target(self, target: Layers) -> Self {
        SvcSelection { target, ..self }
    }

    /// True while a keyframe is needed to reach the target: it wants a
    /// higher spatial layer than it forwards, and the stream has one, or a
    /// lower one whose frames were left out.
    pub fn wants_keyframe(&self, highest_sid: u8) -> bool {
        (self.target.sid > self.current.sid && highest_sid > self.current.sid)
            || self.spatial_down_waits()
    }

    /// A lower spatial layer is aimed for, but its frames were left out.
    fn spatial_down_waits(&self) -> bool {
        self.target.sid < self.current.sid && self.lower_dropped
    }
}

/// Decides at the first packet of a new picture which layers are forwarded
/// from it on; returns the next state and why it changed, if it did.
pub fn on_picture(s: SvcSelection, p: Picture) -> (SvcSelection, Option<SvcReason>) {
    let mut n = s;
    if p.keyframe {
        n.up_next = false;
        n.lower_dropped = false;
        if n.current == n.target {
            return (n, None);
        }
        n.current = n.target;
        return (n, Some(SvcReason::Keyframe));
    }
    let mut reason = None;
    if n.target.sid < n.current.sid && !n.lower_dropped {
        // From "every layer" (ALL) it is a change of bound, not of layers.
        if usize::from(n.current.sid) < SPATIAL {
            reason = Some(SvcReason::SpatialDown);
        }
        n.current.sid = n.target.sid;
    }
    if n.target.tid < n.current.tid {
        n.current.tid = n.target.tid;
        reason = reason.or(Some(SvcReason::TemporalDown));
    }
    let forwarded = n.current.keeps(p.sid, p.tid);
    if n.target.tid > n.current.tid {
        if n.up_next {
            n.current.tid = n.target.tid;
            reason = Some(SvcReason::TemporalUp);
        } else if p.up_switch == UpSwitch::Here
            && p.tid == n.current.tid + 1
            && p.tid <= n.target.tid
            && p.sid <= n.current.sid
        {
            n.current.tid = p.tid;
            reason = Some(SvcReason::TemporalUp);
        } else if let UpSwitch::To(mask) = p.up_switch {
            let top = n.target.tid.min(7);
            let best = (n.current.tid + 1..=top)
                .rev()
                .find(|&t| mask & (1 << t) != 0);
            if let (Some(t), true) = (best, p.sid <= n.current.sid) {
                n.current.tid = t;
                reason = Some(SvcReason::TemporalUp);
            }
        }
    }
    n.up_next = p.up_switch == UpSwitch::After && forwarded;
    (n, reason)
}

/// The measured rate of each (spatial, temporal) layer, in bit/s, 0 when
/// absent.
pub type LayerRates = [[u32; TEMPORAL]; SPATIAL];

fn rung(l: Layers) -> usize {
    usize::from(l.sid).min(SPATIAL - 1) * TEMPORAL + usize::from(l.tid).min(TEMPORAL - 1)
}

fn layers_of(rung: usize) -> Layers {
    Layers {
        sid: (rung / TEMPORAL) as u8,
        tid: (rung % TEMPORAL) as u8,
    }
}

/// The cost of each rung of the ladder (spatial, temporal) in order: the
/// sum of the layers it forwards; 0 for a rung whose own layer is absent.
pub fn ladder(rates: &LayerRates) -> [u32; SPATIAL * TEMPORAL] {
    let mut out = [0u32; SPATIAL * TEMPORAL];
    for s in 0..SPATIAL {
        for t in 0..TEMPORAL {
            if rates[s][t] == 0 {
                continue;
            }
            let mut sum = 0u64;
            for row in rates.iter().take(s + 1) {
                for r in row.iter().take(t + 1) {
                    sum += u64::from(*r);
                }
            }
            out[s * TEMPORAL + t] = sum.min(u64::from(u32::MAX)) as u32;
        }
    }
    out
}

/// Picks the layers to aim for, never above spatial layer `max_sid`:
/// [`choose_target`] on the rungs of [`ladder`], so a raise needs the new
/// rung to fit in 7/8 of `available` and a rung that no longer fits steps
/// down (temporal first, then spatial).
pub fn choose_svc_target(
    target: Layers,
    rates: &LayerRates,
    available: u32,
    max_sid: u8,
) -> (Layers, TargetReason) {
    let rungs = ladder(rates);
    let top = rung(Layers {
        sid: max_sid,
        tid: 7,
    });
    let mut at = rung(target);
    // Above every layer the stream has (as "every layer" is): the top one.
    if let Some(highest) = (0..rungs.len()).rev().find(|&i| rungs[i] > 0) {
        if at > highest && highest <= top {
            at = highest;
        }
    } else {
        // Nothing measured yet: only the cap applies.
        if target.sid > max_sid {
            let capped = Layers {
                sid: max_sid,
                ..target
            };
            return (capped, TargetReason::Capped);
        }
        return (target, TargetReason::Unchanged);
    }
    let (r, reason) = choose_target(at.min(top + 1) as u8, &rungs, available, top as u8);
    (layers_of(usize::from(r)), reason)
}

/// After a step down, a step up waits this long: a temporal switch costs no
/// keyframe, so it may be tried again sooner than a simulcast one.
pub const SVC_RAISE_WAIT_MS: u32 = 2_000;

/// [`choose_svc_target`] with a wait of [`SVC_RAISE_WAIT_MS`] on raises
/// after a step down, so that an estimate at the edge does not flip layers
/// every second.
#[derive(Clone, Copy, Debug, Default)]
pub struct SvcSteadiness {
    lowered_at: Option<u32>,
}

impl SvcSteadiness {
    /// Chooses as [`choose_svc_target`] does, holding raises back for
    /// [`SVC_RAISE_WAIT_MS`] after the last step down.
    pub fn choose(
        &mut self,
        target: Layers,
        rates: &LayerRates,
        available: u32,
        max_sid: u8,
        now_ms: u32,
    ) -> (Layers, TargetReason) {
        let (next, reason) = choose_svc_target(target, rates, available, max_sid);
        match reason {
            TargetReason::Raised => {
                if let Some(at) = self.lowered_at {
                    if now_ms.wrapping_sub(at) < SVC_RAISE_WAIT_MS {
                        return (target, TargetReason::Unchanged);
                    }
                }
                self.lowered_at = None;
            }
            TargetReason::Lowered => self.lowered_at = Some(now_ms),
            _ => {}
        }
        (next, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L0: Layers = Layers { sid: 0, tid: 0 };

    fn pic(tid: u8, up_switch: UpSwitch) -> Picture {
        Picture {
            keyframe: false,
            sid: 0,
            tid,
            up_switch,
        }
    }

    fn at(sid: u8, tid: u8) -> Layers {
        Layers { sid, tid }
    }

    #[test]
    fn temporal_down_happens_at_the_next_picture() {
        let s = SvcSelection::new(at(0, 2), at(0, 2)).with_target(L0);
        let (s, r) = on_picture(s, pic(2, UpSwitch::No));
        assert_eq!((s.current, r), (L0, Some(SvcReason::TemporalDown)));
        assert!(!s.current.keeps(0, 2));
        assert!(s.current.keeps(0, 0));
    }

    #[test]
    fn vp8_temporal_up_waits_for_a_sync_frame_of_the_next_layer() {
        let s = SvcSelection::new(L0, at(0, 2));
        // TL1 without Y, TL2 with Y (two layers up): no switch.
        let (s, r) = on_picture(s, pic(1, UpSwitch::No));
        assert_eq!((s.current, r), (L0, None));
        let (s, r) = on_picture(s, pic(2, UpSwitch::Here));
        assert_eq!((s.current, r), (L0, None));
        // TL1 with Y: TL1 starts with it, TL2 still waits.
        let (s, r) = on_picture(s, pic(1, UpSwitch::Here));
        assert_eq!((s.current, r), (at(0, 1), Some(SvcReason::TemporalUp)));
        let (s, _) = on_picture(s, pic(2, UpSwitch::No));
        assert_eq!(s.current, at(0, 1));
        let (s, r) = on_picture(s, pic(2, UpSwitch::Here));
        assert_eq!((s.current, r), (at(0, 2), Some(SvcReason::TemporalUp)));
    }

    #[test]
    fn a_sync_frame_above_the_target_does_not_raise() {
        let s = SvcSelection::new(L0, at(0, 1));
        let (s, _) = on_picture(s, pic(1, UpSwitch::Here));
        let (s, r) = on_picture(s, pic(2, UpSwitch::Here));
        assert_eq!((s.current, r), (at(0, 1), None));
    }

    #[test]
    fn vp9_temporal_up_follows_a_forwarded_switching_point() {
        let s = SvcSelection::new(L0, at(0, 2));
        // U on a dropped TL1 picture says nothing about TL1 itself.
        let (s, _) = on_picture(s, pic(1, UpSwitch::After));
        let (s, r) = on_picture(s, pic(2, UpSwitch::No));
        assert_eq!((s.current, r), (L0, None));
        // U on a forwarded TL0 picture: the next picture switches.
        let (s, r) = on_picture(s, pic(0, UpSwitch::After));
        assert_eq!((s.current, r), (L0, None));
        let (s, r) = on_picture(s, pic(2, UpSwitch::No));
        assert_eq!((s.current, r), (at(0, 2), Some(SvcReason::TemporalUp)));
    }

    #[test]
    fn av1_temporal_up_goes_as_high_as_the_frame_is_a_switch_point_for() {
        let s = SvcSelection::new(L0, at(0, 2));
        // A TL2 frame switching nothing, then a TL1 frame that is a switch
        // point of T0-2 only: straight to TL2.
        let (s, r) = on_picture(s, pic(2, UpSwitch::To(0)));
        assert_eq!((s.current, r), (L0, None));
        let (s, r) = on_picture(s, pic(1, UpSwitch::To(0b100)));
        assert_eq!((s.current, r), (at(0, 2), Some(SvcReason::TemporalUp)));
        // Aiming at TL1 only, a TL0 frame switching to all: TL1.
        let s = SvcSelection::new(L0, at(0, 1));
        let (s, _) = on_picture(s, pic(0, UpSwitch::To(0b111)));
        assert_eq!(s.current, at(0, 1));
    }

    #[test]
    fn a_switching_point_is_forgotten_when_the_target_drops_meanwhile() {
        let s = SvcSelection::new(L0, at(0, 2));
        let (s, _) = on_picture(s, pic(0, UpSwitch::After));
        let s = s.with_target(L0);
        let (s, r) = on_picture(s, pic(1, UpSwitch::No));
        assert_eq!((s.current, r), (L0, None));
        let s = s.with_target(at(0, 2));
        let (s, r) = on_picture(s, pic(2, UpSwitch::No));
        assert_eq!((s.current, r), (L0, None));
    }

    #[test]
    fn spatial_down_is_immediate_and_spatial_up_waits_for_a_keyframe() {
        let s = SvcSelection::new(at(2, 2), at(0, 2));
        let (s, r) = on_picture(s, pic(0, UpSwitch::No));
        assert_eq!((s.current, r), (at(0, 2), Some(SvcReason::SpatialDown)));
        let s = s.with_target(at(2, 2));
        assert!(s.wants_keyframe(2));
        assert!(!s.wants_keyframe(0));
        let (s, r) = on_picture(s, pic(0, UpSwitch::After));
        assert_eq!((s.current, r), (at(0, 2), None));
        let key = Picture {
            keyframe: true,
            ..pic(0, UpSwitch::No)
        };
        let (s, r) = on_picture(s, key);
        assert_eq!((s.current, r), (at(2, 2), Some(SvcReason::Keyframe)));
        assert!(!s.wants_keyframe(2));
    }

    #[test]
    fn spatial_down_waits_for_a_keyframe_once_lower_frames_were_left_out() {
        let mut s = SvcSelection::new(at(2, 2), at(2, 2));
        s.lower_dropped = true;
        let s = s.with_target(at(0, 2));
        assert!(s.wants_keyframe(2));
        // Temporal down still happens; spatial down does not.
        let (s, r) = on_picture(s.with_target(at(0, 1)), pic(0, UpSwitch::No));
        assert_eq!((s.current, r), (at(2, 1), Some(SvcReason::TemporalDown)));
        let key = Picture {
            keyframe: true,
            ..pic(0, UpSwitch::No)
        };
        let (s, r) = on_picture(s, key);
        assert_eq!((s.current, r), (at(0, 1), Some(SvcReason::Keyframe)));
        assert!(!s.lower_dropped && !s.wants_keyframe(2));
    }

    #[test]
    fn a_keyframe_goes_straight_to_the_target_both_ways() {
        let key = Picture {
            keyframe: true,
            ..pic(0, UpSwitch::No)
        };
        let s = SvcSelection::new(L0, at(1, 3));
        assert_eq!(on_picture(s, key).0.current, at(1, 3));
        let s = SvcSelection::new(at(1, 3), L0);
        assert_eq!(on_picture(s, key).0.current, L0);
        let s = SvcSelection::new(L0, L0);
        assert_eq!(on_picture(s, key).1, None);
    }

    /// L1T3 at 30 fps: TL0 160 kbit/s, TL1 80, TL2 80.
    fn l1t3() -> LayerRates {
        let mut r = [[0; TEMPORAL]; SPATIAL];
        r[0] = [160_000, 80_000, 80_000, 0];
        r
    }

    #[test]
    fn the_ladder_sums_the_layers_each_rung_forwards() {
        let mut r = l1t3();
        r[1] = [400_000, 200_000, 0, 0];
        let l = ladder(&r);
        assert_eq!(&l[0..4], &[160_000, 240_000, 320_000, 0]);
        assert_eq!(&l[4..8], &[560_000, 840_000, 0, 0]);
        assert_eq!(&l[8..12], &[0, 0, 0, 0]);
    }

    #[test]
    fn the_aim_steps_down_temporal_first_and_back_up_with_headroom() {
        let r = l1t3();
        let all = at(0, 2);
        assert_eq!(
            choose_svc_target(all, &r, 400_000, 2),
            (all, TargetReason::Unchanged)
        );
        assert_eq!(
            choose_svc_target(all, &r, 300_000, 2),
            (at(0, 1), TargetReason::Lowered)
        );
        assert_eq!(
            choose_svc_target(all, &r, 170_000, 2),
            (L0, TargetReason::Lowered)
        );
        // Below the base layer: the base layer is the floor.
        assert_eq!(
            choose_svc_target(L0, &r, 50_000, 2),
            (L0, TargetReason::Unchanged)
        );
        // Up only with 1/8 headroom: 320k needs 365.7k.
        assert_eq!(
            choose_svc_target(L0, &r, 365_000, 2),
            (at(0, 1), TargetReason::Raised)
        );
        assert_eq!(
            choose_svc_target(L0, &r, 366_000, 2),
            (all, TargetReason::Raised)
        );
    }

    #[test]
    fn with_spatial_layers_the_aim_drops_frame_rate_before_resolution() {
        let mut r = l1t3();
        r[1] = [300_000, 150_000, 150_000, 0];
        let top = at(1, 2);
        // Top costs 920k; (1,1) 690k; (1,0) 460k; (0,2) 320k.
        assert_eq!(
            choose_svc_target(top, &r, 700_000, 2),
            (at(1, 1), TargetReason::Lowered)
        );
        assert_eq!(
            choose_svc_target(top, &r, 470_000, 2),
            (at(1, 0), TargetReason::Lowered)
        );
        assert_eq!(
            choose_svc_target(top, &r, 400_000, 2),
            (at(0, 2), TargetReason::Lowered)
        );
    }

    #[test]
    fn a_low_request_pins_the_lowest_spatial_layer() {
        let mut r = l1t3();
        r[1] = [300_000, 150_000, 150_000, 0];
        assert_eq!(
            choose_svc_target(at(1, 2), &r, 10_000_000, 0),
            (at(0, 2), TargetReason::Capped)
        );
        // Aiming at every layer: the top rung the stream has.
        assert_eq!(
            choose_svc_target(Layers::ALL, &r, 10_000_000, 2),
            (at(1, 2), TargetReason::Unchanged)
        );
        assert_eq!(
            choose_svc_target(Layers::ALL, &r, 500_000, 2),
            (at(1, 0), TargetReason::Lowered)
        );
    }

    #[test]
    fn no_measured_layer_changes_nothing_but_the_cap() {
        let r = [[0; TEMPORAL]; SPATIAL];
        assert_eq!(
            choose_svc_target(Layers::ALL, &r, 1_000, 7),
            (Layers::ALL, TargetReason::Unchanged)
        );
        assert_eq!(
            choose_svc_target(Layers::ALL, &r, 1_000, 0),
            (at(0, 7), TargetReason::Capped)
        );
    }

    #[test]
    fn a_raise_waits_after_a_step_down() {
        let mut st = SvcSteadiness::default();
        let r = l1t3();
        assert_eq!(
            st.choose(at(0, 2), &r, 170_000, 2, 1000),
            (L0, TargetReason::Lowered)
        );
        let t = 1000 + SVC_RAISE_WAIT_MS;
        assert_eq!(
            st.choose(L0, &r, 1_000_000, 2, t - 1),
            (L0, TargetReason::Unchanged)
        );
        assert_eq!(
            st.choose(L0, &r, 1_000_000, 2, t),
            (at(0, 2), TargetReason::Raised)
        );
    }
}
