//! [`IdMap`]: the library's maps from an [`ObjectId`] (or a 64-bit hash in that form) to a
//! `u32`: the tag names' table and the compilation guess's counts. (The store's index of slots
//! is an `IdTable`, 4 to 9 bytes an entry: its keys are computed from the objects.)
//!
//! Ids are hashes, so they arrive in random order, and a B-tree of them keeps its nodes about
//! 70% full: 20.6 bytes an entry measured for 12 bytes of key and value. Here the entries sit
//! in two sorted arrays, keys and values, 12 bytes an entry, found by binary search (as fast
//! as the B-tree or faster: 0.8 against 1.3 µs a lookup at a million random ids on a loaded
//! machine, 30 to 120 ns against 30 to 300 at 100,000). New keys wait in a short sorted list of
//! at most [`IdMap::pending_limit`] entries (`2·√n` to `4·√n`, at least 64, at most 8,192) and
//! are merged in, in place, when it is full: `O(n)` once every `2·√n` inserts, `O(√n)` an
//! insert amortised. Inserting 1,200,000 random ids takes 3.5 to 4.5 s against the B-tree's 0.7
//! to 1.3 s (100,000: 0.04 s against 0.01 to 0.04 s), and one merge at a million holds the
//! library for a few milliseconds. A key removed from the arrays is only marked dead (its value
//! [`DEAD`]) and takes its place again if it comes back; the dead go at the next merge, or
//! once they are half the arrays. One map type and no B-tree: the firmware carries neither a
//! B-tree nor a second copy of this code (issue 5: at most 256 KiB of flash).

use alloc::vec::Vec;

use super::ObjectId;

/// The value marking a removed entry of the arrays; never stored (the store's slots, the
/// names' slots and the counts stay below it: see their insert functions).
const DEAD: u32 = u32::MAX;

/// A map from ids to `u32` in sorted arrays (see the module docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct IdMap {
    /// The merged keys, sorted, dead ones included.
    keys: Vec<ObjectId>,
    /// The value of each key in `keys`, or [`DEAD`].
    values: Vec<u32>,
    /// Keys not in `keys` yet, sorted; at most [`IdMap::pending_limit`] of them.
    pending: Vec<(ObjectId, u32)>,
    /// How many values in `values` are [`DEAD`].
    dead: usize,
}

impl IdMap {
    /// An empty map.
    pub(crate) fn new() -> Self {
        IdMap::default()
    }

    /// The number of entries.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.keys.len().saturating_sub(self.dead).saturating_add(self.pending.len())
    }

    /// Whether the map is empty.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many keys may wait outside the arrays: `2·√n` or up to twice that, a power of two
    /// between 64 and 8,192, which balances the cost of inserting into the list against that
    /// of merging it (measured best among `√n`, `2·√n` and `4·√n`).
    fn pending_limit(&self) -> usize {
        let n = self.keys.len();
        let mut limit = 64usize;
        while limit < 8192 && limit.saturating_mul(limit) < n.saturating_mul(4) {
            limit = limit.saturating_mul(2);
        }
        limit
    }

    /// The value of `key`.
    pub(crate) fn get(&self, key: &ObjectId) -> Option<u32> {
        match self.keys.binary_search(key) {
            Ok(at) => self.values.get(at).copied().filter(|&v| v != DEAD),
            Err(_) => {
                let at = self.pending.binary_search_by_key(key, |&(k, _)| k).ok()?;
                self.pending.get(at).map(|&(_, v)| v)
            }
        }
    }

    /// Whether `key` has a value.
    pub(crate) fn contains_key(&self, key: &ObjectId) -> bool {
        self.get(key).is_some()
    }

    /// Sets the value of `key` (`value` must not be `u32::MAX`); returns the one it had.
    pub(crate) fn insert(&mut self, key: ObjectId, value: u32) -> Option<u32> {
        if let Ok(at) = self.keys.binary_search(&key) {
            let place = self.values.get_mut(at)?;
            let old = core::mem::replace(place, value);
            if old == DEAD {
                self.dead = self.dead.saturating_sub(1);
                return None;
            }
            return Some(old);
        }
        match self.pending.binary_search_by_key(&key, |&(k, _)| k) {
            Ok(at) => self.pending.get_mut(at).map(|entry| core::mem::replace(&mut entry.1, value)),
            Err(at) => {
                self.pending.insert(at, (key, value));
                if self.pending.len() >= self.pending_limit() {
                    self.merge();
                }
                None
            }
        }
    }

    /// Takes `key` out; returns the value it had.
    pub(crate) fn remove(&mut self, key: &ObjectId) -> Option<u32> {
        match self.keys.binary_search(key) {
            Ok(at) => {
                let place = self.values.get_mut(at)?;
                if *place == DEAD {
                    return None;
                }
                let old = core::mem::replace(place, DEAD);
                self.dead = self.dead.saturating_add(1);
                if self.dead >= self.keys.len() / 2 {
                    self.merge();
                }
                Some(old)
            }
            Err(_) => {
                let at = self.pending.binary_search_by_key(key, |&(k, _)| k).ok()?;
                Some(self.pending.remove(at).1)
            }
        }
    }

    /// Every entry, in key order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&ObjectId, u32)> + '_ {
        let mut merged = self.keys.iter().zip(self.values.iter().copied()).peekable();
        let mut pending = self.pending.iter().map(|(k, v)| (k, *v)).peekable();
        core::iter::from_fn(move || loop {
            let next = match (merged.peek(), pending.peek()) {
                (Some(a), Some(b)) if b.0 < a.0 => pending.next(),
                (Some(_), _) => merged.next(),
                (None, _) => pending.next(),
            };
            match next {
                Some((_, DEAD)) => continue,
                other => return other,
            }
        })
    }

    /// Merges the pending keys into the arrays and drops the dead. In place, from the back:
    /// the arrays grow by exactly the pending entries (a large block grows without copying,
    /// by remapping its pages), and each run of merged keys between two pending ones moves
    /// once, as a whole; so the map holds no spare capacity beyond its short list.
    fn merge(&mut self) {
        if self.dead > 0 {
            self.drop_dead();
        }
        let pending = core::mem::take(&mut self.pending);
        let mut unmerged = self.keys.len();
        self.keys.reserve_exact(pending.len());
        self.values.reserve_exact(pending.len());
        self.keys.resize(unmerged.saturating_add(pending.len()), ObjectId(0));
        self.values.resize(self.keys.len(), DEAD);
        let mut end = self.keys.len();
        for &(key, value) in pending.iter().rev() {
            let below = self.keys.get(..unmerged).unwrap_or_default();
            let from = below.partition_point(|k| *k < key);
            let run = unmerged.saturating_sub(from);
            let to = end.saturating_sub(run);
            self.keys.copy_within(from..unmerged, to);
            self.values.copy_within(from..unmerged, to);
            end = to.saturating_sub(1);
            if let (Some(k), Some(v)) = (self.keys.get_mut(end), self.values.get_mut(end)) {
                (*k, *v) = (key, value);
            }
            unmerged = from;
        }
        // The short list keeps its buffer for the next keys.
        self.pending = pending;
        self.pending.clear();
    }

    /// Takes the dead entries out of the arrays, in place.
    fn drop_dead(&mut self) {
        let mut kept = 0;
        for at in 0..self.keys.len() {
            let (Some(&key), Some(&value)) = (self.keys.get(at), self.values.get(at)) else {
                break;
            };
            if value != DEAD {
                if let (Some(k), Some(v)) = (self.keys.get_mut(kept), self.values.get_mut(kept)) {
                    (*k, *v) = (key, value);
                }
                kept += 1;
            }
        }
        self.keys.truncate(kept);
        self.values.truncate(kept);
        self.keys.shrink_to_fit();
        self.values.shrink_to_fit();
        self.dead = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;

    #[test]
    fn behaves_like_a_btree_map_through_merges_and_removals() {
        let mut map = IdMap::new();
        let mut model = BTreeMap::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        // Grows past several merges, then mostly removes (compactions), then grows again.
        for step in 0..30_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = ObjectId(x % 6_000);
            let removing = match step {
                0..10_000 => step % 5 == 0,
                10_000..20_000 => step % 5 != 0,
                _ => step % 3 == 0,
            };
            if removing {
                assert_eq!(map.remove(&key), model.remove(&key), "step {step}");
            } else {
                assert_eq!(map.insert(key, step), model.insert(key, step), "step {step}");
            }
            assert_eq!(map.len(), model.len(), "step {step}");
            if step % 997 == 0 {
                assert!(map.iter().eq(model.iter().map(|(k, v)| (k, *v))), "step {step}");
            }
        }
        for key in (0..6_100).map(ObjectId) {
            assert_eq!(map.get(&key), model.get(&key).copied());
            assert_eq!(map.contains_key(&key), model.contains_key(&key));
        }
        assert!(map.pending.len() < map.pending_limit());
        assert!(map.dead <= map.keys.len() / 2);
        while let Some((key, _)) = model.pop_first() {
            assert!(map.remove(&key).is_some());
        }
        assert!(map.is_empty() && map.iter().next().is_none());
    }

    #[test]
    fn holds_twelve_bytes_an_entry_once_merged() {
        let mut map = IdMap::new();
        for n in 0..10_000u32 {
            map.insert(ObjectId(u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15)), n);
        }
        // All but the short list sit in arrays of exactly their length.
        assert_eq!(map.keys.len() + map.pending.len(), 10_000);
        assert_eq!((map.keys.capacity(), map.values.capacity()), (map.keys.len(), map.keys.len()));
        // And after removals, once the dead are dropped.
        for n in 0..6_000u32 {
            map.remove(&ObjectId(u64::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15)));
        }
        assert_eq!(map.len(), 4_000);
        assert!(map.keys.capacity() <= 2 * map.len() && map.values.capacity() <= 2 * map.len());
        assert!(map.pending.len() < map.pending_limit() && map.pending_limit() <= 256);
    }
}
