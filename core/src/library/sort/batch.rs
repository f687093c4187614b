//! Many inserts at once: child lists sorted once at the end instead of placed one by one.
//!
//! Placing a child that does not come after the last one costs a `memmove` of the list's tail (see
//! `place`), so filling a list of `k` children in random order costs `O(k²)`: the index load of a
//! million files spent most of its minute there, in All Tracks (rows come in path order, and past
//! 1,000 artists, `Artist 100/` < `Artist 1000/` < `Artist 101/`, titles do not). During
//! [`Library::batch`] a new child is always appended, and a list that was appended to out of order,
//! or whose child's sort key changed, is remembered; when the batch ends each of those lists is
//! sorted once, stably, `O(k log k)` (and `O(k)` for a list made of a few sorted runs), each
//! child's key (a rank and its title, see `rank_of`) computed once rather than its record decoded
//! at every comparison. Ties stay in arrival order, as placing keeps them, and albums, whose key
//! changes as their tracks come (the earliest date), never tie: the order at the end is the one the
//! same inserts give one at a time (an item retagged within a batch is the exception: it keeps its
//! place among the children equal to it, where placing would move it after them).
//!
//! Between the batch's start and end the lists are in arrival order, so nothing may Browse
//! them: [`Library::batch`] holds the library mutably throughout. The host's index load runs
//! in one batch; the firmware never calls it, so the standard library's stable sort used here
//! costs its flash nothing.

use alloc::vec::Vec;

use super::super::store::SlotNo;
use super::super::tree::unique;
use super::super::{Kind, Library, ObjectId, ObjectRef, Shelf};
use super::{order_of, Order};
use crate::util::fold::fold_cmp;

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
            let sorted = match rank_of(&c.kind) {
                Some(rank) => self.sorted_by_rank(&c.children, rank),
                None => self.sorted_by_order(&c.children, order_of(&c.kind)),
            };
            if let Some(c) = self.objects.container_mut(&container) {
                c.children = sorted;
            }
        }
    }

    /// `children` sorted stably by `order`, each slot resolved once.
    fn sorted_by_order(&self, children: &[SlotNo], order: Order) -> Vec<SlotNo> {
        let mut resolved: Vec<(SlotNo, Option<ObjectRef<'_>>)> =
            children.iter().map(|&slot| (slot, self.objects.at(slot))).collect();
        resolved.sort_by(|(_, a), (_, b)| match (a, b) {
            (Some(a), Some(b)) => order(*a, *b),
            // Never: every child is in the library. Kept where they are relative to each
            // other, after the others.
            _ => a.is_none().cmp(&b.is_none()),
        });
        let mut sorted = Vec::with_capacity(resolved.len());
        sorted.extend(resolved.iter().map(|&(slot, _)| slot));
        sorted
    }

    /// `children` sorted stably by `rank`, then title and name, as [`rank_of`] says: each
    /// child's rank and title computed once (an item's title is decoded from its record, a
    /// few dozen byte reads), not at each of the `O(k log k)` comparisons.
    fn sorted_by_rank(&self, children: &[SlotNo], rank: Rank) -> Vec<SlotNo> {
        // 32 bytes a child, as many as the objects resolved by `sorted_by_order`.
        let mut keyed: Vec<(u64, &str, SlotNo)> = children
            .iter()
            .map(|&slot| match self.objects.at(slot) {
                Some(o) => (rank(o), o.title(), slot),
                // Never, as above: after the others.
                None => (u64::MAX, "", slot),
            })
            .collect();
        let name = |slot| self.objects.at(slot).map_or("", ObjectRef::name);
        keyed.sort_by(|a, b| {
            a.0.cmp(&b.0).then_with(|| fold_cmp(a.1, b.1)).then_with(|| name(a.2).cmp(name(b.2)))
        });
        let mut sorted = Vec::with_capacity(keyed.len());
        sorted.extend(keyed.iter().map(|&(_, _, slot)| slot));
        sorted
    }
}

/// The part of a container's default order that comes before the titles, as a number: with
/// it, then the titles case-folded, then the names byte-wise, a child list sorts as
/// [`order_of`] orders it. Computed once per child by [`Library::batch`]'s sort.
type Rank = fn(ObjectRef<'_>) -> u64;

/// The rank of the order of a container of `kind`, for the orders that are a rank then
/// [`super::default_order`]'s title and name: the tracks of an album and the default
/// order; `None` for the others (albums, ordered by their dates too, and the stored orders).
fn rank_of(kind: &Kind) -> Option<Rank> {
    match kind {
        Kind::Album { .. } => Some(track_rank),
        Kind::Artist | Kind::Shelf(Shelf::Albums | Shelf::Root | Shelf::Music) | Kind::Playlist => {
            None
        }
        _ => Some(default_rank),
    }
}

/// [`super::default_order`]'s rank: containers first.
fn default_rank(o: ObjectRef<'_>) -> u64 {
    u64::from(o.is_item())
}

/// `track_order`'s rank: disc number (missing counts as 0), then track number (numbered
/// first), then containers first.
fn track_rank(o: ObjectRef<'_>) -> u64 {
    let (disc, track) = o.as_item().map(|i| (i.disc(), i.track())).unwrap_or_default();
    let track = track.map_or(1 << 16, u64::from);
    u64::from(disc.unwrap_or(0)) << 18 | track << 1 | default_rank(o)
}

#[cfg(test)]
mod tests;
