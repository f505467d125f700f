//! A reorder buffer for recording: packets go in as they arrive and come out
//! in sequence order. A missing packet is waited for — a retransmission may
//! still fill it — for at most `max_wait_ms` after the first packet behind
//! it arrived, or until the buffer is full; then it is declared lost.
//!
//! Slots keep their byte buffers, so a warm buffer allocates nothing.

use crate::seq::diff;

/// What [`JitterBuffer::push`] did with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pushed {
    Stored,
    Duplicate,
    /// Behind what was already released: too late to use.
    TooOld,
    /// So far from the rest that the stream restarted: everything buffered
    /// was dropped and the sequence starts again here.
    Restarted,
}

/// What [`JitterBuffer::pop`] releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Popped {
    /// The next packet, in the slot given (read it with [`JitterBuffer::get`]).
    Packet(usize),
    /// This many packets will never come.
    Lost(u32),
}

#[derive(Default)]
struct Slot {
    /// Extended sequence number + 1; 0 for an empty slot.
    tag: i64,
    arrival: u32,
    timestamp: u32,
    marker: bool,
    data: Vec<u8>,
}

/// One stored packet.
pub struct Packet<'a> {
    pub timestamp: u32,
    pub marker: bool,
    pub arrival: u32,
    pub payload: &'a [u8],
}

/// The reorder buffer of one track.
pub struct JitterBuffer {
    slots: Vec<Slot>,
    max_wait_ms: u32,
    /// Next extended sequence number to release.
    next: i64,
    /// Highest extended sequence number stored.
    highest: i64,
    last_seq: u16,
    started: bool,
    /// Packets dropped by an overflow or restart, not yet reported.
    pending_lost: u32,
}

impl JitterBuffer {
    /// A buffer of `capacity` slots (a power of two is not required).
    pub fn new(capacity: usize, max_wait_ms: u32) -> JitterBuffer {
        let mut slots = Vec::with_capacity(capacity);
        slots.resize_with(capacity.max(2), Slot::default);
        JitterBuffer {
            slots,
            max_wait_ms,
            next: 0,
            highest: 0,
            last_seq: 0,
            started: false,
            pending_lost: 0,
        }
    }

    fn index(&self, ext: i64) -> usize {
        ext.rem_euclid(self.slots.len() as i64) as usize
    }

    fn has(&self, ext: i64) -> bool {
        self.slots[self.index(ext)].tag == ext + 1
    }

    fn clear(&mut self) {
        for s in &mut self.slots {
            s.tag = 0;
        }
    }

    /// Stores a packet that arrived at `now` (ms, wrapping).
    pub fn push(
        &mut self,
        seq: u16,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
        now: u32,
    ) -> Pushed {
        let cap = self.slots.len() as i64;
        let mut result = Pushed::Stored;
        let ext;
        if !self.started {
            self.started = true;
            ext = i64::from(seq);
            self.next = ext;
            self.highest = ext;
            self.last_seq = seq;
        } else {
            let e = self.highest + diff(seq, self.last_seq);
            if e < self.next {
                // Far behind: a sender that restarted its numbering.
                if self.next - e > cap {
                    self.restart(e);
                    result = Pushed::Restarted;
                    ext = e;
                } else {
                    return Pushed::TooOld;
                }
            } else if e - self.highest > cap {
                self.restart(e);
                result = Pushed::Restarted;
                ext = e;
            } else {
                ext = e;
            }
        }
        if self.has(ext) {
            return Pushed::Duplicate;
        }
        // Make room: whatever still waits a full buffer behind is given up.
        while ext - self.next >= cap {
            let i = self.index(self.next);
            self.slots[i].tag = 0;
            self.pending_lost += 1;
            self.next += 1;
        }
        if ext > self.highest {
            self.highest = ext;
            self.last_seq = seq;
        }
        let i = self.index(ext);
        let slot = &mut self.slots[i];
        slot.tag = ext + 1;
        slot.arrival = now;
        slot.timestamp = timestamp;
        slot.marker = marker;
        slot.data.clear();
        slot.data.extend_from_slice(payload);
        result
    }

    fn restart(&mut self, ext: i64) {
        let buffered = (self.next..=self.highest).filter(|&e| self.has(e)).count();
        self.pending_lost += buffered as u32;
        self.clear();
        self.next = ext;
        self.highest = ext;
    }

    /// Releases the next packet, or a loss, or nothing while waiting. With
    /// `flush` set a hole is given up at once (the track is closing).
    pub fn pop(&mut self, now: u32, flush: bool) -> Option<Popped> {
        if self.pending_lost > 0 {
            let n = self.pending_lost;
            self.pending_lost = 0;
            return Some(Popped::Lost(n));
        }
        if !self.started || self.next > self.highest {
            return None;
        }
        if self.has(self.next) {
            let i = self.index(self.next);
            self.slots[i].tag = 0;
            self.next += 1;
            return Some(Popped::Packet(i));
        }
        // A hole: find the first packet behind it and how long it waited.
        let mut first = self.next + 1;
        while !self.has(first) {
            first += 1;
        }
        let waited = now.wrapping_sub(self.slots[self.index(first)].arrival);
        if flush || (waited as i32) >= self.max_wait_ms as i32 {
            let n = (first - self.next) as u32;
            self.next = first;
            return Some(Popped::Lost(n));
        }
        None
    }

    /// The packet in slot `i`, as released by [`JitterBuffer::pop`]; valid
    /// until the next push.
    pub fn get(&self, i: usize) -> Packet<'_> {
        let s = &self.slots[i];
        Packet {
            timestamp: s.timestamp,
            marker: s.marker,
            arrival: s.arrival,
            payload: &s.data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(j: &mut JitterBuffer, now: u32, flush: bool) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(p) = j.pop(now, flush) {
            out.push(match p {
                Popped::Packet(i) => format!("{}", j.get(i).payload[0]),
                Popped::Lost(n) => format!("lost {}", n),
            });
        }
        out
    }

    #[test]
    fn in_order_packets_come_out_at_once() {
        let mut j = JitterBuffer::new(8, 100);
        j.push(10, 0, false, &[1], 0);
        j.push(11, 0, false, &[2], 0);
        assert_eq!(drain(&mut j, 0, false), ["1", "2"]);
    }

    #[test]
    fn a_late_packet_within_the_wait_is_put_back_in_order() {
        let mut j = JitterBuffer::new(8, 100);
        j.push(10, 0, false, &[1], 0);
        assert_eq!(drain(&mut j, 0, false), ["1"]);
        j.push(12, 0, false, &[3], 5);
        assert!(drain(&mut j, 50, false).is_empty());
        j.push(11, 0, false, &[2], 60);
        assert_eq!(drain(&mut j, 60, false), ["2", "3"]);
    }

    #[test]
    fn a_hole_is_given_up_after_the_wait() {
        let mut j = JitterBuffer::new(8, 100);
        j.push(10, 0, false, &[1], 0);
        j.push(13, 0, false, &[4], 10);
        assert_eq!(drain(&mut j, 109, false), ["1"]);
        assert_eq!(drain(&mut j, 110, false), ["lost 2", "4"]);
        assert_eq!(j.push(11, 0, false, &[2], 120), Pushed::TooOld);
    }

    #[test]
    fn a_flush_gives_up_holes_at_once() {
        let mut j = JitterBuffer::new(8, 100);
        j.push(10, 0, false, &[1], 0);
        j.push(12, 0, false, &[3], 0);
        assert_eq!(drain(&mut j, 0, true), ["1", "lost 1", "3"]);
    }

    #[test]
    fn duplicates_are_refused() {
        let mut j = JitterBuffer::new(8, 100);
        j.push(10, 0, false, &[1], 0);
        j.push(12, 0, false, &[3], 0);
        assert_eq!(j.push(12, 0, false, &[3], 0), Pushed::Duplicate);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut j = JitterBuffer::new(8, 100);
        j.push(65535, 0, false, &[1], 0);
        j.push(1, 0, false, &[3], 0);
        j.push(0, 0, false, &[2], 0);
        assert_eq!(drain(&mut j, 0, false), ["1", "2", "3"]);
    }

    #[test]
    fn a_full_buffer_gives_up_the_oldest_hole() {
        let mut j = JitterBuffer::new(4, 1000);
        j.push(0, 0, false, &[0], 0);
        assert_eq!(drain(&mut j, 0, false), ["0"]);
        for s in 2..=5u16 {
            j.push(s, 0, false, &[s as u8], 0);
        }
        assert_eq!(drain(&mut j, 0, false), ["lost 1", "2", "3", "4", "5"]);
    }

    #[test]
    fn a_jump_restarts_the_sequence_and_reports_what_was_dropped() {
        let mut j = JitterBuffer::new(8, 1000);
        j.push(0, 0, false, &[0], 0);
        j.push(2, 0, false, &[2], 0);
        assert_eq!(drain(&mut j, 0, false), ["0"]);
        assert_eq!(j.push(30000, 0, false, &[9], 0), Pushed::Restarted);
        assert_eq!(drain(&mut j, 0, false), ["lost 1", "9"]);
    }

    #[test]
    fn the_packet_keeps_its_header_fields() {
        let mut j = JitterBuffer::new(8, 100);
        j.push(7, 1234, true, &[5, 6], 42);
        match j.pop(42, false) {
            Some(Popped::Packet(i)) => {
                let p = j.get(i);
                assert_eq!(
                    (p.timestamp, p.marker, p.arrival, p.payload),
                    (1234, true, 42, &[5u8, 6][..])
                );
            }
            other => panic!("{:?}", other),
        }
    }
}
