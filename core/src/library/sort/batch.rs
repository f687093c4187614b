//! Many inserts at once: child lists sorted once at the end instead of placed one by one.
//!
//! Placing a child that does not come after the last one costs a `memmove` of the list's tail
//! (see `place`), so filling a list of `k` children in random order costs `O(k²)`: the index
//! load of a million files spent most of its minute there, in All Tracks (rows come in path
//! order, and past 1,000 artists, `Artist 100/` < `Artist 1000/` < `Artist 101/`, titles do
//! not). During [`Library::batch`] a new child is always appended, and a list that was
//! appended to out of order, or whose child's sort key changed, is remembered; when the batch
//! ends each of those lists is sorted once, stably, `O(k log k)` (and `O(k)` for a list made of
//! a few sorted runs). Ties stay in arrival order, as placing keeps them, and albums, whose
//! key changes as their tracks come (the earliest date), never tie: the order at the end is
//! the one the same inserts give one at a time (an item retagged within a batch is the
//! exception: it keeps its place among the children equal to it, where placing would move it
//! after them).
//!
//! Between the batch's start and end the lists are in arrival order, so nothing may Browse
//! them: [`Library::batch`] holds the library mutably throughout. The host's index load runs
//! in one batch; the firmware never calls it, so the standard library's stable sort used here
//! costs its flash nothing.

use alloc::vec::Vec;

use super::super::store::SlotNo;
use super::super::tree::unique;
use super::super::{Library, ObjectId, ObjectRef};
use super::order_of;

impl Library {
    /// Runs `inserts` on this library with child lists sorted once at the end rather than
    /// kept in order at each insert (see the module docs). Nothing else changes: the ids, the
    /// system update id and the containers reported as changed are those of the same inserts
    /// without a batch (a container's update id may have risen by a different count: it only
    /// promises to change).
    pub fn batch<T>(&mut self, inserts: impl FnOnce(&mut Library) -> T) -> T {
        let outer = self.unsorted.replace(Vec::new());
        let result = inserts(self);
        self.sort_unsorted();
        self.unsorted = outer;
        result
    }

    /// Whether a batch is running: the caller of `place` or `replace` then only notes the
    /// list with [`Library::note_unsorted`].
    pub(crate) fn batching(&self) -> bool {
        self.unsorted.is_some()
    }

    /// Remembers that `container`'s children may be out of order until the batch ends. The
    /// list of such containers is made unique whenever it would grow, so it holds fewer than
    /// four times as many ids as there are different containers in it.
    pub(crate) fn note_unsorted(&mut self, container: ObjectId) {
        let Some(unsorted) = &mut self.unsorted else { return };
        if unsorted.last() == Some(&container) {
            return;
        }
        if unsorted.len() == unsorted.capacity() {
            unique(unsorted);
            unsorted.reserve(unsorted.len().max(16));
        }
        unsorted.push(container);
    }

    /// Sorts each list noted during the batch, stably, by its container's default order.
    fn sort_unsorted(&mut self) {
        let Some(mut unsorted) = self.unsorted.take() else { return };
        unique(&mut unsorted);
        for container in unsorted {
            let Some(c) = self.objects.get(&container).and_then(ObjectRef::as_container) else {
                continue;
            };
            let order = order_of(&c.kind);
            // Resolve each slot once.
            let mut resolved: Vec<(SlotNo, Option<ObjectRef<'_>>)> =
                c.children.iter().map(|&slot| (slot, self.objects.at(slot))).collect();
            resolved.sort_by(|(_, a), (_, b)| match (a, b) {
                (Some(a), Some(b)) => order(*a, *b),
                // Never: every child is in the library. Kept where they are relative to
                // each other, after the others.
                _ => a.is_none().cmp(&b.is_none()),
            });
            let mut sorted = Vec::with_capacity(resolved.len());
            sorted.extend(resolved.iter().map(|&(slot, _)| slot));
            drop(resolved);
            if let Some(c) = self.objects.container_mut(&container) {
                c.children = sorted;
            }
        }
    }
}

#[cfg(test)]
mod tests;
