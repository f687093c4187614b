//! [`Objects`]: the library's objects by id, stored densely.
//!
//! A `BTreeMap<ObjectId, Object>` keeps each object inside its B-tree nodes, and with ids that are
//! hashes (random keys) the nodes are only about 70% full, so every object cost about 1.4 times its
//! size. Here an [`IdTable`] finds an id's slot number (a hash table of slot numbers whose keys are
//! the objects' ids, 4 to 9 bytes an entry), and the objects live in fixed-size chunks of slots,
//! filled in order: an object costs its own size plus 4 to 9 bytes of index. An object keeps no id:
//! its id is computed from its place when needed (see `derived.rs`: its path, or its tags in the
//! music tree), and only the few ids that are not their place's plain candidate (a collision's
//! probe) are kept, by slot, beside. Inside the library objects name each other by slot number
//! ([`SlotNo`], 4 bytes: the containers' child lists, each object's parent), read in `O(1)` without
//! the index. A removed object's slot is reused by the next insert, so an object leaves every list
//! before it leaves the store; chunks are never given back (a library that shrank a lot keeps its
//! high-water mark of slots, at most one object size per object it ever held at once). A slot holds
//! 16 bytes: the object's parent's slot, its name's place and what it is ([`Body`]): a container's
//! index in a table of containers kept beside the slots (a tenth to a fifth of the objects, so the
//! slots stay small), or an item's record. The objects' names and items' records (see [`Item`])
//! live in one text arena beside them ([`Texts`]), compacted here when removals, renames and
//! changed items have left more garbage than half its live texts; items' tag names in the names
//! table ([`Names`]), whose users an object gives back as it goes.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::derived::{self, plain_id};
use super::idtable::{self, IdTable};
use super::names::Names;
use super::object::Body;
use super::text::Text;
use super::text::Texts;
use super::tree::FileRef;
use super::{
    Container, Details, Error, FileInfo, Item, Kind, Node, Object, ObjectId, ObjectRef, Shelf,
};
use crate::dlna::MediaFormat;

/// Slots per chunk: small enough that the last, partly used chunk wastes little, large enough
/// that the chunk list stays short. On 64-bit hosts 512 slots of 16 bytes are 8 KiB, a whole
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

impl SlotNo {
    /// The slot of `shelf`: the shelves are the first objects of every library, in the order
    /// of [`Shelf::ALL`], their declaration order (see `Library::with_limit`), and never leave.
    pub(crate) fn of_shelf(shelf: Shelf) -> SlotNo {
        SlotNo(shelf as u32)
    }
}

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
    /// The containers (a tenth to a fifth of the objects), kept apart so that an object's
    /// slot stays small: an object's [`Body::Container`] is its index here.
    containers: Vec<Container>,
    /// Places in `containers` emptied by removals, reused first.
    spare: Vec<u32>,
    /// The objects' names and the items' records.
    pub(crate) texts: Texts,
    /// The items' tag names (and the albums' dates).
    pub(crate) names: Names,
}

/// The object in slot `slot` of `chunks`.
fn object_in(chunks: &[Box<[Option<Object>]>], slot: u32) -> Option<&Object> {
    let slot = usize::try_from(slot).ok()?;
    chunks.get(slot / CHUNK)?.get(slot % CHUNK)?.as_ref()
}

/// The id of the object in slot `slot` of `chunks` (its texts in `texts`, the containers'
/// kinds in `containers`), the key of `slot` in the [`IdTable`]: the one in `kept`, else the
/// plain candidate of its place.
fn id_in(
    chunks: &[Box<[Option<Object>]>],
    containers: &[Container],
    texts: &Texts,
    kept: &[(u32, ObjectId)],
    slot: u32,
) -> Option<ObjectId> {
    if let Ok(at) = kept.binary_search_by_key(&slot, |&(s, _)| s) {
        return kept.get(at).map(|&(_, id)| id);
    }
    plain_in(chunks, containers, texts, slot)
}

/// The plain id candidate of the object in slot `slot` of `chunks` (see `derived.rs`).
fn plain_in(
    chunks: &[Box<[Option<Object>]>],
    containers: &[Container],
    texts: &Texts,
    slot: u32,
) -> Option<ObjectId> {
    plain_id(object_in(chunks, slot)?, &|s| object_in(chunks, s.0), containers, texts)
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
        self.index
            .get(*id, |s| id_in(&self.chunks, &self.containers, &self.texts, &self.kept, s))
            .map(SlotNo)
    }

    /// The object in slot `slot`, `O(1)`.
    pub(crate) fn at(&self, slot: SlotNo) -> Option<ObjectRef<'_>> {
        Some(ObjectRef::new(slot, self.object(slot)?, self))
    }

    /// The id of the object in slot `slot`: computed from its place (`O(depth)`, see
    /// `derived.rs`).
    pub(crate) fn id_at(&self, slot: SlotNo) -> Option<ObjectId> {
        id_in(&self.chunks, &self.containers, &self.texts, &self.kept, slot.0)
    }

    /// Where the object in slot `slot` lives on disk (see [`derived::file_ref`]).
    pub(crate) fn file_ref(&self, slot: SlotNo) -> Option<FileRef<'_>> {
        derived::file_ref(self.object(slot)?, &|s| self.object(s), &self.containers, &self.texts)
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

    /// The container at `at` of the table of containers.
    pub(crate) fn container(&self, at: u32) -> Option<&Container> {
        self.containers.get(usize::try_from(at).ok()?)
    }

    /// The container with id `id`, to change it; `None` for an item or an unknown id.
    pub(crate) fn container_mut(&mut self, id: &ObjectId) -> Option<&mut Container> {
        let Body::Container(at) = self.get(id)?.body else { return None };
        self.containers.get_mut(usize::try_from(at).ok()?)
    }

    /// Trims the spare capacity of the child lists, the text arena and the table of
    /// containers (see [`super::Library::tidy`]).
    pub(crate) fn shrink(&mut self) {
        for c in &mut self.containers {
            c.children.shrink_to_fit();
        }
        self.containers.shrink_to_fit();
        self.texts.shrink_to_fit();
    }

    /// Gives container `id` the name `name`; it keeps its id. The ids of the objects below it
    /// read its name (see `derived.rs`), so only an object whose name no other id reads is
    /// renamed: a served folder (the library renames nothing else). An item's name, which may
    /// hold its title, stays: [`Error::NotAContainer`].
    pub(crate) fn rename(&mut self, id: &ObjectId, name: &str) -> Result<(), Error> {
        if self.get(id).ok_or(Error::NotFound)?.is_item() {
            return Err(Error::NotAContainer);
        }
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
        if plain_in(&self.chunks, &self.containers, &self.texts, slot.0) != Some(id) {
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
                if let Body::Item(record) = &mut object.body {
                    *record = self.texts.keep(&old, *record).unwrap_or_default();
                }
            }
        }
    }

    /// Whether an object has id `id`.
    pub(crate) fn contains_key(&self, id: &ObjectId) -> bool {
        self.slot_of(id).is_some()
    }

    /// Stores an object named `name` as `id`, which no object has (the caller looked), below the
    /// object in slot `parent` (which the caller found; `None`: its own parent, the root); returns
    /// its slot. Fails when [`idtable::MAX_SLOTS`] objects are stored or the names pass 4 GiB
    /// ([`Error::Full`]; neither fits in memory anyway). When it fails, `node` is the caller's to
    /// release ([`Objects::release`]). An `id` other than the plain candidate of the object's place
    /// is kept beside it (see `derived.rs`).
    pub(crate) fn insert(
        &mut self,
        id: ObjectId,
        parent: Option<SlotNo>,
        name: &str,
        node: Node,
    ) -> Result<SlotNo, Error> {
        // The texts are tidied once `node`'s record is stored, not before (it would be lost).
        let name = self.texts.push(name)?;
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                let slot = self.used;
                if slot >= idtable::MAX_SLOTS {
                    self.texts.free(name);
                    return Err(Error::Full);
                }
                self.used = slot + 1;
                if usize::try_from(slot).map_or(true, |s| s / CHUNK >= self.chunks.len()) {
                    self.chunks.push((0..CHUNK).map(|_| None).collect());
                }
                slot
            }
        };
        let body = match node {
            Node::Item(record) => Body::Item(record),
            Node::Container(container) => Body::Container(self.keep_container(container)),
        };
        let slot = SlotNo(slot);
        if let Some(place) = self.place_mut(slot) {
            *place = Some(Object { parent: parent.unwrap_or(slot), name, body });
        }
        self.keep_if_odd(slot, id);
        let (chunks, containers, texts, kept) =
            (&self.chunks, &self.containers, &self.texts, &self.kept);
        self.index.insert(id, slot.0, |s| id_in(chunks, containers, texts, kept, s));
        self.tidy_texts();
        Ok(slot)
    }

    /// Puts `container` in the table of containers; returns its index.
    fn keep_container(&mut self, container: Container) -> u32 {
        if let Some(at) = self.spare.pop() {
            if let Some(place) = self.containers.get_mut(at as usize) {
                *place = container;
                return at;
            }
        }
        // Fewer containers than objects, whose slot numbers are below `u32::MAX`.
        let at = u32::try_from(self.containers.len()).unwrap_or(u32::MAX);
        self.containers.push(container);
        at
    }

    /// Takes the object with id `id` out; false if there was none. Its slot is the next one
    /// handed out: no list may name it any more (checked in tests, see
    /// `Library::check_links`).
    pub(crate) fn remove(&mut self, id: &ObjectId) -> bool {
        let (chunks, containers, texts, kept) =
            (&self.chunks, &self.containers, &self.texts, &self.kept);
        let Some(slot) = self.index.remove(*id, |s| id_in(chunks, containers, texts, kept, s))
        else {
            return false;
        };
        let slot = SlotNo(slot);
        self.unkeep(slot);
        let object = self.place_mut(slot).and_then(Option::take);
        self.free.push(slot.0);
        let Some(object) = object else { return false };
        self.texts.free(object.name);
        match object.body {
            Body::Item(record) => self.drop_record(record).release(&mut self.names),
            Body::Container(at) => {
                let empty = Container { children: Vec::new(), update_id: 0, kind: Kind::Genre };
                if let Some(place) = self.containers.get_mut(at as usize) {
                    if let Kind::Album { date: Some(date) } = place.kind {
                        self.names.release(date);
                    }
                    *place = empty;
                    self.spare.push(at);
                }
            }
        }
        self.tidy_texts();
        true
    }

    /// Writes the record of a file named `name`, of `format` and `file`, with `details` and
    /// `thumbnail` (see [`Item::store`]): what [`Node::Item`] and [`Objects::set_record`] take.
    pub(crate) fn item(
        &mut self,
        format: MediaFormat,
        file: FileInfo,
        details: Details,
        name: &str,
        thumbnail: bool,
    ) -> Result<Text, Error> {
        Item::store(format, file, &details, name, thumbnail, &mut self.texts, &mut self.names)
    }

    /// Gives item `id` the record `record` (from [`Objects::item`]); returns the item it was,
    /// whose names the caller gives back with [`Objects::release_item`] once nothing needs
    /// them. Fails for an unknown id or a container (then `record` is the caller's).
    pub(crate) fn set_record(&mut self, id: &ObjectId, record: Text) -> Result<Item, Error> {
        let object = self.get_mut(id).ok_or(Error::NotFound)?;
        let Body::Item(old) = &mut object.body else { return Err(Error::NotAnItem) };
        let old = core::mem::replace(old, record);
        Ok(self.drop_record(old))
    }

    /// Records whether the shell has a thumbnail of item `id` (see [`Item::thumbnail`]);
    /// false if it already had it so, or is no item.
    pub(crate) fn set_thumbnail(&mut self, id: &ObjectId, thumbnail: bool) -> Result<bool, Error> {
        let object = self.get(id).ok_or(Error::NotFound)?;
        let Body::Item(record) = object.body else { return Err(Error::NotAnItem) };
        let item = Item::read(self.texts.get(record));
        if item.thumbnail() == thumbnail {
            return Ok(false);
        }
        let new = item.rewrite(record, thumbnail, &mut self.texts)?;
        if let Some(Body::Item(place)) = self.get_mut(id).map(|o| &mut o.body) {
            *place = new;
        }
        self.texts.free(record);
        self.tidy_texts();
        Ok(true)
    }

    /// Frees the text of `record`, no longer any object's; returns its item (whose names are
    /// still held), read before the text can go.
    fn drop_record(&mut self, record: Text) -> Item {
        let item = Item::read(self.texts.get(record));
        self.texts.free(record);
        item
    }

    /// Gives back the names of `item`, taken out by [`Objects::set_record`].
    pub(crate) fn release_item(&mut self, item: &Item) {
        item.release(&mut self.names);
        self.tidy_texts();
    }

    /// Gives back the texts and names of `node`, which never made it into the store.
    pub(crate) fn release(&mut self, node: &Node) {
        match node {
            Node::Item(record) => {
                let item = self.drop_record(*record);
                self.release_item(&item);
            }
            Node::Container(c) => {
                if let Kind::Album { date: Some(date) } = c.kind {
                    self.names.release(date);
                }
            }
        }
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
    use crate::library::Tags;
    use alloc::collections::BTreeMap;
    use alloc::string::{String, ToString};

    /// An object as the model holds it: parent, name, kind (none for an item), title and an
    /// item's artist.
    type Seen = (ObjectId, String, Option<Kind>, String, Option<String>);

    fn seen(o: ObjectRef<'_>) -> Seen {
        let artist = o.tag(crate::library::Tag::Artist).map(Into::into);
        (
            o.parent(),
            o.name().into(),
            o.as_container().map(|c| c.kind.clone()),
            o.title().into(),
            artist,
        )
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
            // An id inserted again replaces its object: it goes first.
            let gone = objects.remove(&id);
            assert_eq!(gone, model.remove(&id).is_some(), "step {step}");
            if step % 3 == 0 {
                // Removed only.
            } else if step % 2 == 0 {
                // An item, titled with a part of its name or with a title of its own.
                let name = alloc::format!("{step} {}.flac", "x".repeat(step as usize % 70));
                let title =
                    if step % 4 == 0 { step.to_string() } else { alloc::format!("own {step}") };
                let artist = alloc::format!("Artist {}", step % 7);
                let tags = Tags {
                    title: Some(title.as_str().into()),
                    artist: Some(artist.as_str().into()),
                    ..Tags::default()
                };
                let file = FileInfo { size: step.into(), mtime: 1 };
                let details = Details::tagged(tags);
                let record = objects.item(MediaFormat::Flac, file, details, &name, false).unwrap();
                objects.insert(id, None, &name, Node::Item(record)).unwrap();
                model.insert(id, (id, name, None, title, Some(artist)));
            } else {
                let name = alloc::format!("{step} {}", "x".repeat(step as usize % 70));
                objects.insert(id, None, &name, node.clone()).unwrap();
                model.insert(id, (id, name.clone(), Some(Kind::Artist), name, None));
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
        let (&id, _) = model.iter().find(|(_, m)| m.2.is_some()).unwrap();
        objects.rename(&id, "renamed").unwrap();
        assert_eq!(objects.get(&id).unwrap().name(), "renamed");
        // An item keeps its name, which may hold its title.
        let (&item, _) = model.iter().find(|(_, m)| m.2.is_none()).unwrap();
        assert_eq!(objects.rename(&item, "renamed"), Err(Error::NotAContainer));
        assert_eq!(objects.values().count(), model.len());
        // The arena holds at most 1.5 times the live names and records (and the slack).
        let live: usize = objects
            .values()
            .map(|o| o.name().len() + 2 + o.record().map_or(0, |r| r.len() + 2))
            .sum();
        assert!(objects.texts.len() <= live * 3 / 2 + 4096 + 200, "{}", objects.texts.len());
        // Every name goes with the last item holding it.
        for id in model.keys() {
            assert!(objects.remove(id));
        }
        assert!(objects.names.is_empty() && objects.len() == 0);
    }
}
