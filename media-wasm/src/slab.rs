//! Objects addressed by small integer handles that carry a generation, so a
//! handle kept after `remove` is refused instead of reaching a newer object.

const INDEX_BITS: u32 = 16;
const MAX_ENTRIES: usize = 1 << INDEX_BITS;
const MAX_GENERATION: u32 = 0x7fff; // handles stay positive as i32

struct Entry<T> {
    generation: u32,
    value: Option<T>,
}

/// A slab of `T` with generational handles (never 0, always below 2^31).
pub struct Slab<T> {
    entries: Vec<Entry<T>>,
    free: Vec<usize>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    /// Stores `value`; None when all 65536 entries are taken.
    pub fn insert(&mut self, value: T) -> Option<u32> {
        let index = match self.free.pop() {
            Some(i) => i,
            None if self.entries.len() < MAX_ENTRIES => {
                self.entries.push(Entry {
                    generation: 0,
                    value: None,
                });
                self.entries.len() - 1
            }
            None => return None,
        };
        let e = &mut self.entries[index];
        e.generation = e.generation % MAX_GENERATION + 1;
        e.value = Some(value);
        Some((e.generation << INDEX_BITS) | index as u32)
    }

    fn index(&self, handle: u32) -> Option<usize> {
        let index = (handle & (MAX_ENTRIES as u32 - 1)) as usize;
        let e = self.entries.get(index)?;
        (e.value.is_some() && e.generation == handle >> INDEX_BITS).then_some(index)
    }

    /// The object behind `handle`.
    pub fn get(&self, handle: u32) -> Option<&T> {
        self.index(handle)
            .and_then(|i| self.entries[i].value.as_ref())
    }

    /// The object behind `handle`, mutably.
    pub fn get_mut(&mut self, handle: u32) -> Option<&mut T> {
        let i = self.index(handle)?;
        self.entries[i].value.as_mut()
    }

    /// Drops the object; false when the handle was not valid.
    pub fn remove(&mut self, handle: u32) -> bool {
        match self.index(handle) {
            None => false,
            Some(i) => {
                self.entries[i].value = None;
                self.free.push(i);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_nonzero_and_find_their_object() {
        let mut s = Slab::default();
        let a = s.insert("a").unwrap();
        let b = s.insert("b").unwrap();
        assert!(a != 0 && b != 0 && a != b);
        assert_eq!(s.get(a), Some(&"a"));
        assert_eq!(s.get_mut(b).map(|v| *v), Some("b"));
    }

    #[test]
    fn a_removed_handle_is_refused_even_after_reuse() {
        let mut s = Slab::default();
        let a = s.insert(1).unwrap();
        assert!(s.remove(a));
        assert!(!s.remove(a));
        let b = s.insert(2).unwrap();
        assert_eq!(a & 0xffff, b & 0xffff);
        assert_eq!(s.get(a), None);
        assert_eq!(s.get(b), Some(&2));
    }

    #[test]
    fn garbage_handles_are_refused() {
        let mut s: Slab<u8> = Slab::default();
        assert_eq!(s.get(0), None);
        assert_eq!(s.get(u32::MAX), None);
        assert!(!s.remove(12345));
    }

    #[test]
    fn generations_wrap_and_stay_positive() {
        let mut s = Slab::default();
        let mut h = 0;
        for _ in 0..(MAX_GENERATION + 3) {
            h = s.insert(0).unwrap();
            assert!(h > 0 && h < 1 << 31);
            s.remove(h);
        }
        assert_eq!(h >> 16, 3); // 1..=0x7fff, then 1, 2, 3
    }
}
