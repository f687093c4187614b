//! Keeping every child list in its container's default order as children come, go and change.
//!
//! A child list is always sorted by its container's default order ([`super::order_of`]), so a
//! default-order Browse borrows it and nothing ever sorts a whole list. A new child that comes
//! after the last one (a scan's walk and an index load are in name order) is appended after one
//! comparison; any other is placed by binary search (`O(log k)` comparisons and one `memmove`
//! of the list's tail); a child whose sort
//! key changed (a retag, a renamed served folder, an album's earliest date) is found and moved to
//! its new place, touching only the entries between its old and new places. Ties keep the order
//! in which children arrived: a new child goes after the ones equal to it.

use core::cmp::Ordering;

use super::super::store::SlotNo;
use super::super::tree::Found;
use super::super::{Library, ObjectId, ObjectRef};
use super::order_of;

impl Library {
    /// Inserts the object in slot `slot` (already in the library) into `container`'s children
    /// at its place in the default order, after the children equal to it.
    pub(crate) fn place(&mut self, container: Found, slot: SlotNo) {
        let at = {
            let Some(c) = self.objects.at(container.slot).and_then(ObjectRef::as_container) else {
                return;
            };
            let order = order_of(&c.kind);
            let not_after = |&s: &SlotNo, new: ObjectRef<'_>| {
                self.objects.at(s).is_none_or(|o| order(o, new) != Ordering::Greater)
            };
            match self.objects.at(slot) {
                // In order after the last (a scan's or an index load's usual case): one
                // comparison.
                Some(new) if c.children.last().is_none_or(|last| not_after(last, new)) => None,
                // In a batch, appended all the same and sorted at its end (see `batch`).
                Some(_) if self.batching() => Some(c.children.len()),
                Some(new) => Some(c.children.partition_point(|id| not_after(id, new))),
                None => None,
            }
        };
        if let Some(c) = self.objects.container_mut(&container.id) {
            c.children.insert(at.unwrap_or(c.children.len()).min(c.children.len()), slot);
        }
        if at.is_some() && self.batching() {
            self.note_unsorted(container.id);
        }
    }

    /// Moves `child`, listed in `container`, to its place in the default order after its sort
    /// key changed. Costs `O(log k)` comparisons when it did not move; otherwise one scan for
    /// it and a move of the entries between its old and new places.
    pub(crate) fn replace(&mut self, container: ObjectId, child: ObjectId) {
        if self.batching() {
            // Sorted at the batch's end, the list may be out of order now.
            self.note_unsorted(container);
            return;
        }
        let Some(c) = self.objects.get(&container).and_then(ObjectRef::as_container) else {
            return;
        };
        let Some(slot) = self.objects.slot_of(&child) else { return };
        let Some(obj) = self.objects.at(slot) else { return };
        let order = order_of(&c.kind);
        let children = &c.children[..];
        let cmp = |&s: &SlotNo| self.objects.at(s).map_or(Ordering::Less, |o| order(o, obj));
        // Where its current key says it is, else anywhere.
        let low = children.partition_point(|id| cmp(id) == Ordering::Less);
        let tied = children.get(low..).unwrap_or(&[]).iter().take_while(|id| cmp(id).is_eq());
        let Some(at) = tied
            .clone()
            .position(|&s| s == slot)
            .map(|p| low + p)
            .or_else(|| children.iter().position(|&s| s == slot))
        else {
            return;
        };
        let (before, after) = (children.get(..at).unwrap_or(&[]), children.get(at + 1..));
        let after = after.unwrap_or(&[]);
        let target = if before.last().is_some_and(|id| cmp(id).is_gt()) {
            // Earlier: after the last entry before it that is not greater.
            Some(before.partition_point(|id| !cmp(id).is_gt()))
        } else if after.first().is_some_and(|id| cmp(id).is_lt()) {
            // Later: after the entries after it that are not greater (ties keep it last).
            Some(at + after.partition_point(|id| !cmp(id).is_gt()))
        } else {
            None
        };
        let Some(target) = target else { return };
        if let Some(c) = self.objects.container_mut(&container) {
            if target < at {
                if let Some(span) = c.children.get_mut(target..=at) {
                    span.rotate_right(1);
                }
            } else if let Some(span) = c.children.get_mut(at..=target) {
                span.rotate_left(1);
            }
        }
    }
}

#[cfg(test)]
mod tests;
