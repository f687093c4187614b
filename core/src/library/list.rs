//! [`List`]: some of a library's objects in an order, read by slot.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use super::store::{Objects, SlotNo};
use super::{ObjectId, ObjectRef};

/// Objects of a library in an order: a container's children (borrowed from the library in
/// its default order, or a sorted copy), a page of them, or search results. It names them
/// by slot, so reading one costs no id lookup.
#[derive(Debug, Clone)]
pub struct List<'a> {
    objects: &'a Objects,
    slots: Cow<'a, [SlotNo]>,
}

impl<'a> List<'a> {
    /// The objects in `slots` of `objects`.
    pub(crate) fn new(objects: &'a Objects, slots: Cow<'a, [SlotNo]>) -> Self {
        List { objects, slots }
    }

    /// The number of objects.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Whether the list borrows the library's own list (no copy was made).
    pub fn is_borrowed(&self) -> bool {
        matches!(self.slots, Cow::Borrowed(_))
    }

    /// The objects, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = ObjectRef<'a>> + '_ {
        let objects = self.objects;
        self.slots.iter().filter_map(move |&slot| objects.at(slot))
    }

    /// The objects' ids, in order.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = ObjectId> + '_ {
        let objects = self.objects;
        self.slots.iter().filter_map(move |&slot| objects.id_at(slot))
    }

    /// The `n`th object.
    pub fn get(&self, n: usize) -> Option<ObjectRef<'a>> {
        self.objects.at(*self.slots.get(n)?)
    }

    /// The objects' ids, in order, in a vector.
    pub fn to_vec(&self) -> Vec<ObjectId> {
        self.ids().collect()
    }

    /// Whether object `id` is in the list, `O(n)`.
    pub fn contains(&self, id: ObjectId) -> bool {
        self.objects.slot_of(&id).is_some_and(|slot| self.slots.contains(&slot))
    }

    /// The objects from `start` up to (not including) `end`, both cut to the length; borrowed
    /// when this list is.
    pub fn range(self, start: usize, end: usize) -> Self {
        let end = end.min(self.slots.len());
        let start = start.min(end);
        let slots = match self.slots {
            Cow::Borrowed(all) => Cow::Borrowed(all.get(start..end).unwrap_or(&[])),
            Cow::Owned(mut all) => {
                all.truncate(end);
                all.drain(..start);
                Cow::Owned(all)
            }
        };
        List { objects: self.objects, slots }
    }

    /// Keeps only the first `n` objects.
    pub fn truncate(&mut self, n: usize) {
        match &mut self.slots {
            Cow::Borrowed(all) => *all = all.get(..n).unwrap_or(all),
            Cow::Owned(all) => all.truncate(n),
        }
    }

    /// The slots, in order.
    pub(crate) fn slots(&self) -> &[SlotNo] {
        &self.slots
    }
}
