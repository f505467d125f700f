//! Wraparound arithmetic for RTP sequence numbers (16 bits) and timestamps
//! (32 bits), in one generic module so both widths share the same tests.

/// An unsigned counter that wraps at `2^BITS`.
pub trait Wrapping: Copy + PartialEq + core::fmt::Debug {
    /// Width of the counter in bits.
    const BITS: u32;
    /// The value as a u64 (always below `2^BITS`).
    fn to_u64(self) -> u64;
    /// The low `BITS` bits of `v`.
    fn from_u64(v: u64) -> Self;
}

impl Wrapping for u16 {
    const BITS: u32 = 16;
    fn to_u64(self) -> u64 {
        u64::from(self)
    }
    fn from_u64(v: u64) -> Self {
        v as u16
    }
}

impl Wrapping for u32 {
    const BITS: u32 = 32;
    fn to_u64(self) -> u64 {
        u64::from(self)
    }
    fn from_u64(v: u64) -> Self {
        v as u32
    }
}

/// Shortest signed distance `a - b` on the circle of `2^BITS` values.
/// Exactly half-way is reported as negative (a is "older"), as RFC 1982
/// leaves it undefined and we need a deterministic answer.
pub fn diff<T: Wrapping>(a: T, b: T) -> i64 {
    let modulus = 1u64 << T::BITS;
    let d = a.to_u64().wrapping_sub(b.to_u64()) & (modulus - 1);
    if d < modulus / 2 {
        d as i64
    } else {
        d as i64 - modulus as i64
    }
}

/// True when `a` comes after `b` (RFC 1982 serial number comparison).
pub fn is_newer<T: Wrapping>(a: T, b: T) -> bool {
    diff(a, b) > 0
}

/// `a + delta`, wrapping.
pub fn add<T: Wrapping>(a: T, delta: i64) -> T {
    T::from_u64((a.to_u64() as i64).wrapping_add(delta) as u64)
}

/// Extends wrapping counters to 64-bit signed values (RFC 3550 A.1 keeps a
/// cycle count; we keep the extended value itself). The first value seen is
/// extended to itself; a value that precedes it may extend below zero.
#[derive(Clone, Copy, Debug)]
pub struct Extender<T: Wrapping> {
    highest: Option<(i64, T)>,
}

impl<T: Wrapping> Default for Extender<T> {
    fn default() -> Self {
        Extender { highest: None }
    }
}

impl<T: Wrapping> Extender<T> {
    /// Extends `v` relative to the highest value seen, and remembers it when
    /// it is newer.
    pub fn extend(&mut self, v: T) -> i64 {
        let ext = self.peek(v);
        match self.highest {
            Some((h, _)) if ext <= h => {}
            _ => self.highest = Some((ext, v)),
        }
        ext
    }

    /// An extender whose highest value is `ext`, reached by the raw value `v`.
    pub fn anchored(ext: i64, v: T) -> Self {
        Extender {
            highest: Some((ext, v)),
        }
    }

    /// Extends `v` without remembering it.
    pub fn peek(&self, v: T) -> i64 {
        match self.highest {
            None => v.to_u64() as i64,
            Some((h, last)) => h + diff(v, last),
        }
    }

    /// The highest extended value seen, if any.
    pub fn highest(&self) -> Option<i64> {
        self.highest.map(|(h, _)| h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_is_plain_subtraction_without_wrap() {
        assert_eq!(diff(10u16, 3u16), 7);
        assert_eq!(diff(3u16, 10u16), -7);
        assert_eq!(diff(5u16, 5u16), 0);
    }

    #[test]
    fn diff_crosses_the_16_bit_wrap_both_ways() {
        assert_eq!(diff(0u16, 65535u16), 1);
        assert_eq!(diff(65535u16, 0u16), -1);
        assert_eq!(diff(2u16, 65530u16), 8);
    }

    #[test]
    fn diff_at_exactly_half_the_circle_is_negative() {
        assert_eq!(diff(32768u16, 0u16), -32768);
        assert_eq!(diff(0u16, 32768u16), -32768);
        assert_eq!(diff(32767u16, 0u16), 32767);
    }

    #[test]
    fn diff_crosses_the_32_bit_wrap() {
        assert_eq!(diff(5u32, u32::MAX - 4), 10);
        assert_eq!(diff(u32::MAX, 0u32), -1);
        assert_eq!(diff(0x8000_0000u32, 0u32), -(1i64 << 31));
    }

    #[test]
    fn is_newer_follows_serial_number_rules() {
        assert!(is_newer(1u16, 65535u16));
        assert!(!is_newer(65535u16, 1u16));
        assert!(!is_newer(7u16, 7u16));
        assert!(is_newer(1u32, u32::MAX));
    }

    #[test]
    fn add_wraps_in_both_directions() {
        assert_eq!(add(65535u16, 1), 0);
        assert_eq!(add(0u16, -1), 65535);
        assert_eq!(add(u32::MAX, 2), 1u32);
        assert_eq!(add(3u32, -5), u32::MAX - 1);
    }

    #[test]
    fn extender_starts_at_the_first_value() {
        let mut e = Extender::<u16>::default();
        assert_eq!(e.highest(), None);
        assert_eq!(e.extend(65000), 65000);
        assert_eq!(e.highest(), Some(65000));
    }

    #[test]
    fn extender_counts_cycles_across_the_wrap() {
        let mut e = Extender::<u16>::default();
        e.extend(65534);
        assert_eq!(e.extend(65535), 65535);
        assert_eq!(e.extend(0), 65536);
        assert_eq!(e.extend(1), 65537);
        assert_eq!(e.highest(), Some(65537));
    }

    #[test]
    fn extender_places_reordered_values_before_the_highest() {
        let mut e = Extender::<u16>::default();
        e.extend(65535);
        e.extend(2);
        assert_eq!(e.extend(65534), 65534);
        assert_eq!(e.extend(1), 65537);
        assert_eq!(e.highest(), Some(65538));
    }

    #[test]
    fn extender_goes_below_zero_for_values_before_the_first() {
        let mut e = Extender::<u16>::default();
        e.extend(0);
        assert_eq!(e.extend(65535), -1);
        assert_eq!(e.highest(), Some(0));
    }

    #[test]
    fn extender_treats_duplicates_as_equal() {
        let mut e = Extender::<u16>::default();
        e.extend(100);
        assert_eq!(e.extend(100), 100);
        assert_eq!(e.highest(), Some(100));
    }

    #[test]
    fn extender_survives_many_cycles() {
        let mut e = Extender::<u16>::default();
        let mut v = 0u16;
        for _ in 0..(3 * 65536 + 5) {
            v = add(v, 1);
            e.extend(v);
        }
        assert_eq!(e.highest(), Some(3 * 65536 + 5));
    }

    #[test]
    fn an_anchored_extender_continues_from_its_anchor() {
        let mut e = Extender::anchored(70000, 3u16);
        assert_eq!(e.extend(4), 70001);
        assert_eq!(e.extend(2), 69999);
    }

    #[test]
    fn extender_works_for_32_bit_timestamps() {
        let mut e = Extender::<u32>::default();
        e.extend(u32::MAX - 10);
        assert_eq!(e.extend(5), (1i64 << 32) + 5);
        assert_eq!(e.peek(u32::MAX), (1i64 << 32) - 1);
    }
}
