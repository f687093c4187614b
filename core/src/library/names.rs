//! [`Names`]: the library's table of shared tag names (artists, albums, genres, dates).
//!
//! 1,000 tracks of one artist hold one copy of its name: [`Library`](super::Library) interns
//! each tag name as it stores an item, and drops a name when its last item goes. The table is
//! found by a 64-bit FNV-1a hash of the text, in the same map type as the store's id index
//! ([`IdMap`]), so the firmware carries no second map type for it (issue 5: at most 256 KiB
//! of flash). Two different names with one hash (about one chance in 2^64 per pair) are only
//! left unshared: the second keeps its own copy.

use alloc::vec::Vec;

use super::id::PathHash;
use super::idmap::IdMap;
use super::{Name, ObjectId};

/// The shared tag names, each once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Names {
    /// Each name's slot, by the hash of its text (all below `u32::MAX`, as [`IdMap`] needs).
    index: IdMap,
    /// The names; `None` where one was dropped.
    slots: Vec<Option<Name>>,
    /// Empty slots, reused first.
    free: Vec<u32>,
}

fn key(text: &str) -> ObjectId {
    PathHash::tag("name", &[text]).candidate(0)
}

impl Names {
    fn find(&self, key: ObjectId) -> Option<&Name> {
        let slot = usize::try_from(self.index.get(&key)?).ok()?;
        self.slots.get(slot)?.as_ref()
    }

    /// Makes `name` the table's copy of its text, adding it when it is new.
    pub(crate) fn intern(&mut self, name: &mut Name) {
        let key = key(name);
        match self.find(key) {
            Some(shared) if **shared == **name => *name = shared.clone(),
            // Another text with the same hash: this one stays unshared.
            Some(_) => {}
            None => {
                let slot = match self.free.pop() {
                    Some(slot) => slot,
                    None => match u32::try_from(self.slots.len()) {
                        Ok(slot) if slot != u32::MAX => {
                            self.slots.push(None);
                            slot
                        }
                        // 2^32 names do not fit in memory anyway: this one stays unshared.
                        _ => return,
                    },
                };
                if let Some(place) = usize::try_from(slot).ok().and_then(|s| self.slots.get_mut(s))
                {
                    *place = Some(name.clone());
                }
                self.index.insert(key, slot);
            }
        }
    }

    /// Gives back an item's `name`: the table drops its copy when that was the last user.
    pub(crate) fn release(&mut self, name: Name) {
        // Ours and the table's: the last user.
        if Name::strong_count(&name) != 2 {
            return;
        }
        let key = key(&name);
        if !self.find(key).is_some_and(|shared| Name::ptr_eq(shared, &name)) {
            return;
        }
        if let Some(slot) = self.index.remove(&key) {
            if let Some(place) = usize::try_from(slot).ok().and_then(|s| self.slots.get_mut(s)) {
                *place = None;
                self.free.push(slot);
            }
        }
    }

    /// Whether `text` is in the table.
    #[cfg(test)]
    pub(crate) fn contains(&self, text: &str) -> bool {
        self.find(key(text)).is_some_and(|shared| &**shared == text)
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
