//! Which sequence numbers to NACK upstream (RFC 4585 generic NACK): holes
//! older than a small reorder window, each asked for a bounded number of
//! times.

/// Tuning of a [`NackTracker`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NackConfig {
    /// A hole is only asked for once this many newer packets arrived, or...
    pub reorder_packets: i64,
    /// ...once it has been missing this long. Late by 2 packets or 20 ms,
    /// Galène's rule for reordering on the public Internet.
    pub reorder_ms: u32,
    /// Time between two requests for the same packet (about one RTT).
    pub retry_ms: u32,
    /// Requests per packet before giving up.
    pub max_retries: u8,
    /// Holes further back than this are forgotten (the cache no longer
    /// holds packets that old anyway).
    pub max_age: i64,
    /// Most holes tracked at once; a larger burst keeps the newest.
    pub max_missing: usize,
}

impl Default for NackConfig {
    fn default() -> Self {
        NackConfig {
            reorder_packets: 2,
            reorder_ms: 20,
            retry_ms: 100,
            max_retries: 3,
            max_age: 512,
            max_missing: 128,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Missing {
    ext: i64,
    detected_ms: u32,
    last_sent_ms: Option<u32>,
    retries: u8,
}

/// Holes in one incoming stream, in ascending order.
#[derive(Clone, Debug)]
pub struct NackTracker {
    config: NackConfig,
    missing: Vec<Missing>,
    highest: Option<i64>,
}

impl NackTracker {
    /// An empty tracker.
    pub fn new(config: NackConfig) -> Self {
        NackTracker {
            config,
            missing: Vec::with_capacity(config.max_missing),
            highest: None,
        }
    }

    /// Notes the arrival of extended sequence number `ext`.
    pub fn on_packet(&mut self, ext: i64, now_ms: u32) {
        let h = match self.highest {
            None => {
                self.highest = Some(ext);
                return;
            }
            Some(h) => h,
        };
        if ext <= h {
            if let Ok(i) = self.missing.binary_search_by_key(&ext, |m| m.ext) {
                self.missing.remove(i);
            }
            return;
        }
        let first = (h + 1).max(ext - self.config.max_missing as i64);
        for e in first..ext {
            if self.missing.len() == self.config.max_missing {
                self.missing.remove(0);
            }
            self.missing.push(Missing {
                ext: e,
                detected_ms: now_ms,
                last_sent_ms: None,
                retries: 0,
            });
        }
        self.highest = Some(ext);
        let oldest = ext - self.config.max_age;
        let stale = self.missing.iter().take_while(|m| m.ext < oldest).count();
        self.missing.drain(..stale);
    }

    /// Number of holes still tracked.
    pub fn missing(&self) -> usize {
        self.missing.len()
    }

    /// Collects the holes due for a request now into `out` as (PID, BLP)
    /// pairs (RFC 4585 section 6.2.1); returns how many pairs were written.
    /// Holes that reached the retry limit are dropped.
    pub fn due(&mut self, now_ms: u32, out: &mut [(u16, u16)]) -> usize {
        let h = match self.highest {
            None => return 0,
            Some(h) => h,
        };
        let c = self.config;
        let mut n = 0;
        for m in self.missing.iter_mut() {
            let late =
                h - m.ext > c.reorder_packets || now_ms.wrapping_sub(m.detected_ms) >= c.reorder_ms;
            let rested = m
                .last_sent_ms
                .map_or(true, |t| now_ms.wrapping_sub(t) >= c.retry_ms);
            if !late || !rested || m.retries >= c.max_retries {
                continue;
            }
            let seq = m.ext as u16;
            let merged = n > 0 && {
                let (pid, blp) = &mut out[n - 1];
                let d = seq.wrapping_sub(*pid);
                if (1..=16).contains(&d) {
                    *blp |= 1 << (d - 1);
                    true
                } else {
                    false
                }
            };
            if !merged {
                if n == out.len() {
                    break;
                }
                out[n] = (seq, 0);
                n += 1;
            }
            m.last_sent_ms = Some(now_ms);
            m.retries += 1;
        }
        let max = c.max_retries;
        self.missing.retain(|m| m.retries < max);
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker() -> NackTracker {
        NackTracker::new(NackConfig::default())
    }

    fn due(t: &mut NackTracker, now: u32) -> Vec<(u16, u16)> {
        let mut out = [(0, 0); 16];
        let n = t.due(now, &mut out);
        out[..n].to_vec()
    }

    #[test]
    fn an_in_order_stream_has_nothing_to_nack() {
        let mut t = tracker();
        (0..10).for_each(|i| t.on_packet(i, 0));
        assert_eq!(due(&mut t, 1000), vec![]);
    }

    #[test]
    fn a_hole_waits_for_the_reorder_window() {
        let mut t = tracker();
        t.on_packet(0, 0);
        t.on_packet(2, 0);
        assert_eq!(due(&mut t, 5), vec![]);
        t.on_packet(3, 5);
        t.on_packet(4, 5);
        assert_eq!(due(&mut t, 5), vec![(1, 0)]);
    }

    #[test]
    fn a_hole_is_asked_for_after_20_ms_even_without_newer_packets() {
        let mut t = tracker();
        t.on_packet(0, 0);
        t.on_packet(2, 0);
        assert_eq!(due(&mut t, 20), vec![(1, 0)]);
    }

    #[test]
    fn a_reordered_packet_fills_its_hole() {
        let mut t = tracker();
        t.on_packet(0, 0);
        t.on_packet(2, 0);
        t.on_packet(1, 3);
        assert_eq!(t.missing(), 0);
        assert_eq!(due(&mut t, 100), vec![]);
    }

    #[test]
    fn nearby_holes_share_one_bitmap() {
        let mut t = tracker();
        t.on_packet(65530, 0);
        t.on_packet(65535, 0); // 65531..65534 missing
        t.on_packet(65540, 0); // 65536..65539 missing (wraps to 0..3)
        t.on_packet(65560, 0); // 65541..65559 missing
        let pairs = due(&mut t, 50);
        assert_eq!(pairs[0], (65531, 0b1111_1110_1111_0111));
        assert_eq!(pairs[1], (12, 0b0000_0111_1111_1111)); // 65548 wrapped
        assert_eq!(pairs.len(), 2);
    }

    #[test]
    fn retries_are_spaced_and_bounded() {
        let mut t = tracker();
        t.on_packet(0, 0);
        t.on_packet(2, 0);
        assert_eq!(due(&mut t, 20), vec![(1, 0)]);
        assert_eq!(due(&mut t, 60), vec![]);
        assert_eq!(due(&mut t, 120), vec![(1, 0)]);
        assert_eq!(due(&mut t, 220), vec![(1, 0)]);
        assert_eq!(t.missing(), 0);
        assert_eq!(due(&mut t, 320), vec![]);
    }

    #[test]
    fn a_large_burst_keeps_only_the_newest_holes() {
        let mut t = tracker();
        t.on_packet(0, 0);
        t.on_packet(1000, 0);
        assert_eq!(t.missing(), 128);
        let mut out = [(0, 0); 64];
        let n = t.due(100, &mut out);
        assert_eq!(out[0].0, 872);
        assert_eq!(n, 8);
    }

    #[test]
    fn old_holes_are_forgotten() {
        let mut t = tracker();
        t.on_packet(0, 0);
        t.on_packet(2, 0);
        t.on_packet(600, 0);
        assert!(t.missing() <= 128);
        assert!(due(&mut t, 100).iter().all(|&(pid, _)| pid > 2));
    }

    #[test]
    fn a_full_output_stops_without_marking_the_rest() {
        let mut t = tracker();
        t.on_packet(0, 0);
        t.on_packet(100, 0); // 99 holes
        let mut out = [(0, 0); 2];
        assert_eq!(t.due(50, &mut out), 2);
        let mut out = [(0, 0); 16];
        assert!(t.due(51, &mut out) > 0);
    }
}
