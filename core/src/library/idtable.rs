//! [`IdTable`]: the store's index from an object's id to its slot, in `O(1)`.
//!
//! An open-addressed hash table with linear probing that holds slot numbers only: the key of an
//! entry is the id of the object in that slot, which the store computes from the object's
//! place (read through the `id_of` the caller passes; see `derived.rs`), so an entry costs 4
//! bytes, and the table, a power of two long, is between 7/16 and 7/8 full once past its
//! first 64 entries: 4.6 to 9.1 bytes an object, against the 12 of the sorted arrays of an
//! [`super::idmap::IdMap`] (which the names table and the compilation counts keep: their keys
//! are not stored anywhere else). An entry's low [`SLOT_BITS`] bits are the slot, its top 6 a
//! tag, the top 6 bits of the id: a lookup computes the id of an entry's object only when the
//! tags match, so an entry of another id costs that walk once in 64 (a missing id, which at
//! 7/8 full passes about 32 entries, about once in two lookups); a lookup of a present id
//! reads one entry and computes the id of the object it names, mostly. No merges, no binary
//! search. Ids are hashes already; multiplying by the golden ratio spreads any of their bits
//! over the table's index. A removal shifts the entries after it back (no tombstones), so a
//! probe never runs past the end of its run; it computes the ids of the entries it moves.
//! Growing doubles the table and puts every slot in again, computing every id, `O(n)` once a
//! doubling; the table never shrinks (as the store's chunks: a library that shrank keeps its
//! high-water mark).

use alloc::vec::Vec;

use super::ObjectId;

/// The bits of an entry that hold its slot number.
const SLOT_BITS: u32 = 26;

/// The bits of an entry's slot number.
const SLOT_MASK: u32 = (1 << SLOT_BITS) - 1;

/// The number of slots a table can hold: numbers `0..MAX_SLOTS`, 67,108,863 objects (about 9
/// GB of objects on a 64-bit host: no library that fits in memory has more).
pub(crate) const MAX_SLOTS: u32 = SLOT_MASK;

/// The entry of no slot (its slot bits are [`MAX_SLOTS`], never a slot number).
const EMPTY: u32 = u32::MAX;

/// The tag of `id` in an entry: its top bits, shifted into place above the slot.
fn tag(id: ObjectId) -> u32 {
    // The shifted value has 32 - SLOT_BITS bits: it fits.
    ((id.0 >> (64 - (32 - SLOT_BITS))) as u32) << SLOT_BITS
}

/// The length of a table's first allocation.
const FIRST: usize = 64;

/// A set of slot numbers found by their objects' ids (see the module docs).
#[derive(Debug, Clone, Default)]
pub(crate) struct IdTable {
    /// A slot number or [`EMPTY`] each; empty, or a power of two long, never more than 7/8
    /// full, so a probe always meets an empty entry.
    entries: Vec<u32>,
    /// How many entries hold a slot.
    len: usize,
}

impl IdTable {
    /// The number of slots held.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Where the probe for `id` starts.
    fn home(&self, id: ObjectId) -> usize {
        let bits = self.entries.len().trailing_zeros();
        let hash = id.0.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        // The table is at most 2^32 entries long: the shifted hash fits.
        usize::try_from(hash.checked_shr(64 - bits).unwrap_or(0)).unwrap_or(0)
    }

    /// The entry after `at`, wrapping around.
    fn next(&self, at: usize) -> usize {
        (at + 1) & self.entries.len().wrapping_sub(1)
    }

    /// Where `id`'s slot is in the table, `id_of` giving the id of the object in a slot.
    // `id_of` through a `dyn`, called only for an entry whose tag matches: one copy of the
    // probe for `get` and `remove` (the firmware's flash).
    fn find(&self, id: ObjectId, id_of: &dyn Fn(u32) -> Option<ObjectId>) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        let mut at = self.home(id);
        let tag = tag(id);
        // Bounded by the length: an empty entry ends the run sooner (the table is never full).
        for _ in 0..self.entries.len() {
            let entry = *self.entries.get(at)?;
            if entry == EMPTY {
                return None;
            }
            if entry & !SLOT_MASK == tag && id_of(entry & SLOT_MASK) == Some(id) {
                return Some(at);
            }
            at = self.next(at);
        }
        None
    }

    /// The slot of the object with id `id`.
    pub(crate) fn get(&self, id: ObjectId, id_of: impl Fn(u32) -> Option<ObjectId>) -> Option<u32> {
        self.entries.get(self.find(id, &id_of)?).map(|entry| entry & SLOT_MASK)
    }

    /// Adds `slot` (below [`MAX_SLOTS`]), whose object (id `id`, read again through `id_of`
    /// when the table grows) is in its slot already, and whose id no other slot held has.
    pub(crate) fn insert(
        &mut self,
        id: ObjectId,
        slot: u32,
        id_of: impl Fn(u32) -> Option<ObjectId>,
    ) {
        if (self.len + 1) * 8 > self.entries.len() * 7 {
            let grown = alloc::vec![EMPTY; (self.entries.len() * 2).max(FIRST)];
            let old = core::mem::replace(&mut self.entries, grown);
            for slot in old.into_iter().filter(|&e| e != EMPTY).map(|e| e & SLOT_MASK) {
                if let Some(id) = id_of(slot) {
                    self.put(id, slot);
                }
            }
        }
        self.put(id, slot);
        self.len += 1;
    }

    /// Puts `slot`, tagged with `id`'s tag, in the first empty entry from `id`'s home on.
    fn put(&mut self, id: ObjectId, slot: u32) {
        let mut at = self.home(id);
        for _ in 0..self.entries.len() {
            match self.entries.get_mut(at) {
                Some(entry) if *entry == EMPTY => {
                    *entry = tag(id) | (slot & SLOT_MASK);
                    return;
                }
                Some(_) => at = self.next(at),
                None => return,
            }
        }
    }

    /// Takes the slot of `id` out and returns it; its object must still be in it (`id_of`
    /// reads it, and those of the entries that move back).
    pub(crate) fn remove(
        &mut self,
        id: ObjectId,
        id_of: impl Fn(u32) -> Option<ObjectId>,
    ) -> Option<u32> {
        let mut hole = self.find(id, &id_of)?;
        let slot = *self.entries.get(hole)? & SLOT_MASK;
        let mask = self.entries.len().wrapping_sub(1);
        let mut at = self.next(hole);
        // Each entry of the run after the hole moves back into it unless that would put it
        // before its home.
        for _ in 0..self.entries.len() {
            let Some(&moving) = self.entries.get(at) else { break };
            if moving == EMPTY {
                break;
            }
            let home = id_of(moving & SLOT_MASK).map_or(at, |id| self.home(id));
            if at.wrapping_sub(home) & mask >= at.wrapping_sub(hole) & mask {
                if let Some(entry) = self.entries.get_mut(hole) {
                    *entry = moving;
                }
                hole = at;
            }
            at = self.next(at);
        }
        if let Some(entry) = self.entries.get_mut(hole) {
            *entry = EMPTY;
        }
        self.len -= 1;
        Some(slot)
    }

    /// Heap bytes held: 4 an entry.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.entries.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::btree_map::Entry;
    use alloc::collections::BTreeMap;

    #[test]
    fn behaves_like_a_btree_map_through_growth_and_removals() {
        // Slot n holds the object of id ids[n]; the table must find each live one.
        let mut ids: Vec<Option<ObjectId>> = Vec::new();
        let mut table = IdTable::default();
        let mut model: BTreeMap<ObjectId, u32> = BTreeMap::new();
        // Small numbers with their tag bits set from them: every tag occurs.
        let key = |n: u64| ObjectId(n | (n % 61) << 58);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for step in 0..40_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Few distinct ids, and some that share their home (only the high bits differ
            // after the multiply, or only low ones): long runs, removals in their middle.
            let id = key(if step % 7 == 0 { x % 64 } else { x % 9_000 });
            let removing = match step {
                0..15_000 => step % 4 == 0,
                15_000..30_000 => step % 4 != 0,
                _ => step % 3 == 0,
            };
            let id_of = |s: u32| ids.get(s as usize).copied().flatten();
            if removing {
                let gone = table.remove(id, id_of);
                assert_eq!(gone, model.remove(&id), "step {step}");
                if let Some(slot) = gone {
                    ids[slot as usize] = None;
                }
            } else if let Entry::Vacant(entry) = model.entry(id) {
                let slot = ids.len() as u32;
                ids.push(Some(id));
                let id_of = |s: u32| ids.get(s as usize).copied().flatten();
                table.insert(id, slot, id_of);
                entry.insert(slot);
            }
            assert_eq!(table.len(), model.len(), "step {step}");
            if step % 1_000 == 0 {
                let id_of = |s: u32| ids.get(s as usize).copied().flatten();
                for probe in (0..9_100).map(key) {
                    assert_eq!(table.get(probe, id_of), model.get(&probe).copied(), "{step}");
                }
            }
        }
        // At most 7/8 full, and (past its growth) at least 7/16.
        assert!(table.len() * 8 <= table.capacity() * 7);
        let id_of = |s: u32| ids.get(s as usize).copied().flatten();
        while let Some((id, slot)) = model.pop_first() {
            assert_eq!(table.remove(id, id_of), Some(slot));
        }
        assert_eq!(table.len(), 0);
        assert_eq!(table.get(ObjectId(1), id_of), None);
    }

    #[test]
    fn reads_an_object_only_when_the_tags_match() {
        // Random ids (as hashes are), the table grown to 7/8 full: a lookup of a missing id
        // passes long runs, and reads an object only for an entry whose tag matches.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ObjectId(x)
        };
        let ids: Vec<ObjectId> = (0..(1 << 14) * 7 / 8).map(|_| next()).collect();
        let mut table = IdTable::default();
        for (slot, &id) in ids.iter().enumerate() {
            table.insert(id, slot as u32, |s| ids.get(s as usize).copied());
        }
        assert_eq!(table.capacity(), 1 << 14);
        let reads = core::cell::Cell::new(0usize);
        let id_of = |s: u32| {
            reads.set(reads.get() + 1);
            ids.get(s as usize).copied()
        };
        for _ in 0..10_000 {
            assert_eq!(table.get(next(), id_of), None);
        }
        // About 32 entries passed a lookup, one in 64 of them read (1 would be 320,000).
        assert!(reads.get() < 10_000, "{} objects read", reads.get());
        reads.set(0);
        for (slot, &id) in ids.iter().enumerate() {
            assert_eq!(table.get(id, id_of), Some(slot as u32));
        }
        assert!(reads.get() < ids.len() * 11 / 10, "{} objects read", reads.get());
    }
}
