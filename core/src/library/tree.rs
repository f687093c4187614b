//! [`Library`]: the object tree and its operations.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;

use super::id::PathHash;
use super::music::{Groups, Slot};
use super::store::{Objects, Seen, SlotNo};
use super::{
    Container, Details, Error, FileInfo, Kind, List, Node, ObjectId, ObjectRef, Shelf, SortSpec,
    MAX_PROBES,
};
use crate::dlna::MediaFormat;

/// The most components a relative path may have.
pub const MAX_PATH_DEPTH: usize = 64;

/// A relative path's components, from the served folder down.
pub(crate) type Components<'a> = heapless::Vec<&'a str, MAX_PATH_DEPTH>;

/// The library: every object by id, and the system update id.
#[derive(Debug, Clone)]
pub struct Library {
    pub(crate) objects: Objects,
    system_update_id: u32,
    limit: usize,
    /// Containers whose update id changed since the last [`Library::take_container_updates`],
    /// possibly repeated: sorted and deduplicated whenever it would grow (see
    /// [`Library::touch_child`]), so it holds fewer than four times as many ids as there are
    /// different containers in it: bounded as the set it replaces.
    changed: Vec<ObjectId>,
    /// The artists of each folder's albums filed by `ARTIST`, for the compilation guess.
    pub(crate) groups: Groups,
    /// During [`Library::batch`], the containers whose children may be out of order until it
    /// ends (see `sort::batch`); `None` outside one.
    pub(crate) unsorted: Option<Vec<ObjectId>>,
    /// The subtitle files of each folder (see [`super::sidecar`]).
    #[cfg(feature = "subtitles")]
    pub(crate) sidecars: super::sidecar::Sidecars,
}

/// Where an object lives on disk, as the shell resolves it: a served folder's index and the
/// path relative to it. [`fmt::Display`] writes the relative path with `/` separators (empty for
/// a served folder itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef<'a> {
    /// The served folder's index, as given to [`Library::add_root`].
    pub root: u16,
    pub(crate) components: Components<'a>,
}

impl<'a> FileRef<'a> {
    /// The path components from the served folder down.
    pub fn components(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.components.iter().copied()
    }

    /// The same path with its last component (the file name) replaced by `name`, a file
    /// beside it; `None` for a served folder itself.
    #[cfg(feature = "subtitles")]
    pub(crate) fn replace_last(&mut self, name: &'a str) -> Option<()> {
        *self.components.last_mut()? = name;
        Some(())
    }
}

impl fmt::Display for FileRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.components.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            f.write_str(c)?;
        }
        Ok(())
    }
}

/// Splits a relative path into validated components (`""` is the served folder itself).
pub(crate) fn components(rel: &str) -> Result<Components<'_>, Error> {
    let mut out = Components::new();
    if rel.is_empty() {
        return Ok(out);
    }
    for c in rel.split('/') {
        if c.is_empty() || c == "." || c == ".." || c.contains('\0') {
            return Err(Error::BadPath);
        }
        out.push(c).map_err(|_| Error::PathTooDeep)?;
    }
    Ok(out)
}

pub(crate) fn is_hidden(comps: &[&str]) -> bool {
    comps.iter().any(|c| c.starts_with('.'))
}

/// Sorts `ids` and drops repeats: the library's sets of ids are sorted lists (a B-tree type
/// costs the firmware about 2.5 KB of flash).
pub(crate) fn unique(ids: &mut Vec<ObjectId>) {
    crate::util::heapsort::sort_unstable_by(ids, Ord::cmp);
    ids.dedup();
}

/// An object a step has just found or created: its id and its slot, so that the next steps
/// reach it by slot rather than look its id up again (each lookup computes ids, `O(depth)`, see
/// `derived.rs`). Good until the object is removed: its slot is then reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) id: ObjectId,
    pub(crate) slot: SlotNo,
}

pub(crate) fn new_container(kind: Kind) -> Node {
    Node::Container(Container { children: Vec::new(), update_id: 0, kind })
}

const FOLDER: Kind = Kind::Folder { cover: None };

/// Whether `obj` stands for something on disk below a served folder: a file, a folder or a
/// playlist file.
fn on_disk(obj: ObjectRef<'_>) -> bool {
    obj.as_container().is_none_or(|c| matches!(c.kind, Kind::Folder { .. } | Kind::Playlist))
}

/// Whether `obj` is a container that holds files (not a playlist, which holds listings).
fn is_folder(obj: ObjectRef<'_>) -> bool {
    obj.as_container().is_some_and(|c| c.kind != Kind::Playlist)
}

impl Default for Library {
    fn default() -> Self {
        Library::new()
    }
}

impl Library {
    /// An empty library (just the root container) without a size limit.
    pub fn new() -> Self {
        Library::with_limit(usize::MAX)
    }

    /// An empty library that refuses to grow past `max_objects` objects ([`Error::Full`]);
    /// firmware uses this to bound its heap.
    /// The [`Shelf`] containers count towards the limit.
    pub fn with_limit(max_objects: usize) -> Self {
        let mut objects = Objects::default();
        for shelf in Shelf::ALL {
            let (id, parent) = (shelf.id(), shelf.parent().id());
            let node = new_container(Kind::Shelf(shelf));
            // The first few slots of an empty store, parents first: cannot fail.
            let above = if id == parent { None } else { objects.slot_of(&parent) };
            let Ok(slot) = objects.insert(id, above, shelf.title(), node) else { continue };
            debug_assert_eq!(slot, SlotNo::of_shelf(shelf));
            if let Some(c) = objects.container_mut(&parent).filter(|_| above.is_some()) {
                c.children.push(slot);
            }
        }
        Library {
            objects,
            system_update_id: 0,
            limit: max_objects,
            changed: Vec::new(),
            groups: Groups::new(),
            unsorted: None,
            #[cfg(feature = "subtitles")]
            sidecars: super::sidecar::Sidecars::default(),
        }
    }

    /// The number of objects, the [`Shelf`] containers included.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether only the [`Shelf`] containers exist.
    pub fn is_empty(&self) -> bool {
        self.objects.len() <= Shelf::ALL.len()
    }

    /// The SystemUpdateID: increases (wrapping) on every change.
    pub fn system_update_id(&self) -> u32 {
        self.system_update_id
    }

    /// The object with this id.
    pub fn get(&self, id: ObjectId) -> Option<ObjectRef<'_>> {
        self.objects.get(&id)
    }

    /// The shelf `shelf`, found without a lookup (see [`SlotNo::of_shelf`]).
    pub(crate) fn shelf(shelf: Shelf) -> Found {
        Found { id: shelf.id(), slot: SlotNo::of_shelf(shelf) }
    }

    /// An empty set of this library's objects, for a walk that meets objects more than once.
    pub(crate) fn seen(&self) -> Seen {
        Seen::new(&self.objects)
    }

    /// The objects with ids `ids`, in this order (ids not in the library are left out).
    pub fn list_of(&self, ids: &[ObjectId]) -> List<'_> {
        let slots = ids.iter().filter_map(|id| self.objects.slot_of(id)).collect();
        List::new(&self.objects, Cow::Owned(slots))
    }

    /// Every object with its id, in no particular order (that of their slots, which depends
    /// on the order of inserts and removals).
    pub fn iter(&self) -> impl Iterator<Item = (ObjectId, ObjectRef<'_>)> + '_ {
        self.objects.slots().map(|(_, o)| (o.id(), o))
    }

    /// Adds (or renames) served folder number `root`, shown as `name` under
    /// [`Shelf::Folders`].
    pub fn add_root(&mut self, root: u16, name: &str) -> Result<ObjectId, Error> {
        let state = PathHash::new(root);
        let folders = Library::shelf(Shelf::Folders);
        if let Some(Found { id, .. }) = self.find(state, root, &[]) {
            if self.objects.get(&id).is_some_and(|obj| obj.name() != name) {
                self.objects.rename(&id, name)?;
                self.moved(folders.id, id);
                self.bump_system();
            }
            return Ok(id);
        }
        let node = new_container(Kind::Served { root, cover: None });
        let served = self.create(folders, state, name, node)?;
        self.bump_system();
        Ok(served.id)
    }

    /// Adds the folder at `rel` under served folder `root` (and any missing folders above it).
    /// Returns its id, or `None` if a component is hidden (starts with `.`). A file at that path
    /// is replaced.
    pub fn insert_folder(&mut self, root: u16, rel: &str) -> Result<Option<ObjectId>, Error> {
        let comps = components(rel)?;
        if is_hidden(&comps) {
            return Ok(None);
        }
        let before = self.objects.len();
        let (folder, _) = self.ensure_folders(root, &comps)?;
        if self.objects.len() != before {
            self.bump_system();
        }
        Ok(Some(folder.id))
    }

    /// Adds or updates the file at `rel` under served folder `root`, creating missing folders.
    /// Returns its id, or `None` if the file is not media (by extension) or a component is
    /// hidden. Updating an existing file with a different size or mtime clears its
    /// [`Details`]; a folder at that path is replaced. A new file joins the music tree (or the
    /// video or picture list) at once, under "Unknown Artist" until its details are set; a
    /// scanner that reads the file first uses [`Library::insert_file_with`] instead.
    pub fn insert_file(
        &mut self,
        root: u16,
        rel: &str,
        file: FileInfo,
    ) -> Result<Option<ObjectId>, Error> {
        self.upsert(root, rel, file, None)
    }

    /// Adds or updates the file at `rel` with the `details` reading it revealed, in one step:
    /// the item appears directly where its tags put it, and only the containers it joins or
    /// leaves change.
    pub fn insert_file_with(
        &mut self,
        root: u16,
        rel: &str,
        file: FileInfo,
        details: Details,
    ) -> Result<Option<ObjectId>, Error> {
        self.upsert(root, rel, file, Some(details))
    }

    fn upsert(
        &mut self,
        root: u16,
        rel: &str,
        file: FileInfo,
        details: Option<Details>,
    ) -> Result<Option<ObjectId>, Error> {
        let comps = components(rel)?;
        let Some((&name, dirs)) = comps.split_last() else { return Err(Error::BadPath) };
        if is_hidden(&comps) {
            return Ok(None);
        }
        let Some(format) = MediaFormat::from_file_name(name) else {
            #[cfg(feature = "subtitles")]
            if crate::media::subtitle::Format::from_file_name(name).is_some() {
                let (folder, _) = self.ensure_folders(root, dirs)?;
                if self.set_sidecar(folder.id, name, true) {
                    self.bump_system();
                }
            }
            return Ok(None);
        };
        let (parent, state) = self.ensure_folders(root, dirs)?;
        let state = state.push(dirs.is_empty(), name);
        if let Some(Found { id, slot }) = self.find_in(state, parent, name) {
            let same = self
                .objects
                .at(slot)
                .and_then(ObjectRef::as_item)
                .map(|item| item.is_file(file) && item.format == format);
            match same {
                Some(true) => {
                    if let Some(details) = details {
                        self.set_details(id, details)?;
                    }
                    return Ok(Some(id));
                }
                Some(false) => {
                    self.renew(id, name, format, file, details.unwrap_or_default(), false)?;
                    return Ok(Some(id));
                }
                None => {
                    self.detach(id);
                }
            }
        }
        let record = self.objects.item(format, file, details.unwrap_or_default(), name, false)?;
        let node = Node::Item(record);
        let item = match self.create(parent, state, name, node.clone()) {
            Ok(item) => item,
            Err(e) => {
                self.objects.release(&node);
                return Err(e);
            }
        };
        self.relist(item, None)?;
        self.bump_system();
        Ok(Some(item.id))
    }

    /// Sets what reading an item's file revealed (duration, audio properties, tags). The item
    /// moves in the music tree if its tags say so.
    pub fn set_details(&mut self, id: ObjectId, details: Details) -> Result<(), Error> {
        let obj = self.objects.get(&id).ok_or(Error::NotFound)?;
        let item = obj.as_item().ok_or(Error::NotAnItem)?;
        if obj.has_details(&details) {
            return Ok(());
        }
        let name = String::from(obj.name());
        self.renew(id, &name, item.format, item.file(), details, item.thumbnail())
    }

    /// Gives item `id`, named `name`, the record of a file of `format` and `file` with
    /// `details` and `thumbnail` (see [`super::Item`]), and moves it where its tags now say.
    fn renew(
        &mut self,
        id: ObjectId,
        name: &str,
        format: MediaFormat,
        file: FileInfo,
        details: Details,
        thumbnail: bool,
    ) -> Result<(), Error> {
        let obj = self.objects.get(&id).ok_or(Error::NotFound)?;
        // Its slot stays its own: the item only gets a new record.
        let (parent, item) = (obj.parent(), Found { id, slot: obj.slot() });
        let old = self.before(id);
        let record = self.objects.item(format, file, details, name, thumbnail)?;
        let gone = match self.objects.set_record(&id, record) {
            Ok(gone) => gone,
            Err(e) => {
                self.objects.release(&Node::Item(record));
                return Err(e);
            }
        };
        self.moved(parent, id);
        self.relist(item, old)?;
        self.touch_playlists_of(id);
        self.objects.release_item(&gone);
        self.bump_system();
        Ok(())
    }

    /// Records whether the shell has a thumbnail of item `id` (see [`super::Item::thumbnail`]). The
    /// containers showing it, and for a folder's cover image those showing its tracks, change.
    pub fn set_thumbnail(&mut self, id: ObjectId, thumbnail: bool) -> Result<(), Error> {
        if !self.objects.set_thumbnail(&id, thumbnail)? {
            return Ok(());
        }
        self.touch_shown(id);
        self.bump_system();
        Ok(())
    }

    /// Removes the file or folder (with everything below it) at `rel` under served folder
    /// `root`; `""` removes the served folder itself. Returns how many objects were removed
    /// (0 if nothing was there).
    pub fn remove_path(&mut self, root: u16, rel: &str) -> Result<usize, Error> {
        let comps = components(rel)?;
        let mut state = PathHash::new(root);
        for (i, c) in comps.iter().enumerate() {
            state = state.push(i == 0, c);
        }
        let Some(Found { id, .. }) = self.find(state, root, &comps) else {
            // Perhaps a subtitle file, recorded in its folder (see `sidecar`).
            #[cfg(feature = "subtitles")]
            self.forget_sidecar(root, &comps);
            return Ok(0);
        };
        #[cfg(feature = "subtitles")]
        let container = self.objects.get(&id).is_some_and(|o| o.as_container().is_some());
        let removed = self.detach(id);
        #[cfg(feature = "subtitles")]
        if container {
            self.drop_orphan_sidecars();
        }
        self.bump_system();
        Ok(removed)
    }

    /// The id of the object at `rel` under served folder `root`, if present.
    pub fn lookup_path(&self, root: u16, rel: &str) -> Option<ObjectId> {
        let comps = components(rel).ok()?;
        let mut state = PathHash::new(root);
        for (i, c) in comps.iter().enumerate() {
            state = state.push(i == 0, c);
        }
        self.find(state, root, &comps).map(|found| found.id)
    }

    /// Where the object lives on disk; `None` for containers outside the served folders and
    /// unknown ids.
    pub fn file_ref(&self, id: ObjectId) -> Option<FileRef<'_>> {
        self.objects.file_ref(self.objects.slot_of(&id)?)
    }

    /// The children of container `id` in the order of `spec`.
    ///
    /// In the default order, borrowed from the library: every child list is kept in it (see
    /// `sort::place`). In another order, a sorted copy (`O(k log k)` for `k` children).
    pub fn children(&self, id: ObjectId, spec: &SortSpec) -> Result<List<'_>, Error> {
        let obj = self.objects.get(&id).ok_or(Error::NotFound)?;
        let container = obj.as_container().ok_or(Error::NotAContainer)?;
        if spec.is_default() {
            return Ok(List::new(&self.objects, Cow::Borrowed(&container.children)));
        }
        let sorted = self.sorted(&container.children, &|a, b| spec.compare(a, b));
        Ok(List::new(&self.objects, Cow::Owned(sorted)))
    }

    /// Trims the spare capacity of each child list, the text arena and the table of
    /// containers. Call after a scan; correctness never depends on it.
    pub fn tidy(&mut self) {
        // They grew by doubling while the scan inserted into them; most stay as they are now.
        self.objects.shrink();
    }

    /// The objects in `slots` in the order of `cmp`, ties in their order in `slots` (a stable
    /// sort); empty slots are left out. `cmp` is dynamic so that one sort serves every order.
    pub(crate) fn sorted(
        &self,
        slots: &[SlotNo],
        cmp: &dyn Fn(ObjectRef<'_>, ObjectRef<'_>) -> Ordering,
    ) -> Vec<SlotNo> {
        // Resolve each slot once. Every caller shares this one sort, core's heapsort with the
        // position as the last key rather than a stable sort: each instance of the standard
        // library's sorts costs the firmware several KB of flash (issue 5).
        let mut resolved: Vec<(usize, SlotNo, ObjectRef<'_>)> = slots
            .iter()
            .enumerate()
            .filter_map(|(at, &slot)| Some((at, slot, self.objects.at(slot)?)))
            .collect();
        crate::util::heapsort::sort_unstable_by(&mut resolved, |a, b| {
            cmp(a.2, b.2).then(a.0.cmp(&b.0))
        });
        // A new list of exactly this length: collecting from `resolved` would keep its buffer,
        // three times as large, for as long as the list lives.
        let mut sorted = Vec::with_capacity(resolved.len());
        sorted.extend(resolved.iter().map(|&(_, id, _)| id));
        sorted
    }

    pub(crate) fn bump_system(&mut self) {
        self.system_update_id = self.system_update_id.wrapping_add(1);
    }

    /// Records that `child` of `parent` changed in a way that may move it in the default
    /// order (its title, tags or date): moves it to its place and records the change.
    pub(crate) fn moved(&mut self, parent: ObjectId, child: ObjectId) {
        self.replace(parent, child);
        self.touch_child(parent);
    }

    /// Records that a child of `parent` changed: bumps its update id.
    pub(crate) fn touch_child(&mut self, parent: ObjectId) {
        if let Some(c) = self.objects.container_mut(&parent) {
            c.update_id = c.update_id.wrapping_add(1);
            // A list rather than a set (no B-tree of ids in the firmware), made unique before
            // it grows, and grown only if still over half full: so each id pushed pays for
            // `O(log n)` of the next sort, and the capacity stays under four times the number
            // of different ids.
            if self.changed.len() == self.changed.capacity() {
                unique(&mut self.changed);
                self.changed.reserve(self.changed.len());
            }
            self.changed.push(parent);
        }
    }

    /// The containers whose update id changed since the last call, with their current update
    /// ids, in id order; containers removed meanwhile are left out. This is the content of the
    /// evented `ContainerUpdateIDs` variable (`id,updateID,id,updateID`). The set is bounded by
    /// the number of containers.
    pub fn take_container_updates(&mut self) -> Vec<(ObjectId, u32)> {
        let mut changed = core::mem::take(&mut self.changed);
        unique(&mut changed);
        changed
            .into_iter()
            .filter_map(|id| Some((id, self.get(id)?.as_container()?.update_id())))
            .collect()
    }

    /// Whether the object in `slot` is at `comps` under served folder `root`.
    fn path_matches(&self, slot: SlotNo, root: u16, comps: &[&str]) -> bool {
        let mut cur = slot;
        for comp in comps.iter().rev() {
            let Some(obj) = self.objects.at(cur) else { return false };
            if !on_disk(obj) || obj.name() != *comp {
                return false;
            }
            cur = obj.parent;
        }
        matches!(
            self.objects.at(cur).and_then(ObjectRef::as_container).map(|c| &c.kind),
            Some(Kind::Served { root: r, .. }) if *r == root
        )
    }

    /// The existing object for a path whose hash state is `state`.
    pub(crate) fn find(&self, state: PathHash, root: u16, comps: &[&str]) -> Option<Found> {
        self.find_by(state, |o| self.path_matches(o.slot(), root, comps))
    }

    /// [`Library::find`] for the path of folder `parent` (found already) and `name`: the
    /// object checked against its parent's slot, one lookup a candidate instead of one a path
    /// level (a file three folders deep is found or created a row of the index load).
    fn find_in(&self, state: PathHash, parent: Found, name: &str) -> Option<Found> {
        self.find_by(state, |o| on_disk(o) && o.parent == parent.slot && o.name() == name)
    }

    /// The first id candidate of `state` holding an object that satisfies `matches`.
    pub(crate) fn find_by(
        &self,
        state: PathHash,
        matches: impl Fn(ObjectRef<'_>) -> bool,
    ) -> Option<Found> {
        (0..MAX_PROBES).map(|p| state.candidate(p)).filter(|&id| id != ObjectId::ROOT).find_map(
            |id| {
                let o = self.objects.get(&id)?;
                matches(o).then_some(Found { id, slot: o.slot() })
            },
        )
    }

    /// Finds or creates the folders `comps` under served folder `root`; returns the deepest
    /// one and its hash state.
    pub(crate) fn ensure_folders(
        &mut self,
        root: u16,
        comps: &[&str],
    ) -> Result<(Found, PathHash), Error> {
        let mut state = PathHash::new(root);
        let mut parent = self.find(state, root, &[]).ok_or(Error::UnknownRoot)?;
        for (i, &name) in comps.iter().enumerate() {
            state = state.push(i == 0, name);
            parent = match self.find_in(state, parent, name) {
                Some(found) if self.objects.at(found.slot).is_some_and(is_folder) => found,
                other => {
                    // Not a folder: it goes (the folders above stay, and their slots with
                    // them).
                    if let Some(item) = other {
                        self.detach(item.id);
                    }
                    self.create(parent, state, name, new_container(FOLDER))?
                }
            };
        }
        Ok((parent, state))
    }

    /// Inserts a new object under `parent` with the first free id candidate of `state`.
    pub(crate) fn create(
        &mut self,
        parent: Found,
        state: PathHash,
        name: &str,
        node: Node,
    ) -> Result<Found, Error> {
        if self.objects.len() >= self.limit {
            return Err(Error::Full);
        }
        if self.objects.at(parent.slot).and_then(ObjectRef::as_container).is_none() {
            return Err(Error::NotAContainer);
        }
        let id = (0..MAX_PROBES)
            .map(|p| state.candidate(p))
            .find(|id| *id != ObjectId::ROOT && !self.objects.contains_key(id))
            .ok_or(Error::IdCollision)?;
        let slot = self.objects.insert(id, Some(parent.slot), name, node)?;
        self.list(parent, slot);
        Ok(Found { id, slot })
    }

    /// Inserts the object in slot `child` into `container`'s children at its place in the
    /// default order and records the change.
    pub(crate) fn list(&mut self, container: Found, child: SlotNo) {
        self.place(container, child);
        self.touch_child(container.id);
    }

    /// Takes every child in `gone` out of `container`'s children and records the change if
    /// there was one. Returns how many children are left. An object leaves every list before
    /// it leaves the store (its slot is reused).
    pub(crate) fn unlist(&mut self, container: ObjectId, gone: &[ObjectId]) -> usize {
        let mut gone: Vec<SlotNo> = gone.iter().filter_map(|id| self.objects.slot_of(id)).collect();
        crate::util::heapsort::sort_unstable_by(&mut gone, Ord::cmp);
        let Some(c) = self.objects.container_mut(&container) else {
            return 0;
        };
        let before = c.children.len();
        c.children.retain(|child| gone.binary_search(child).is_err());
        let (after, changed) = (c.children.len(), c.children.len() != before);
        if changed {
            self.touch_child(container);
        }
        after
    }

    /// Removes `id` and everything below it, out of every list that shows it; returns how
    /// many objects went.
    pub(crate) fn detach(&mut self, id: ObjectId) -> usize {
        if id == ObjectId::ROOT {
            return 0;
        }
        let Some(obj) = self.objects.get(&id) else { return 0 };
        let parent = obj.parent();
        // Everything below, and how each item is listed, before anything goes.
        let mut doomed = Vec::new();
        let mut stack = alloc::vec![obj.slot()];
        while let Some(cur) = stack.pop() {
            if let Some(obj) = self.objects.at(cur) {
                doomed.push(obj.id());
                // A playlist's children live elsewhere: they stay.
                if let Some(c) = obj.as_container() {
                    if c.kind != Kind::Playlist {
                        stack.extend_from_slice(&c.children);
                    }
                }
            }
        }
        let listings: Vec<(ObjectId, Slot)> = doomed
            .iter()
            .filter_map(|&d| Some((d, self.item_listing(d)?)))
            .flat_map(|(d, slots)| slots.into_iter().map(move |s| (d, s)))
            .collect();
        self.unlist(parent, &[id]);
        self.forget_in_playlists(&doomed);
        self.leave_all(listings);
        let flips = self.ungroup(&doomed);
        // Each after everything below it (the reverse of the walk above): their ids read the
        // names above them. The store gives back each object's texts and names.
        for cur in doomed.iter().rev() {
            self.objects.remove(cur);
        }
        self.refresh_cover(parent);
        // A library at its size limit may fail to file the tracks left behind again (a new
        // artist container); they stay out of the music tree until they change.
        let _ = self.refile(flips, id);
        doomed.len()
    }
}

#[cfg(test)]
pub(crate) mod tests;
