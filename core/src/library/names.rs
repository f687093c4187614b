//! [`Names`]: the library's table of shared tag names (artists, albums, genres, dates).
//!
//! 1,000 tracks of one artist hold one copy of its name: a track keeps a [`NameId`] (a `u32`)
//! per tag name, and the table keeps each distinct text once, in its own text arena
//! ([`Texts`]: no heap block per name), with the number of its users (tracks and album dates).
//! A name leaves when its last user releases it; its text stays in the arena as garbage until
//! that outweighs half the live names (and 4 KiB), when the arena is compacted, so the table
//! holds at most 1.5 times its live texts plus 12 bytes of slot and 12 bytes of index a name.
//!
//! A name is found by a 64-bit FNV-1a hash of its text, in the same map type as the store's id
//! index ([`IdMap`]), so the firmware carries no second map type for it (issue 5: at most
//! 256 KiB of flash). Two texts with one hash (about one chance in 2^64 per pair) take the next
//! of [`MAX_PROBES`] candidate keys, as object ids do.

use alloc::vec::Vec;
use core::num::NonZeroU32;

use super::id::PathHash;
use super::idmap::IdMap;
use super::text::{Text, Texts};
use super::{Error, ObjectId, MAX_PROBES};

/// A tag name in the library's table: what a track keeps instead of the text (four bytes,
/// and `Option<NameId>` too). The same text always has the same id while anything uses it;
/// read it through [`super::ObjectRef`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NameId(NonZeroU32);

impl NameId {
    /// The id numbered `n` (as [`NameId::number`] gives it); `None` for 0.
    pub(crate) fn new(n: u32) -> Option<NameId> {
        NonZeroU32::new(n).map(NameId)
    }

    /// The id's number, as an item's record keeps it.
    pub(crate) fn number(self) -> u32 {
        self.0.get()
    }

    fn slot(self) -> usize {
        (self.0.get() - 1) as usize
    }
}

/// One name of the table.
#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    text: Text,
    /// Its users; 0 for a free slot.
    users: u32,
}

/// The shared tag names, each once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    /// Each name's slot, by a candidate hash of its text (all below `u32::MAX`, as [`IdMap`]
    /// needs).
    index: IdMap,
    /// The names; slot `n` is id `n + 1`.
    slots: Vec<Entry>,
    /// Free slots, reused first.
    free: Vec<u32>,
    /// The names' texts.
    texts: Texts,
}

fn key(text: &str, probe: u8) -> ObjectId {
    PathHash::tag("name", &[text]).candidate(probe)
}

impl Names {
    /// The text of `id` (empty for an id this table never gave out).
    pub(crate) fn get(&self, id: NameId) -> &str {
        self.slots.get(id.slot()).map_or("", |e| self.texts.get(e.text))
    }

    /// The id of `text`, with one more user; the text is added when it is new. Fails only
    /// when the table is full ([`Error::Full`]: 2^32 names, or 4 GiB of text).
    #[inline(never)]
    pub(crate) fn intern(&mut self, text: &str) -> Result<NameId, Error> {
        let mut vacant = None;
        for probe in 0..MAX_PROBES {
            let key = key(text, probe);
            match self.index.get(&key) {
                Some(slot) => {
                    let Some(entry) = self.slots.get_mut(slot as usize) else { continue };
                    if self.texts.get(entry.text) == text {
                        entry.users = entry.users.saturating_add(1);
                        return id(slot);
                    }
                }
                // A removed name may have left a gap before the text's key: look on.
                None => vacant = vacant.or(Some(key)),
            }
        }
        let key = vacant.ok_or(Error::IdCollision)?;
        let entry = Entry { text: self.texts.push(text)?, users: 1 };
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                let slot = u32::try_from(self.slots.len()).map_err(|_| Error::Full)?;
                if slot == u32::MAX {
                    return Err(Error::Full);
                }
                self.slots.push(Entry::default());
                slot
            }
        };
        if let Some(place) = self.slots.get_mut(slot as usize) {
            *place = entry;
        }
        self.index.insert(key, slot);
        id(slot)
    }

    /// One more user of `id` (an album taking its earliest track's date).
    pub(crate) fn acquire(&mut self, id: NameId) {
        if let Some(entry) = self.slots.get_mut(id.slot()) {
            entry.users = entry.users.saturating_add(1);
        }
    }

    /// One user fewer of `id`: the name leaves with its last user.
    #[inline(never)]
    pub(crate) fn release(&mut self, id: NameId) {
        let Some(entry) = self.slots.get_mut(id.slot()) else { return };
        entry.users = entry.users.saturating_sub(1);
        if entry.users > 0 {
            return;
        }
        let (text, slot) = (entry.text, id.0.get() - 1);
        let name = self.texts.get(text);
        if let Some(key) = (0..MAX_PROBES)
            .map(|probe| key(name, probe))
            .find(|key| self.index.get(key) == Some(slot))
        {
            self.index.remove(&key);
        }
        self.texts.free(text);
        self.free.push(slot);
        if self.texts.wants_compacting() {
            let old = self.texts.compact();
            for entry in self.slots.iter_mut().filter(|e| e.users > 0) {
                // The new arena is smaller than the old one: every text fits.
                entry.text = self.texts.keep(&old, entry.text).unwrap_or_default();
            }
        }
    }

    /// The id of `text`, if it is in the table.
    #[cfg(test)]
    pub(crate) fn find(&self, text: &str) -> Option<NameId> {
        (0..MAX_PROBES)
            .filter_map(|probe| self.index.get(&key(text, probe)))
            .find(|&slot| {
                self.slots.get(slot as usize).is_some_and(|e| self.texts.get(e.text) == text)
            })
            .and_then(|slot| id(slot).ok())
    }

    /// How many names the table holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the table is empty.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

/// The id of slot `slot` (below `u32::MAX`).
fn id(slot: u32) -> Result<NameId, Error> {
    slot.checked_add(1).and_then(NonZeroU32::new).map(NameId).ok_or(Error::Full)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::String;

    #[test]
    fn names_are_shared_counted_freed_and_compacted() {
        let mut names = Names::default();
        let texts: Vec<String> = (0..500).map(|n| format!("Artist number {n:04}")).collect();
        // Each text three times: one id each, three users.
        let ids: Vec<NameId> = texts.iter().map(|t| names.intern(t).unwrap()).collect();
        for (t, &id) in texts.iter().zip(&ids) {
            assert_eq!(names.intern(t).unwrap(), id);
            assert_eq!(names.intern(t).unwrap(), id);
            assert_eq!(names.get(id), t);
        }
        assert_eq!(names.len(), 500);
        // Releasing all users of every other name removes it, and compacts the arena.
        let before = names.texts.len();
        for &id in ids.iter().step_by(2) {
            for _ in 0..3 {
                names.release(id);
            }
        }
        assert_eq!(names.len(), 250);
        assert!(names.texts.len() < before, "compacted");
        for (n, (t, &id)) in texts.iter().zip(&ids).enumerate() {
            if n % 2 == 1 {
                assert_eq!(names.get(id), t);
                assert_eq!(names.find(t), Some(id));
            } else {
                assert_eq!(names.find(t), None);
            }
        }
        // Freed slots are reused; an album's extra user keeps a name alive.
        let new = names.intern("Pop").unwrap();
        assert!(ids.iter().step_by(2).any(|&id| id == new));
        names.acquire(new);
        names.release(new);
        assert_eq!(names.get(new), "Pop");
        names.release(new);
        assert_eq!(names.find("Pop"), None);
        for &id in ids.iter().skip(1).step_by(2) {
            for _ in 0..3 {
                names.release(id);
            }
        }
        assert!(names.is_empty());
        // Releasing again, or an id never given out, changes nothing and never panics.
        names.release(new);
        assert_eq!(names.get(id(9999).unwrap()), "");
    }

    #[test]
    fn a_gap_left_by_a_removed_name_does_not_hide_the_next_candidate() {
        let mut names = Names::default();
        // Put "b" at its second candidate key, as a hash collision with "a" would.
        let a = names.intern("a").unwrap();
        let slot = names.index.remove(&key("a", 0)).unwrap();
        names.index.insert(key("b", 0), slot);
        let b = names.intern("b").unwrap();
        assert_ne!(a, b);
        assert_eq!(names.index.get(&key("b", 1)), Some(b.0.get() - 1));
        // "a" leaves, its key (now "b"'s first) goes: "b" is still found at its second.
        names.index.remove(&key("b", 0));
        names.index.insert(key("a", 0), slot);
        names.release(a);
        assert_eq!(names.intern("b").unwrap(), b);
        assert_eq!(names.len(), 1);
    }
}
