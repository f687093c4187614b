//! [`Objects`]: the library's objects by id, stored densely.
//!
//! A `BTreeMap<ObjectId, Object>` keeps each object inside its B-tree nodes, and with ids that
//! are hashes (random keys) the nodes are only about 70% full, so every object cost about 1.4
//! times its size. Here an [`IdTable`] finds an id's slot number (a hash table of slot numbers
//! whose keys are the objects' ids, 4 to 9 bytes an entry), and the objects live in
//! fixed-size chunks of slots, filled in order: an object costs its own size plus 4 to 9
//! bytes of index. An object keeps no id: its id is computed from its place when needed
//! (see `derived.rs`: its path, or its tags in the music tree), and only the few ids that are
//! not their place's plain candidate (a collision's probe) are kept, by slot, beside. Inside the library
//! objects name each other by slot number ([`SlotNo`], 4 bytes: the containers' child lists,
//! each object's parent), read in `O(1)` without the index. A removed object's slot is reused by the next insert, so an object leaves
//! every list before it leaves the store;
//! chunks are never given back (a library that shrank a lot keeps its high-water mark of
//! slots, at most one object size per object it ever held at once). The objects' names and
//! items' titles live in one text arena beside them ([`Texts`]), compacted here when removals
//! and renames have left more garbage than half its live texts; items' tag names in the names
//! table ([`Names`]), whose users an object gives back as it goes.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::derived::{self, plain_id};
use super::idtable::{self, IdTable};
use super::names::Names;
use super::text::Texts;
use super::tree::FileRef;
use super::{Details, Error, FileInfo, Item, Kind, Node, Object, ObjectId, ObjectRef};
use crate::dlna::MediaFormat;

/// Slots per chunk: small enough that the last, partly used chunk wastes little, large enough
/// that the chunk list stays short. On 64-bit hosts 512 slots of 72 bytes are 36 KiB, a whole
/// number of 4 KiB pages (checked below), which an allocator serves from whole pages: a chunk
/// of 64 slots of 88 bytes (5,632) sat in jemalloc's 6,144-byte size class, 8% of the
/// objects' memory resident for nothing. On 32-bit firmware, with a heap of a few hundred KiB, 64.
const CHUNK: usize = if cfg!(target_pointer_width = "64") { 512 } else { 64 };

// A 64-bit host's chunk stays a whole number of pages as `Object` changes size.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(CHUNK * core::mem::size_of::<Option<Object>>() % 4096 == 0);

/// The number of an object's slot in the store: how child lists and parent links name an
/// object inside the library (4 bytes where an [`ObjectId`] takes 8). Internal only: ids are
/// the public, stable names. A removed object's slot is reused by the next insert, so every
/// list naming an object drops it before the object is removed (see `Library::detach`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SlotNo(u32);

/// The objects of a library by id and by slot number, both in `O(1)`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Objects {
    /// Each id's slot (all below [`idtable::MAX_SLOTS`]), keyed by the ids [`id_in`] gives.
    index: IdTable,
    /// The ids that are not their object's plain candidate (see `derived.rs`): probed ids
    /// (a collision or a hash of 0) and those of objects in no place that gives an id, by
    /// slot, sorted. Nearly always empty: about one pair of paths in 2^64 collides.
    kept: Vec<(u32, ObjectId)>,
    /// Slot `n` is `chunks[n / CHUNK][n % CHUNK]`.
    chunks: Vec<Box<[Option<Object>]>>,
    /// Slots emptied by removals, reused first.
    free: Vec<u32>,
    /// Slots ever handed out (the ones below it are in use or in `free`).
    used: u32,
    /// The objects' names and the items' titles.
    pub(crate) texts: Texts,
    /// The items' tag names (and the albums' dates).
    pub(crate) names: Names,
}

/// The object in slot `slot` of `chunks`.
fn object_in(chunks: &[Box<[Option<Object>]>], slot: u32) -> Option<&Object> {
    let slot = usize::try_from(slot).ok()?;
    chunks.get(slot / CHUNK)?.get(slot % CHUNK)?.as_ref()
}

/// The id of the object in slot `slot` of `chunks` (its texts in `texts`), the key of `slot`
/// in the [`IdTable`]: the one in `kept`, else the plain candidate of its place.
fn id_in(
    chunks: &[Box<[Option<Object>]>],
    texts: &Texts,
    kept: &[(u32, ObjectId)],
    slot: u32,
) -> Option<ObjectId> {
    if let Ok(at) = kept.binary_search_by_key(&slot, |&(s, _)| s) {
        return kept.get(at).map(|&(_, id)| id);
    }
    plain_in(chunks, texts, slot)
}

/// The plain id candidate of the object in slot `slot` of `chunks` (see `derived.rs`).
fn plain_in(chunks: &[Box<[Option<Object>]>], texts: &Texts, slot: u32) -> Option<ObjectId> {
    plain_id(object_in(chunks, slot)?, &|s| object_in(chunks, s.0), texts)
}

impl Objects {
    fn object(&self, slot: SlotNo) -> Option<&Object> {
        object_in(&self.chunks, slot.0)
    }

    fn place_mut(&mut self, slot: SlotNo) -> Option<&mut Option<Object>> {
        let slot = usize::try_from(slot.0).ok()?;
        self.chunks.get_mut(slot / CHUNK)?.get_mut(slot % CHUNK)
    }

    /// The number of objects.
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// The slot of the object with id `id`, `O(1)`.
    pub(crate) fn slot_of(&self, id: &ObjectId) -> Option<SlotNo> {
        self.index.get(*id, |s| id_in(&self.chunks, &self.texts, &self.kept, s)).map(SlotNo)
    }

    /// The object in slot `slot`, `O(1)`.
    pub(crate) fn at(&self, slot: SlotNo) -> Option<ObjectRef<'_>> {
        Some(ObjectRef::new(slot, self.object(slot)?, self))
    }

    /// The id of the object in slot `slot`: computed from its place (`O(depth)`, see
    /// `derived.rs`).
    pub(crate) fn id_at(&self, slot: SlotNo) -> Option<ObjectId> {
        id_in(&self.chunks, &self.texts, &self.kept, slot.0)
    }

    /// Where the object in slot `slot` lives on disk (see [`derived::file_ref`]).
    pub(crate) fn file_ref(&self, slot: SlotNo) -> Option<FileRef<'_>> {
        derived::file_ref(self.object(slot)?, &|s| self.object(s), &self.texts)
    }

    /// The object in slot `slot`, to change it.
    pub(crate) fn at_mut(&mut self, slot: SlotNo) -> Option<&mut Object> {
        self.place_mut(slot)?.as_mut()
    }

    /// The object with id `id`.
    pub(crate) fn get(&self, id: &ObjectId) -> Option<ObjectRef<'_>> {
        self.at(self.slot_of(id)?)
    }

    /// The object with id `id`, to change it (its name with [`Objects::rename`]).
    pub(crate) fn get_mut(&mut self, id: &ObjectId) -> Option<&mut Object> {
        self.at_mut(self.slot_of(id)?)
    }

    /// Gives object `id` the name `name`; it keeps its id. The ids of the objects below it
    /// read its name (see `derived.rs`), so only an object whose name no other id reads is
    /// renamed: a served folder (the library renames nothing else).
    pub(crate) fn rename(&mut self, id: &ObjectId, name: &str) -> Result<(), Error> {
        let text = self.texts.push(name)?;
        let Some(slot) = self.slot_of(id) else { return Err(Error::NotFound) };
        let Some(object) = self.at_mut(slot) else { return Err(Error::NotFound) };
        let old = core::mem::replace(&mut object.name, text);
        self.texts.free(old);
        self.unkeep(slot);
        self.keep_if_odd(slot, *id);
        self.tidy_texts();
        Ok(())
    }

    /// Keeps `id` in [`Objects::kept`] if it is not the plain candidate of the object in
    /// `slot` (which has no id kept).
    fn keep_if_odd(&mut self, slot: SlotNo, id: ObjectId) {
        if plain_in(&self.chunks, &self.texts, slot.0) != Some(id) {
            let at = self.kept.partition_point(|&(s, _)| s < slot.0);
            self.kept.insert(at, (slot.0, id));
        }
    }

    /// Drops the id kept for `slot`, if any.
    fn unkeep(&mut self, slot: SlotNo) {
        if let Ok(at) = self.kept.binary_search_by_key(&slot.0, |&(s, _)| s) {
            self.kept.remove(at);
        }
    }

    /// Compacts the text arena if its garbage outweighs half its live texts, `O(n)`.
    fn tidy_texts(&mut self) {
        if !self.texts.wants_compacting() {
            return;
        }
        let old = self.texts.compact();
        for chunk in &mut self.chunks {
            for object in chunk.iter_mut().flatten() {
                // The new arena is smaller than the old one: every text fits.
                object.name = self.texts.keep(&old, object.name).unwrap_or_default();
                if let Node::Item(item) = &mut object.node {
                    item.keep_title(&mut self.texts, &old);
                }
            }
        }
    }

    /// Whether an object has id `id`.
    pub(crate) fn contains_key(&self, id: &ObjectId) -> bool {
        self.slot_of(id).is_some()
    }

    /// Stores an object named `name` as `id` below the object `parent` (itself for the root),
    /// replacing the object that had that id; returns its slot. Fails if `parent` is not
    /// stored ([`Error::NotFound`]), or when [`idtable::MAX_SLOTS`] objects are stored or the
    /// names pass 4 GiB ([`Error::Full`]; neither fits in memory anyway). An `id` other than
    /// the plain candidate of the object's place is kept beside it (see `derived.rs`).
    pub(crate) fn insert(
        &mut self,
        id: ObjectId,
        parent: ObjectId,
        name: &str,
        node: Node,
    ) -> Result<SlotNo, Error> {
        // A replaced object goes as a removed one does (its slot is the next one taken).
        self.remove(&id);
        let parent =
            if parent == id { None } else { Some(self.slot_of(&parent).ok_or(Error::NotFound)?) };
        let name = self.texts.push(name)?;
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                let slot = self.used;
                if slot >= idtable::MAX_SLOTS {
                    return Err(Error::Full);
                }
                self.used = slot + 1;
                if usize::try_from(slot).map_or(true, |s| s / CHUNK >= self.chunks.len()) {
                    self.chunks.push((0..CHUNK).map(|_| None).collect());
                }
                slot
            }
        };
        let slot = SlotNo(slot);
        if let Some(place) = self.place_mut(slot) {
            *place = Some(Object { parent: parent.unwrap_or(slot), name, node });
        }
        self.keep_if_odd(slot, id);
        self.index.insert(id, slot.0, |s| id_in(&self.chunks, &self.texts, &self.kept, s));
        Ok(slot)
    }

    /// Takes the object with id `id` out; returns its node (its name is gone). Its slot is
    /// the next one handed out: no list may name it any more (checked in tests, see
    /// `assert_links` in `tree/tests.rs`). The objects below it must have gone first: their ids read
    /// its name (see `derived.rs`).
    pub(crate) fn remove(&mut self, id: &ObjectId) -> Option<Node> {
        let (chunks, texts, kept) = (&self.chunks, &self.texts, &self.kept);
        let slot = SlotNo(self.index.remove(*id, |s| id_in(chunks, texts, kept, s))?);
        self.unkeep(slot);
        let object = self.place_mut(slot)?.take();
        self.free.push(slot.0);
        let object = object?;
        self.texts.free(object.name);
        self.release(&object.node);
        Some(object.node)
    }

    /// The record of a file of `format` and `file` with `details`, its texts in this store
    /// (see [`Item::new`]).
    pub(crate) fn item(
        &mut self,
        format: MediaFormat,
        file: FileInfo,
        details: Details,
    ) -> Result<Item, Error> {
        Item::new(format, file, details, &mut self.texts, &mut self.names)
    }

    /// Gives back the texts and names of `node`, which left the store or was replaced.
    pub(crate) fn release(&mut self, node: &Node) {
        match node {
            Node::Item(item) => item.release(&mut self.texts, &mut self.names),
            Node::Container(c) => {
                if let Kind::Album { date: Some(date) } = c.kind {
                    self.names.release(date);
                }
            }
        }
        self.tidy_texts();
    }

    /// Every object with its slot, in slot order.
    pub(crate) fn slots(&self) -> impl Iterator<Item = (SlotNo, ObjectRef<'_>)> + '_ {
        (0..self.used).filter_map(|n| Some((SlotNo(n), self.at(SlotNo(n))?)))
    }

    /// How many ids are kept beside their objects (not computed from their place).
    #[cfg(test)]
    pub(crate) fn kept(&self) -> usize {
        self.kept.len()
    }

    /// Every object, in slot order.
    #[cfg(test)]
    pub(crate) fn values(&self) -> impl Iterator<Item = ObjectRef<'_>> + '_ {
        self.slots().map(|(_, object)| object)
    }

    /// Every object, to change it (in slot order; not its name).
    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut Object> + '_ {
        self.chunks.iter_mut().flat_map(|chunk| chunk.iter_mut().flatten())
    }
}

/// A set of a library's objects, one bit per slot: what a walk over the tree has met already
/// (items and albums are listed in several containers), in `O(1)` a step and an eighth of a
/// byte per object, with no B-tree of ids (about 2.5 KB of flash a type on the firmware).
#[derive(Debug)]
pub(crate) struct Seen {
    bits: Vec<u32>,
}

impl Seen {
    /// An empty set over `objects`.
    pub(crate) fn new(objects: &Objects) -> Self {
        let words = usize::try_from(objects.used.div_ceil(32)).unwrap_or(0);
        Self { bits: alloc::vec![0; words] }
    }

    /// Adds the object in `slot`; false if it was in the set already or is not in the library.
    pub(crate) fn insert(&mut self, slot: SlotNo) -> bool {
        let Some(word) = usize::try_from(slot.0 / 32).ok().and_then(|w| self.bits.get_mut(w))
        else {
            return false;
        };
        let bit = 1 << (slot.0 % 32);
        let new = *word & bit == 0;
        *word |= bit;
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::tree::new_container;
    use crate::library::Kind;
    use alloc::collections::BTreeMap;
    use alloc::string::String;

    /// An object as the model holds it: parent, name and node.
    fn seen(o: ObjectRef<'_>) -> (ObjectId, String, Node) {
        (o.parent(), o.name().into(), o.node().clone())
    }

    #[test]
    fn behaves_like_a_btree_map_across_chunks_reuse_and_compaction() {
        let mut objects = Objects::default();
        let mut model = BTreeMap::new();
        let node = new_container(Kind::Artist);
        // A scrambled order of ids, several chunks' worth, with removals and replacements:
        // enough garbage in the names to compact them several times.
        // More ids than one chunk holds (512 slots on 64-bit hosts).
        const IDS: u64 = 1300;
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut compactions = 0;
        for step in 0..4000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let id = ObjectId(x % IDS);
            let before = objects.texts.len();
            if step % 3 == 0 {
                let gone = objects.remove(&id);
                assert_eq!(gone, model.remove(&id).map(|(_, _, n)| n), "step {step}");
            } else {
                let name = alloc::format!("{step} {}", "x".repeat(step as usize % 70));
                objects.insert(id, id, &name, node.clone()).unwrap();
                model.insert(id, (id, name, node.clone()));
            }
            compactions += usize::from(objects.texts.len() < before);
            assert_eq!(objects.len(), model.len());
        }
        assert!(model.len() > CHUNK, "spans chunks");
        // Artists named otherwise than their ids' tags say: every id is kept beside them.
        assert_eq!(objects.kept(), model.len());
        assert!(compactions >= 2, "{compactions} compactions");
        let mut all: Vec<_> = objects.slots().map(|(_, o)| (o.id(), seen(o))).collect();
        all.sort_by_key(|(id, _)| *id);
        assert_eq!(all, model.clone().into_iter().collect::<Vec<_>>());
        for id in (0..IDS + 10).map(ObjectId) {
            assert_eq!(objects.get(&id).map(seen), model.get(&id).cloned());
            assert_eq!(objects.contains_key(&id), model.contains_key(&id));
        }
        // Slots are reused: never more than the high-water mark of objects held at once.
        assert!(u64::from(objects.used) <= IDS);
        let id = *model.keys().next().unwrap();
        objects.rename(&id, "renamed").unwrap();
        assert_eq!(objects.get(&id).unwrap().name(), "renamed");
        assert_eq!(objects.values_mut().count(), model.len());
        // The arena holds at most 1.5 times the live names (and the slack).
        let live: usize = objects.values().map(|o| o.name().len() + 2).sum();
        assert!(objects.texts.len() <= live * 3 / 2 + 4096 + 200, "{}", objects.texts.len());
    }
}
