//! Bit rate over fixed one-second windows (Galène measures rates the same
//! way), cheap enough to update on every packet.

/// Window length in milliseconds.
pub const WINDOW_MS: u32 = 1000;

/// Counts bytes in the current window and keeps the rate of the last full one.
#[derive(Clone, Copy, Debug, Default)]
pub struct RateMeter {
    start_ms: Option<u32>,
    bytes: u64,
    rate_bps: u32,
}

impl RateMeter {
    /// Adds `bytes` seen at `now_ms`.
    pub fn add(&mut self, bytes: usize, now_ms: u32) {
        self.roll(now_ms);
        self.bytes += bytes as u64;
    }

    /// The rate of the last complete window, in bit/s; 0 when the last
    /// window is more than one window old (the stream stopped).
    pub fn rate(&mut self, now_ms: u32) -> u32 {
        self.roll(now_ms);
        self.rate_bps
    }

    fn roll(&mut self, now_ms: u32) {
        let start = match self.start_ms {
            None => {
                self.start_ms = Some(now_ms);
                return;
            }
            Some(s) => s,
        };
        let elapsed = now_ms.wrapping_sub(start);
        if elapsed >= 2 * WINDOW_MS {
            self.rate_bps = 0;
            self.bytes = 0;
            self.start_ms = Some(now_ms);
        } else if elapsed >= WINDOW_MS {
            self.rate_bps =
                (self.bytes * 8 * 1000 / u64::from(elapsed)).min(u64::from(u32::MAX)) as u32;
            self.bytes = 0;
            self.start_ms = Some(now_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_zero_until_a_window_completes() {
        let mut m = RateMeter::default();
        m.add(1000, 0);
        assert_eq!(m.rate(500), 0);
    }

    #[test]
    fn a_full_window_gives_bits_per_second() {
        let mut m = RateMeter::default();
        for i in 0..100 {
            m.add(1250, i * 10);
        }
        assert_eq!(m.rate(1000), 1_000_000);
        assert_eq!(m.rate(1500), 1_000_000);
    }

    #[test]
    fn a_silent_stream_decays_to_zero() {
        let mut m = RateMeter::default();
        m.add(1250, 0);
        m.add(1250, 999);
        assert!(m.rate(1000) > 0);
        assert_eq!(m.rate(3100), 0);
    }

    #[test]
    fn windows_survive_the_millisecond_clock_wrapping() {
        let mut m = RateMeter::default();
        m.add(125, u32::MAX - 10);
        m.add(125, 500);
        assert_eq!(m.rate(1000), 2000 * 1000 / 1011);
    }
}
